using System.Management.Automation;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Removes a sample: its whole namespace, or with -Component one service and its deployments, as the walkthrough's
/// failover step deletes productpage in one cluster.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "MeshSample", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(MeshResourceResult))]
public sealed class RemoveMeshSampleCommand : MeshCmdlet
{
    private readonly List<MeshCluster> _clusters = new();

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(MeshClusterCompleter))]
    public MeshCluster[] Cluster { get; set; } = Array.Empty<MeshCluster>();

    [Parameter(Mandatory = true, Position = 1)]
    public MeshSampleName Name { get; set; }

    /// <summary>Remove only this component: its Service and the Deployments labelled app=&lt;component&gt;.</summary>
    [Parameter]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    [ArgumentCompleter(typeof(SampleComponentCompleter))]
    public string? Component { get; set; }

    [Parameter]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string? Namespace { get; set; }

    private protected override void Process() => _clusters.AddRange(Cluster);

    private protected override void End() =>
        Run(host => SampleDeployment.RemoveAsync(host, _clusters, Name, Namespace ?? Name.ToString().ToLowerInvariant(), Component));
}
