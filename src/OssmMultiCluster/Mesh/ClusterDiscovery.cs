using OssmMultiCluster.Kube;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh;

/// <summary>
/// Get-MeshCluster as a service: the clusters the kubeconfigs and contexts name (a credential plugin may take seconds,
/// so this runs off the pipeline thread), warnings about their networks, and with <paramref name="test"/> only those
/// whose API server answers.
/// </summary>
internal static class ClusterDiscovery
{
    public static async Task RunAsync(IMeshHost host, ClusterSelection selection, bool test)
    {
        var clusters = new ClusterResolver().Resolve(selection, host.Cancellation);
        foreach (var warning in ClusterSet.NetworkWarnings(clusters))
        {
            host.WriteWarning(warning);
        }

        if (!test)
        {
            foreach (var cluster in clusters)
            {
                host.WriteObject(cluster);
            }

            return;
        }

        await ClusterWork.ForEachAsync(host, "Contacting API servers", clusters, (c, ct) => ClusterProbe.PingAsync(c, ct), (cluster, version) =>
        {
            host.WriteVerbose($"Cluster '{cluster.Name}' ({cluster.Server}) answered: Kubernetes {version}.");
            host.WriteObject(cluster);
        }).ConfigureAwait(false);
    }
}
