using k8s;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Kube;

/// <summary>Checks that a cluster's API server answers, over verified TLS, to the kubeconfig's credentials.</summary>
internal static class ClusterProbe
{
    /// <summary>The server's Kubernetes version, e.g. v1.20.2.</summary>
    public static async Task<string> PingAsync(MeshCluster cluster, CancellationToken cancellation)
    {
        try
        {
            // /version needs no permissions; listing namespaces proves the credentials too.
            var version = await cluster.Client.Version.GetCodeAsync(cancellation).ConfigureAwait(false);
            await cluster.Client.CoreV1.ListNamespaceAsync(limit: 1, cancellationToken: cancellation).ConfigureAwait(false);
            return version.GitVersion;
        }
        catch (Exception ex) when (KubeFailure.IsKubeFailure(ex) && !cancellation.IsCancellationRequested)
        {
            throw KubeFailure.From(ex, cluster.Name, "contacting the API server");
        }
    }
}
