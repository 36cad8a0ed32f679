namespace OssmMultiCluster.Packager;

/// <summary>dotnet run --project tools/OssmMultiCluster.Packager -- --module &lt;folder&gt; --output &lt;folder&gt;</summary>
internal static class Program
{
    private const string Usage = "Usage: OssmMultiCluster.Packager --module <built module folder> --output <folder>";

    public static int Main(string[] args)
    {
        string? module = null, output = null;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--module": module = args[i + 1]; break;
                case "--output": output = args[i + 1]; break;
                default:
                    Console.Error.WriteLine($"Unknown option '{args[i]}'. {Usage}");
                    return 2;
            }
        }

        if (module is null || output is null || args.Length % 2 != 0)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }

        try
        {
            var package = ModulePackager.Pack(module, output);
            Console.WriteLine($"Module folder: {package.ModuleFolder}");
            Console.WriteLine($"Package:       {package.Nupkg}");
            return 0;
        }
        catch (Exception error) when (error is PackagingException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine(error.Message);
            return 1;
        }
    }
}
