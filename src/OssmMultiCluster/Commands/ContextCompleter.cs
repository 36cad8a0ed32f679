using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using k8s;
using k8s.KubeConfigModels;
using OssmMultiCluster.Kube;

namespace OssmMultiCluster.Commands;

/// <summary>Completes -Context with the contexts of the kubeconfigs given to -Kubeconfig, else $env:KUBECONFIG or ~/.kube/config.</summary>
internal sealed class ContextCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var prefix = wordToComplete.Trim('\'', '"');
        return Kubeconfigs(fakeBoundParameters)
            .SelectMany(c => c.Contexts?.Select(x => x.Name) ?? Enumerable.Empty<string>())
            .Distinct(StringComparer.Ordinal)
            .Where(c => c.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .Select(c => new CompletionResult(c.Contains(' ') ? $"'{c}'" : c, c, CompletionResultType.ParameterValue, c));
    }

    /// <summary>The kubeconfigs Get-MeshCluster would read with these parameters; files that cannot be read are left out.</summary>
    internal static IReadOnlyList<K8SConfiguration> Kubeconfigs(IDictionary fakeBoundParameters)
    {
        var paths = Unwrap(fakeBoundParameters["Kubeconfig"]) switch
        {
            string one => new[] { one },
            object[] many => many.Select(p => PathOf(Unwrap(p))).ToArray(),
            FileSystemInfo or PathInfo => new[] { PathOf(Unwrap(fakeBoundParameters["Kubeconfig"])) },
            _ => (Environment.GetEnvironmentVariable("KUBECONFIG") is { Length: > 0 } env
                ? env.Split(Path.PathSeparator)
                : new[] { Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config") }),
        };
        return paths.Where(File.Exists).Select(Load).OfType<K8SConfiguration>().ToList();
    }

    /// <summary>
    /// A variable holding a cmdlet's output (Join-Path, Resolve-Path, Get-Item) reaches completers wrapped in a PSObject;
    /// what a user typed is a plain string.
    /// </summary>
    private static object? Unwrap(object? value) => value is PSObject wrapped ? wrapped.BaseObject : value;

    private static string PathOf(object? value) => value switch
    {
        FileSystemInfo file => file.FullName,
        PathInfo path => path.ProviderPath,
        _ => value?.ToString() ?? string.Empty,
    };

    private static K8SConfiguration? Load(string path)
    {
        try
        {
            return KubernetesClientConfiguration.LoadKubeConfig(new FileInfo(path));
        }
        catch (Exception ex) when (ex is k8s.Exceptions.KubeConfigException or YamlDotNet.Core.YamlException or IOException or UnauthorizedAccessException)
        {
            // A file that cannot be read offers no completions; Get-MeshCluster itself reports why.
            return null;
        }
    }
}

/// <summary>
/// Completes Get-MeshCluster -Name with the names the clusters would get by default: derived from the contexts given
/// to -Context, else from the kubeconfigs' contexts (current contexts first).
/// </summary>
internal sealed class ContextNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var contexts = fakeBoundParameters["Context"] switch
        {
            string one => new[] { one },
            object[] many => many.Select(c => c?.ToString() ?? string.Empty).ToArray(),
            _ => ContextCompleter.Kubeconfigs(fakeBoundParameters)
                .SelectMany(c => (c.Contexts?.Select(x => x.Name) ?? Enumerable.Empty<string>()).OrderBy(x => x == c.CurrentContext ? 0 : 1))
                .ToArray(),
        };
        var prefix = wordToComplete.Trim('\'', '"');
        return contexts.Where(c => c.Length > 0)
            .Select(c => (context: c, name: ClusterResolver.NameFromContext(c)))
            .Where(x => x.name.Length > 0 && x.name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .DistinctBy(x => x.name, StringComparer.Ordinal)
            .Select(x => new CompletionResult(x.name, x.name, CompletionResultType.ParameterValue, $"{x.name} (context {x.context})"));
    }
}
