using System.Management.Automation;
using OssmMultiCluster.Kube;
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

    private readonly List<MeshCluster> _others = new();

    private protected override void Process() => _others.AddRange(From.Where(c => c.Name != Cluster.Name));

    private protected override void End()
    {
        if (_others.Count == 0)
        {
            ThrowMeshError(new MeshException("TooFewClusters", MeshErrorKind.InvalidArgument,
                $"No other cluster was given to take '{Cluster.Name}' out of.", Cluster.Name, "Pass the clusters that stay with -From."));
        }

        if (!ShouldProcess($"cluster {Cluster.Name}", $"Remove it from the mesh with {string.Join(", ", _others.Select(c => c.Name))}: delete remote secrets both ways and its network from their mesh networks"))
        {
            return;
        }

        var options = new ConnectOptions { Namespace = Namespace, Force = Force };
        var everyone = new[] { Cluster }.Concat(_others).ToList();
        ForEachCluster("Disconnecting cluster " + Cluster.Name,
            everyone.Select(c => (c.Name, (Func<CancellationToken, Task<InstallOutcome>>)(ct => TrustDomainAliases.WithDisconnectAsync(
                MeshConnector.DisconnectAsync(c, Cluster, _others, options, ct), c, Cluster, _others, Namespace, Force, ct)))).ToList(),
            WriteOutcome);
    }
}
