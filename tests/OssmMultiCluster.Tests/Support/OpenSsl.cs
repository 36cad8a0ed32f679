using System.Text.RegularExpressions;

namespace OssmMultiCluster.Tests.Support;

/// <summary>Runs the real openssl, the tool the walkthrough uses, as the judge of the certificates we make.</summary>
public static partial class OpenSsl
{
    public static (int exitCode, string output) Run(string workingDirectory, params string[] arguments)
    {
        var (code, stdout, stderr) = Processes.Run("openssl", arguments, workingDirectory);
        return (code, stdout + stderr);
    }

    public static string Ok(string workingDirectory, params string[] arguments)
    {
        var (code, output) = Run(workingDirectory, arguments);
        Assert.True(code == 0, $"openssl {string.Join(' ', arguments)} failed ({code}): {output}");
        return output;
    }

    /// <summary>The X509v3 extensions openssl prints, in order: name, critical flag and value lines.</summary>
    public static IReadOnlyList<string> Extensions(string directory, string certificateFile, bool maskKeyIds = true)
    {
        var text = Ok(directory, "x509", "-in", certificateFile, "-noout", "-text");
        var start = text.IndexOf("X509v3 extensions:", StringComparison.Ordinal);
        var end = text.IndexOf("Signature Algorithm", start, StringComparison.Ordinal);
        var lines = text[start..end].Split('\n').Skip(1).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        var extensions = new List<string>();
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i].StartsWith("X509v3 ", StringComparison.Ordinal))
            {
                extensions.Add(lines[i]);
            }
            else
            {
                var value = maskKeyIds && HexKeyId().IsMatch(lines[i]) ? "<key id>" : lines[i];
                extensions[^1] += " = " + value;
            }
        }

        return extensions;
    }

    public static string Field(string directory, string certificateFile, string option) =>
        Ok(directory, "x509", "-in", certificateFile, "-noout", option).Trim();

    [GeneratedRegex("^([0-9A-F]{2}:){19}[0-9A-F]{2}$")]
    private static partial Regex HexKeyId();
}

/// <summary>A temporary folder removed after the test.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = Directory.CreateTempSubdirectory("ossm-test-").FullName;
    }

    public string Path { get; }

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
