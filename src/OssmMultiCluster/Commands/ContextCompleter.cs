using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using k8s;

namespace OssmMultiCluster.Commands;

/// <summary>Completes -Context with the contexts of the kubeconfigs given to -Kubeconfig, else $env:KUBECONFIG or ~/.kube/config.</summary>
public sealed class ContextCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var paths = fakeBoundParameters["Kubeconfig"] switch
        {
            string one => new[] { one },
            object[] many => many.Select(p => p?.ToString() ?? string.Empty).ToArray(),
            _ => (Environment.GetEnvironmentVariable("KUBECONFIG") is { Length: > 0 } env
                ? env.Split(Path.PathSeparator)
                : new[] { Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config") }),
        };
        var prefix = wordToComplete.Trim('\'', '"');
        return paths.Where(File.Exists)
            .SelectMany(Contexts)
            .Distinct(StringComparer.Ordinal)
            .Where(c => c.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .Select(c => new CompletionResult(c.Contains(' ') ? $"'{c}'" : c, c, CompletionResultType.ParameterValue, c));
    }

    private static IEnumerable<string> Contexts(string path)
    {
        try
        {
            return KubernetesClientConfiguration.LoadKubeConfig(new FileInfo(path)).Contexts?.Select(c => c.Name) ?? Enumerable.Empty<string>();
        }
        catch (Exception ex) when (ex is k8s.Exceptions.KubeConfigException or YamlDotNet.Core.YamlException or IOException or UnauthorizedAccessException)
        {
            // A file that cannot be read offers no completions; Get-MeshCluster itself reports why.
            return Enumerable.Empty<string>();
        }
    }
}
