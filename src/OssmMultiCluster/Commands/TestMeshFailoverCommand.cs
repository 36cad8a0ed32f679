using System.Management.Automation;
using OssmMultiCluster.Mesh.Connectivity;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// The walkthrough's failover check (steps 18-19) as one command: remove a sample component from one cluster, prove
/// that requests from the client cluster are still served (by another cluster), then restore the component.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "MeshFailover", SupportsShouldProcess = true)]
[OutputType(typeof(MeshResourceResult), typeof(MeshConnectivityProbe), typeof(MeshConnectivityResult), typeof(MeshFailoverResult))]
public sealed class TestMeshFailoverCommand : MeshProbeCmdlet
{
    /// <summary>The cluster whose client pod sends the requests.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNull]
    [ArgumentCompleter(typeof(SingleMeshClusterCompleter))]
    public MeshCluster From { get; set; } = null!;

    /// <summary>The cluster the component is removed from.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNull]
    [ArgumentCompleter(typeof(SingleMeshClusterCompleter))]
    public MeshCluster RemoveFrom { get; set; } = null!;

    [Parameter(Mandatory = true)]
    public MeshSampleName Sample { get; set; }

    /// <summary>The component to remove, e.g. productpage: its Service and the Deployments labelled app=&lt;component&gt;.</summary>
    [Parameter(Mandatory = true)]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    [ArgumentCompleter(typeof(SampleComponentCompleter))]
    public string Component { get; set; } = string.Empty;

    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Url { get; set; } = string.Empty;

    /// <summary>The sample's namespace; default its name.</summary>
    [Parameter]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string? SampleNamespace { get; set; }

    /// <summary>helloworld: the version that was deployed on -RemoveFrom, restored as it was.</summary>
    [Parameter]
    [ValidateSet("v1", "v2")]
    public string? Version { get; set; }

    /// <summary>How long to let the mesh notice the removal before sending requests.</summary>
    [Parameter]
    public TimeSpan Settle { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The sample's manifest for the restore (offline); default the walkthrough's upstream one.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Leave the component removed.</summary>
    [Parameter]
    public SwitchParameter NoRestore { get; set; }

    private protected override void End()
    {
        var options = new FailoverOptions(From, RemoveFrom, Sample, Component, Url, SampleNamespace ?? Sample.ToString().ToLowerInvariant(), Probe)
        {
            Version = Version,
            Settle = Settle,
            ManifestFile = Path is null ? null : GetUnresolvedProviderPathFromPSPath(Path),
            Restore = !NoRestore,
        };
        RunToEnd(host => FailoverTest.RunAsync(host, options));
    }
}
