using System.Management.Automation;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// The Install steps that take clusters: <see cref="MeshExportCmdlet"/>'s apply-or-export with
/// <see cref="MeshClusterCmdlet"/>'s clusters and namespace (declared again here: a cmdlet class has one base, and the
/// CA and sample cmdlets export without taking clusters this way).
/// </summary>
public abstract class MeshInstallCmdlet : MeshExportCmdlet
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
