using System.Management.Automation;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// What the cmdlets working on a set of clusters share: the clusters, by value from the pipeline or as an argument,
/// gathered over the whole pipeline (the work starts once all are known), and the control plane's namespace.
/// </summary>
public abstract class MeshClusterCmdlet : MeshCmdlet
{
    private readonly List<MeshCluster> _clusters = new();

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(MeshClusterCompleter))]
    public MeshCluster[] Cluster { get; set; } = Array.Empty<MeshCluster>();

    /// <summary>The control plane's namespace.</summary>
    [Parameter]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string Namespace { get; set; } = MeshNames.ControlPlaneNamespace;

    /// <summary>Every cluster the pipeline gave, in order.</summary>
    private protected IReadOnlyList<MeshCluster> Clusters => _clusters;

    private protected override void Process() => _clusters.AddRange(Cluster);
}
