using System.Management.Automation;
using OssmMultiCluster.Mesh.Connectivity;
using OssmMultiCluster.Mesh.Status;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Checks the mesh across its clusters (trust, network, control plane, gateway, remote secrets, mesh networks) and
/// outputs one object per check, then a verdict. Clusters are read in parallel; a cluster that is down is one Error.
/// </summary>
[Cmdlet(VerbsCommon.Get, "MeshStatus")]
[OutputType(typeof(MeshStatusCheck), typeof(MeshStatusSummary))]
public sealed class GetMeshStatusCommand : MeshClusterCmdlet
{
    [Parameter]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string GatewayName { get; set; } = "istio-eastwestgateway";

    /// <summary>Also ask each cluster's istiod which remote clusters it has synced (Get-MeshRemoteCluster), one check per remote cluster.</summary>
    [Parameter]
    public SwitchParameter IstiodView { get; set; }

    private protected override void End()
    {
        var states = new List<ClusterState>();
        ForEachCluster("Reading mesh state",
            Clusters.Select(c => (c.Name, (Func<CancellationToken, Task<ClusterState>>)(ct => ClusterState.ReadAsync(c, Namespace, GatewayName, ct)))).ToList(),
            states.Add);
        var checks = StatusChecker.Check(states, DateTime.UtcNow).ToList();
        if (IstiodView)
        {
            checks.AddRange(ReadIstiodViews(states.Where(s => s.Unreachable is null).Select(s => s.Cluster).ToList()));
        }

        WriteObject(checks, enumerateCollection: true);
        WriteObject(StatusChecker.Summarize(Clusters.Count, checks));
    }

    /// <summary>istiod's view of every reachable cluster, as checks (Mesh.Status.IstiodView.ChecksAsync), read in parallel.</summary>
    private List<MeshStatusCheck> ReadIstiodViews(IReadOnlyList<MeshCluster> reachable)
    {
        var exec = PodExecTransport.Create();
        return Run(async ct => (await Task.WhenAll(reachable.Select(c => Mesh.Status.IstiodView.ChecksAsync(c, Namespace, exec, ct))).ConfigureAwait(false))
            .SelectMany(checks => checks).ToList(), "Reading istiod's remote clusters");
    }
}
