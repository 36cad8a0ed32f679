using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh;

/// <summary>Checks on the set of clusters a mesh is made of.</summary>
internal static class ClusterSet
{
    public static void Validate(IReadOnlyList<MeshCluster> clusters, int minimum)
    {
        if (clusters.Count < minimum)
        {
            throw new MeshException("TooFewClusters", MeshErrorKind.InvalidArgument,
                $"{clusters.Count} cluster(s) were given; a multi-primary mesh needs at least {minimum}.", clusters.Count,
                "Pass every cluster of the mesh: Connect-MeshCluster -Cluster (Get-MeshCluster -Kubeconfig $west, $east).");
        }

        var duplicate = clusters.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new MeshException("DuplicateClusterName", MeshErrorKind.InvalidArgument,
                $"Cluster name '{duplicate.Key}' is given {duplicate.Count()} times; each cluster of a mesh needs its own name.", duplicate.Key,
                "Name the clusters apart with Get-MeshCluster -Name.");
        }
    }

    /// <summary>
    /// Clusters sharing a network: legal (a single-network multi-primary mesh, workloads reaching each other directly),
    /// but a slip in the walkthrough's multi-network setup, so a warning that says both ways out.
    /// </summary>
    public static IEnumerable<string> NetworkWarnings(IReadOnlyList<MeshCluster> clusters) =>
        clusters.GroupBy(c => c.Network).Where(g => g.Count() > 1).Select(g =>
            $"Clusters {string.Join(", ", g.Select(c => c.Name))} are all on network '{g.Key}', so their workloads must reach each other directly, " +
            "without east-west gateways. If they are on different networks (as in the multi-network walkthrough), give each its own with " +
            "Get-MeshCluster -Network; if they do share one network, this is a single-network mesh: add -WarningAction SilentlyContinue.");
}
