using OssmMultiCluster.Mesh.Connectivity;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh.Status;

/// <summary>
/// Get-MeshStatus and Get-MeshRemoteCluster as services: every cluster read in parallel (a cluster that is down is one
/// Error check), the checks across them, with -IstiodView each reachable istiod's own account, then the verdict.
/// </summary>
internal static class StatusReport
{
    public static async Task RunAsync(IMeshHost host, IReadOnlyList<MeshCluster> clusters, string ns, string gatewayName, IPodExec? istiodView)
    {
        var states = new List<ClusterState>();
        await ClusterWork.ForEachAsync(host, "Reading mesh state", clusters, (c, ct) => ClusterState.ReadAsync(c, ns, gatewayName, ct), (_, state) => states.Add(state))
            .ConfigureAwait(false);
        var checks = StatusChecker.Check(states, DateTime.UtcNow).ToList();
        if (istiodView is not null)
        {
            var reachable = states.Where(s => s.Unreachable is null).Select(s => s.Cluster).ToList();
            host.WriteProgress("Reading istiod's remote clusters", string.Empty);
            var views = await Task.WhenAll(reachable.Select(c => IstiodView.ChecksAsync(c, ns, istiodView, host.Cancellation))).ConfigureAwait(false);
            host.WriteProgress("Reading istiod's remote clusters", string.Empty, completed: true);
            checks.AddRange(views.SelectMany(view => view));
        }

        foreach (var check in checks)
        {
            host.WriteObject(check);
        }

        host.WriteObject(StatusChecker.Summarize(clusters.Count, checks));
    }

    /// <summary>Get-MeshRemoteCluster: each cluster's istiod asked which remote clusters it has, in the clusters' order.</summary>
    public static Task RemoteClustersAsync(IMeshHost host, IReadOnlyList<MeshCluster> clusters, string ns, IPodExec exec) =>
        ClusterWork.ForEachAsync(host, "Reading istiod's remote clusters", clusters, (c, ct) => IstiodView.ReadAsync(c, ns, exec, ct), (_, view) =>
        {
            foreach (var remote in view)
            {
                host.WriteObject(remote);
            }
        });
}
