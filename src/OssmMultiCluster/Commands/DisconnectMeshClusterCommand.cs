using System.Management.Automation;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Takes a cluster out of the mesh: its remote secret in every other cluster, theirs in it, its network from
/// their mesh networks (theirs from its), and its trust domain from the aliases Connect-MeshCluster gave them
/// (theirs from its). Nothing else of the mesh is touched.
/// </summary>
[Cmdlet(VerbsCommunications.Disconnect, "MeshCluster", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(MeshResourceResult))]
public sealed class DisconnectMeshClusterCommand : MeshCmdlet
{
    /// <summary>The cluster leaving the mesh.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNull]
    [ArgumentCompleter(typeof(SingleMeshClusterCompleter))]
    public MeshCluster Cluster { get; set; } = null!;

    /// <summary>The clusters that stay.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(MeshClusterCompleter))]
    public MeshCluster[] From { get; set; } = Array.Empty<MeshCluster>();

    [Parameter]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string Namespace { get; set; } = MeshNames.ControlPlaneNamespace;

    /// <summary>Take ownership of mesh-network fields another manager set.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    private readonly List<MeshCluster> _from = new();

    private protected override void Process() => _from.AddRange(From);

    private protected override void End()
    {
        var options = new MeshDisconnectOptions { Namespace = Namespace, Force = Force };
        Run(host => new MeshDisconnect(options).DisconnectAsync(host, Cluster, _from));
    }
}
