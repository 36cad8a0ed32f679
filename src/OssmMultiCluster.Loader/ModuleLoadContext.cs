using System.Reflection;
using System.Runtime.Loader;

namespace OssmMultiCluster.Loader;

/// <summary>
/// The module's own AssemblyLoadContext. OssmMultiCluster.dll and its dependencies (BouncyCastle, and later
/// KubernetesClient and YamlDotNet) load here from the module's bin folder, so a different version of any of them
/// loaded by another module cannot break this one, nor this one break it. Everything not in the bin folder
/// (the runtime, System.Management.Automation) comes from the default context, shared with PowerShell.
/// </summary>
public sealed class ModuleLoadContext : AssemblyLoadContext
{
    private const string MainAssembly = "OssmMultiCluster";
    private static readonly object Sync = new();
    private static ModuleLoadContext? _instance;

    private readonly string _directory;

    private ModuleLoadContext(string directory)
        : base(name: "OssmMultiCluster", isCollectible: false)
    {
        _directory = directory;
    }

    /// <summary>Loads the module's main assembly into the module's context (once per process) and returns it.</summary>
    public static Assembly Initialize(string directory)
    {
        lock (Sync)
        {
            _instance ??= new ModuleLoadContext(Path.GetFullPath(directory));
            return _instance.LoadFromAssemblyName(new AssemblyName(MainAssembly));
        }
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var candidate = Path.Combine(_directory, assemblyName.Name + ".dll");
        return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
    }
}
