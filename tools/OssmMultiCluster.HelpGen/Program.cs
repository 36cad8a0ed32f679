namespace OssmMultiCluster.HelpGen;

/// <summary>dotnet run --project tools/OssmMultiCluster.HelpGen: regenerates en-US/ from docs/help/.</summary>
internal static class Program
{
    public static int Main()
    {
        var paths = new HelpPaths(FindRepoRoot());
        try
        {
            var files = HelpGenerator.Generate(paths.Source, paths.ModuleManifest);
            foreach (var (action, fileName) in HelpGenerator.Write(paths.Output, files))
            {
                Console.WriteLine($"{action,-9} {Path.GetRelativePath(paths.RepoRoot, Path.Combine(paths.Output, fileName))}");
            }

            return 0;
        }
        // Sources to fix, or a module that is not built or does not import: the message says which; no stack trace.
        catch (Exception error) when (error is HelpSourceException or FileNotFoundException or InvalidOperationException
                                          or System.Management.Automation.RuntimeException)
        {
            Console.Error.WriteLine(error.Message);
            return 1;
        }
    }

    private static string FindRepoRoot()
    {
        // The binary lives below tools/OssmMultiCluster.HelpGen/bin, wherever it is started from.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OssmMultiCluster.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("OssmMultiCluster.sln not found above " + AppContext.BaseDirectory);
    }
}
