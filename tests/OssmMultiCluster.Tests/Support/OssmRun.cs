
namespace OssmMultiCluster.Tests.Support;

/// <summary>Runs the built ossm-run host as a separate process, as the README and CI do.</summary>
public static class OssmRun
{
    public static string Executable => Path.Combine(ModuleEngine.RepoRoot, "out", "ossm-run", "ossm-run");

    public static (int exitCode, string stdout, string stderr) Run(params string[] arguments) =>
        Processes.Run(Executable, arguments, ModuleEngine.RepoRoot);
}
