using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh.Prerequisites;

/// <summary>
/// Test-MeshPrerequisite as a service: each cluster read once in parallel (with -ProbeLoadBalancer, only where the user
/// confirmed the throwaway Service), the verdicts across them, then the summary.
/// </summary>
internal static class PrerequisiteReport
{
    public static async Task RunAsync(IMeshHost host, IReadOnlyList<MeshCluster> clusters, PrerequisiteOptions options, bool probeLoadBalancer,
        IReadOnlyList<MeshCertificateAuthority> authorities)
    {
        if (options.ProbeTimeout <= TimeSpan.Zero)
        {
            throw new MeshException("TimeoutInvalid", MeshErrorKind.InvalidArgument, $"-ProbeTimeout {options.ProbeTimeout} is not a positive time span.", options.ProbeTimeout,
                "Give how long to wait for the probe's address, e.g. -ProbeTimeout 00:00:30.");
        }

        var work = new List<(string, Func<CancellationToken, Task<ClusterFacts>>)>();
        foreach (var cluster in clusters)
        {
            var probe = probeLoadBalancer && await host.ShouldProcessAsync($"cluster {cluster.Name}",
                $"Create a throwaway LoadBalancer Service in {options.ProbeNamespace}, wait up to {options.ProbeTimeout.TotalSeconds:0} s for an address, delete it").ConfigureAwait(false);
            var own = options with { ProbeLoadBalancer = probe };
            work.Add((cluster.Name, ct => ClusterFacts.ReadAsync(cluster, own, ct)));
        }

        var facts = new List<ClusterFacts>();
        await ClusterWork.ForEachAsync(host, "Checking prerequisites", work, facts.Add).ConfigureAwait(false);
        var checks = PrerequisiteChecker.Check(facts, options, authorities);
        foreach (var check in checks)
        {
            host.WriteObject(check);
        }

        host.WriteObject(PrerequisiteChecker.Summarize(clusters.Count, checks));
    }
}
