using System.Diagnostics;

namespace OssmMultiCluster.Tests.Support;

/// <summary>Runs the built ossm-run host as a separate process, as the README and CI do.</summary>
public static class OssmRun
{
    public static string Executable => Path.Combine(ModuleEngine.RepoRoot, "out", "ossm-run", "ossm-run");

    public static (int exitCode, string stdout, string stderr) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(Executable)
        {
            WorkingDirectory = ModuleEngine.RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("ossm-run did not finish: " + string.Join(' ', arguments));
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
