using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Completes cluster names (-ClusterName, -Source) with the names of the clusters given to the same command's
/// -Cluster, else of the MeshCluster objects in the session's variables.
/// </summary>
internal sealed class ClusterNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var bound = SessionVariables.Clusters(fakeBoundParameters["Cluster"]);
        var clusters = bound.Count > 0 ? bound : SessionVariables.All().SelectMany(v => SessionVariables.Clusters(v.Value)).ToList();
        var prefix = wordToComplete.Trim('\'', '"');
        return clusters
            .GroupBy(c => c.Name, StringComparer.Ordinal)
            .Where(g => g.Key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new CompletionResult(g.Key, g.Key, CompletionResultType.ParameterValue, $"{g.Key} ({g.First().Context}, {g.First().Network})"));
    }
}
