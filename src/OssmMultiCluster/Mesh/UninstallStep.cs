using OssmMultiCluster.Kube;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh;

/// <summary>
/// What every Uninstall cmdlet does with its targets: asks for each cluster, runs the confirmed clusters' uninstall
/// concurrently, writes what each did, and says so when a cluster had none of the objects.
/// </summary>
internal static class UninstallStep
{
    public static async Task RunAsync(IMeshHost host, IReadOnlyList<MeshCluster> clusters, string activity, string description,
        Func<MeshCluster, CancellationToken, Task<InstallOutcome>> uninstall)
    {
        var work = new List<(string, Func<CancellationToken, Task<InstallOutcome>>)>();
        foreach (var cluster in clusters)
        {
            if (await host.ShouldProcessAsync($"cluster {cluster.Name}", description).ConfigureAwait(false))
            {
                work.Add((cluster.Name, ct => uninstall(cluster, ct)));
            }
        }

        await ClusterWork.ForEachAsync(host, activity, work, outcome =>
        {
            ClusterWork.Report(host, outcome);
            if (outcome.Results.Count == 0 && outcome.Errors.Count == 0)
            {
                host.WriteVerbose($"Nothing to uninstall: {description}: none of those objects is on the cluster.");
            }
        }).ConfigureAwait(false);
    }
}
