using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh;

/// <summary>
/// New-MeshRemoteSecret as a service: the options checked against each other, then each confirmed cluster's reader
/// token issued and its remote secret rendered, in parallel, output in the clusters' order with their warnings.
/// </summary>
internal static class RemoteSecretIssue
{
    public static async Task RunAsync(IMeshHost host, IReadOnlyList<MeshCluster> clusters, RemoteSecretOptions options)
    {
        if (options.Server is not null && clusters.Count > 1)
        {
            throw new MeshException("ServerForSeveralClusters", MeshErrorKind.InvalidArgument,
                $"-Server names one API server URL, but {clusters.Count} clusters were given.", options.Server, "Render one cluster at a time with -Server.");
        }

        if (options.TokenSecretName is not null && options.TokenType == MeshTokenType.Bound)
        {
            throw new MeshException("TokenSecretWithBoundToken", MeshErrorKind.InvalidArgument,
                "-TokenSecretName names a token Secret, but -TokenType Bound asks the cluster for a new bound token.", options.TokenSecretName,
                "Use -TokenSecretName with -TokenType Secret (the default), or leave it out.");
        }

        var confirmed = new List<MeshCluster>();
        foreach (var cluster in clusters)
        {
            if (await host.ShouldProcessAsync($"cluster {cluster.Name}", $"Issue a {options.TokenType} token for {options.Namespace}/{options.ServiceAccount} and render its remote secret").ConfigureAwait(false))
            {
                confirmed.Add(cluster);
            }
        }

        await ClusterWork.ForEachAsync(host, "Rendering remote secrets", confirmed, (c, ct) => RemoteSecrets.RenderAsync(c, options, ct), (_, secret) =>
        {
            foreach (var warning in secret.Warnings)
            {
                host.WriteWarning(warning);
            }

            host.WriteObject(secret);
        }).ConfigureAwait(false);
    }
}
