using System.Text;

namespace OssmMultiCluster.Pki;

/// <summary>Writes files whose mode is set when they are created, never loosened and tightened later.</summary>
public static class SecureFile
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode Readable = OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>Creates <paramref name="path"/> (which must not exist) with <paramref name="mode"/> and writes it.</summary>
    public static void CreateNew(string path, string content, UnixFileMode mode)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = mode;
        }

        using var stream = new FileStream(path, options);
        var bytes = Encoding.ASCII.GetBytes(content);
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }
}
