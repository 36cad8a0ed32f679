using OssmMultiCluster.Model;
using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using OssmMultiCluster.Mesh;

namespace OssmMultiCluster.Commands;

/// <summary>Completes -Component with the components of the sample named by -Name or -Sample (all samples' when none is).</summary>
internal sealed class SampleComponentCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var named = (fakeBoundParameters["Sample"] ?? fakeBoundParameters["Name"])?.ToString();
        var samples = Enum.TryParse<MeshSampleName>(named, ignoreCase: true, out var sample) ? new[] { sample } : Enum.GetValues<MeshSampleName>();
        var prefix = wordToComplete.Trim('\'', '"');
        return samples.SelectMany(s => Samples.Components(s).Select(c => (sample: s, component: c)))
            .Where(x => x.component.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(x => new CompletionResult(x.component, x.component, CompletionResultType.ParameterValue, $"{x.sample}: service {x.component} and its deployments (app={x.component})"));
    }
}
