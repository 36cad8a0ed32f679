namespace OssmMultiCluster.Tests.Support;

/// <summary>Where the repository is, found from the test binary's folder.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
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
