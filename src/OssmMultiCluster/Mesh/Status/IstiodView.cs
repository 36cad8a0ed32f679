using System.Text.Json;
using k8s;
using k8s.Models;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh.Connectivity;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh.Status;

/// <summary>One entry of istiod's debug/clusterz: a remote cluster's ID, the secret it came from, and its sync state.</summary>
internal sealed record IstiodClusterEntry(string Id, string SecretName, string SyncStatus);

/// <summary>
/// The mesh as each istiod sees it: its list of remote clusters (debug/clusterz, what 'istioctl remote-clusters'
/// shows) set against the remote secrets on its cluster.
/// </summary>
/// <remarks>
/// istiod serves debug/clusterz on its monitoring port and answers unauthenticated requests only from localhost. The
/// Kubernetes API server's service and pod proxies drop the caller's credentials and connect from the API server, so
/// istiod refuses them (401); the request is therefore made inside the istiod container, through the API server's pod
/// exec, with istiod's own client ('pilot-discovery request GET /debug/clusterz', which calls 127.0.0.1:15014). No port
/// is opened and nothing is installed. The exec goes through <see cref="PodExecTransport"/>, the module's one pod-exec
/// seam, so the lab (which has no kubelet and no istiod) tests everything up to the exec with a named stand-in.
/// </remarks>
internal static class IstiodView
{
    public const string IstiodLabel = "app=istiod";
    public const string IstiodContainer = "discovery";
    public static readonly IReadOnlyList<string> ClusterzCommand = new[] { "pilot-discovery", "request", "GET", "/debug/clusterz" };

    /// <summary>Asks every running istiod of the cluster for its remote clusters and judges them against the remote secrets there.</summary>
    public static async Task<IReadOnlyList<MeshRemoteCluster>> ReadAsync(MeshCluster cluster, string ns, IPodExec exec, CancellationToken cancellation)
    {
        var reader = new ResourceApplier(cluster);
        var pods = await reader.ReadAsync((c, ct) => c.CoreV1.ListNamespacedPodAsync(ns, labelSelector: IstiodLabel, cancellationToken: ct),
            $"listing istiod pods in {ns}", cancellation).ConfigureAwait(false);
        var running = (pods?.Items ?? new List<V1Pod>())
            .Where(p => p.Status?.Phase == "Running" && p.Metadata.DeletionTimestamp is null)
            .OrderBy(p => p.Metadata.Name, StringComparer.Ordinal)
            .ToList();
        if (running.Count == 0)
        {
            throw new MeshException("IstiodNotRunning", MeshErrorKind.ObjectNotFound,
                $"Cluster '{cluster.Name}' has no running istiod pod ({IstiodLabel}) in namespace '{ns}', so there is no istiod view to read.",
                cluster.Name,
                $"Install the control plane (Install-MeshControlPlane) and wait for istiod: 'kubectl -n {ns} get pods -l {IstiodLabel}'. " +
                "Use -Namespace when the control plane runs elsewhere.");
        }

        var secrets = await reader.ReadAsync((c, ct) => c.CoreV1.ListNamespacedSecretAsync(ns, labelSelector: $"{RemoteSecrets.MultiClusterLabel}=true", cancellationToken: ct),
            "listing remote secrets", cancellation).ConfigureAwait(false);
        var expected = ExpectedClusters(ns, secrets?.Items ?? new List<V1Secret>());

        var views = await Task.WhenAll(running.Select(async pod =>
        {
            var entries = await AskAsync(cluster, ns, pod.Metadata.Name, exec, cancellation).ConfigureAwait(false);
            return Judge(cluster.Name, pod.Metadata.Name, entries, expected);
        })).ConfigureAwait(false);
        return views.SelectMany(v => v).ToList();
    }

    /// <summary>
    /// Get-MeshStatus -IstiodView: the view as status checks, one per remote cluster; a cluster whose istiod cannot be
    /// asked is one Error check, not a thrown error, like the other checks.
    /// </summary>
    public static async Task<IReadOnlyList<MeshStatusCheck>> ChecksAsync(MeshCluster cluster, string ns, IPodExec exec, CancellationToken cancellation)
    {
        const string check = "istiod-view";
        try
        {
            var view = await ReadAsync(cluster, ns, exec, cancellation).ConfigureAwait(false);
            return view.Select(v => new MeshStatusCheck(cluster.Name, check, v.Status, $"{v.RemoteCluster}: {v.Detail} ({v.Istiod})")).ToList();
        }
        catch (MeshException error)
        {
            return new[] { new MeshStatusCheck(cluster.Name, check, MeshCheckStatus.Error, $"{error.ErrorId}: {error.Message}") };
        }
    }

    /// <summary>The clusters istiod should load from the remote secrets: one per kubeconfig key, as istiod reads them.</summary>
    public static IReadOnlyList<(string Cluster, string SecretName)> ExpectedClusters(string ns, IEnumerable<V1Secret> remoteSecrets) =>
        remoteSecrets
            .SelectMany(s => (s.Data?.Keys ?? (IEnumerable<string>)Array.Empty<string>()).Select(key => (key, $"{ns}/{s.Metadata.Name}")))
            .OrderBy(e => e.key, StringComparer.Ordinal)
            .ToList();

    private static async Task<IReadOnlyList<IstiodClusterEntry>> AskAsync(MeshCluster cluster, string ns, string pod, IPodExec exec, CancellationToken cancellation)
    {
        var result = await exec.ExecAsync(cluster, ns, pod, IstiodContainer, ClusterzCommand, cancellation).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            var said = FirstLine(result.Stderr) ?? FirstLine(result.Stdout) ?? $"exit code {result.ExitCode}";
            throw new MeshException("IstiodDebugFailed", MeshErrorKind.ReadError,
                $"Cluster '{cluster.Name}': istiod pod {ns}/{pod} did not answer debug/clusterz ({said}).", cluster.Name,
                result.ExitCode == 127
                    ? $"The container '{IstiodContainer}' has no pilot-discovery: check that {ns}/{pod} runs istiod's own image."
                    : $"Check istiod's health: 'kubectl -n {ns} logs {pod} -c {IstiodContainer}'.");
        }

        return ParseClusterz(result.Stdout, cluster.Name, $"{ns}/{pod}");
    }

    /// <summary>
    /// Reads debug/clusterz as istiod writes it: a JSON array of {"id", "secretName", "syncStatus"} (null when istiod has
    /// no remote clusters).
    /// </summary>
    public static IReadOnlyList<IstiodClusterEntry> ParseClusterz(string json, string cluster, string source)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Null)
            {
                return Array.Empty<IstiodClusterEntry>();
            }

            if (root.ValueKind != JsonValueKind.Array)
            {
                throw Invalid(cluster, source, $"expected a JSON array, got {root.ValueKind}");
            }

            var entries = new List<IstiodClusterEntry>();
            foreach (var item in root.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String)
                {
                    throw Invalid(cluster, source, "an entry has no cluster id");
                }

                entries.Add(new IstiodClusterEntry(id.GetString()!, StringOf(item, "secretName"), StringOf(item, "syncStatus")));
            }

            return entries;
        }
        catch (JsonException ex)
        {
            throw Invalid(cluster, source, $"not JSON ({ex.Message})");
        }
    }

    /// <summary>
    /// istiod's entries against the remote secrets: each expected cluster gets istiod's status (or 'missing'); a cluster
    /// istiod lists that no secret here names is a warning; istiod's own cluster (no secret) is left out.
    /// </summary>
    public static IReadOnlyList<MeshRemoteCluster> Judge(string cluster, string istiod, IReadOnlyList<IstiodClusterEntry> entries,
        IReadOnlyList<(string Cluster, string SecretName)> expected)
    {
        var results = new List<MeshRemoteCluster>();
        foreach (var (remote, secretName) in expected)
        {
            var seen = entries.FirstOrDefault(e => e.Id == remote);
            if (seen is null)
            {
                results.Add(new MeshRemoteCluster(cluster, istiod, remote, null, "missing", MeshCheckStatus.Error,
                    $"remote secret {secretName} names cluster '{remote}', but istiod has not loaded it; check istiod's log for the secret " +
                    "and that the secret carries the label istio/multiCluster=true in istiod's namespace"));
                continue;
            }

            var (status, detail) = seen.SyncStatus.ToLowerInvariant() switch
            {
                "synced" => (MeshCheckStatus.OK, $"istiod reads cluster '{remote}' from {seen.SecretName} and has synced it"),
                "syncing" => (MeshCheckStatus.Warning, $"istiod is still syncing cluster '{remote}'; run again in a minute, and if it stays, " +
                                                        "check that the remote secret's account may read what istiod watches there"),
                "timeout" => (MeshCheckStatus.Error, $"istiod gave up waiting for cluster '{remote}' to sync: its API server is unreachable " +
                                                      "from istiod, or the remote secret's account lacks permissions (Get-MeshStatus checks the secret)"),
                "closed" => (MeshCheckStatus.Error, $"istiod closed its connection to cluster '{remote}' (the secret was replaced or removed)"),
                var other => (MeshCheckStatus.Warning, $"istiod reports cluster '{remote}' as '{other}'"),
            };
            results.Add(new MeshRemoteCluster(cluster, istiod, remote, seen.SecretName, seen.SyncStatus, status, detail));
        }

        foreach (var extra in entries.Where(e => expected.All(x => x.Cluster != e.Id)))
        {
            if (extra.Id == cluster && string.IsNullOrEmpty(extra.SecretName))
            {
                continue;
            }

            results.Add(new MeshRemoteCluster(cluster, istiod, extra.Id, extra.SecretName, extra.SyncStatus, MeshCheckStatus.Warning,
                $"istiod reads cluster '{extra.Id}' from {(string.IsNullOrEmpty(extra.SecretName) ? "no secret" : extra.SecretName)}, " +
                "which no remote secret here names; a secret istiod has not let go of, or one outside the module's label"));
        }

        return results;
    }

    private static string StringOf(JsonElement item, string name) =>
        item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : string.Empty;

    private static string? FirstLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();

    private static MeshException Invalid(string cluster, string source, string what) =>
        new("IstiodResponseInvalid", MeshErrorKind.InvalidData,
            $"Cluster '{cluster}': istiod {source} answered debug/clusterz with something unexpected: {what}.", cluster,
            "Compare istiod's version with the ones the module supports (OSSM 2.6, OSSM 3); 'istioctl remote-clusters' shows the same list.");
}
