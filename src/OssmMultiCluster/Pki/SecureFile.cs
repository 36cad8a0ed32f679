using System.Text;

namespace OssmMultiCluster.Pki;

/// <summary>
/// Creates files whose mode is set by the open call that creates them (O_CREAT|O_EXCL with the mode), never widened
/// by the umask's default and tightened later: a key file is 0600 from the moment it has a name.
/// </summary>
internal static class SecureFile
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode Readable = OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>Creates <paramref name="path"/> (which must not exist) with <paramref name="mode"/> and writes it.</summary>
    public static void CreateNew(string path, string content, UnixFileMode mode) =>
        CreateNew(path, Encoding.ASCII.GetBytes(content), mode);

    /// <summary>
    /// Creates <paramref name="path"/> (which must not exist) with <paramref name="mode"/> and writes
    /// <paramref name="content"/>. A failed write removes the file again, so no truncated file is left.
    /// </summary>
    /// <param name="created">Test seam: called once the file exists, before any content is written.</param>
    public static void CreateNew(string path, ReadOnlySpan<byte> content, UnixFileMode mode, Action<string>? created = null)
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
        try
        {
            created?.Invoke(path);
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }
        catch
        {
            stream.Dispose();
            File.Delete(path);
            throw;
        }
    }
}
