using k8s;
using k8s.Models;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh;

/// <summary>Another token Secret of the reader account on a rotated source, with its token's SHA-256 and whether the module issued it.</summary>
internal sealed record ReplacedToken(string SecretName, string Fingerprint, bool ModuleIssued);

/// <summary>
/// What Update-MeshRemoteSecret was asked: the sources by name (null: every cluster another cluster reads), how the new
/// tokens are issued (<see cref="Options"/>, its Server left null), each source's API server URL by cluster name, and
/// whether istiod is restarted where the secrets changed.
/// </summary>
internal sealed record TokenRotationRequest(IReadOnlyList<string>? Sources, RemoteSecretOptions Options, IReadOnlyDictionary<string, string> Servers, bool Restart);

/// <summary>The cluster calls of a rotation: one seam, so the order of its steps and its rules are tested without clusters.</summary>
internal interface ITokenRotationCalls
{
    Task<bool> IsRemoteAsync(MeshCluster cluster, string ns, CancellationToken cancellation);

    Task<MeshRemoteSecret> IssueAsync(MeshCluster source, RemoteSecretOptions options, CancellationToken cancellation);

    Task<IReadOnlyList<(string source, string fingerprint)>> CarriedTokensAsync(MeshCluster target, IEnumerable<string> sources, string ns, CancellationToken cancellation);

    Task<InstallOutcome> UpdateTargetAsync(MeshCluster target, IReadOnlyList<MeshRemoteSecret> rotated, string ns, bool restart, CancellationToken cancellation);

    Task<InstallOutcome> RevokeAsync(MeshRemoteSecret rotated, IReadOnlySet<string> carriedFingerprints, string ns, CancellationToken cancellation);
}

/// <summary>
/// Rotating the reader tokens in remote secrets: the new secrets go into every other cluster, whose istiod is
/// restarted (it keeps the old credentials until then), and only then are the old tokens revoked on the source.
/// </summary>
internal static class TokenRotation
{
    public const string RestartFieldManager = "ossm-multicluster-restart";
    public const string RestartedAtAnnotation = "kubectl.kubernetes.io/restartedAt";

    /// <summary>
    /// Update-MeshRemoteSecret: each confirmed source issues a new token; the remote secrets about to be replaced are read
    /// (only the tokens they carry may be revoked); every target gets the new secrets; then, only if every target took
    /// them, the old tokens are revoked. A target that failed still reads the old token, so revoking it would cut that
    /// target off.
    /// </summary>
    public static async Task RunAsync(IMeshHost host, IReadOnlyList<MeshCluster> clusters, TokenRotationRequest request, ITokenRotationCalls? calls = null)
    {
        calls ??= ClusterCalls.Instance;
        var ns = request.Options.Namespace;
        ClusterSet.Validate(clusters, minimum: 2);

        // Primary-remote: a remote reads no cluster, so without -Source only the secrets some other cluster reads are rotated.
        var remotes = new HashSet<MeshCluster>();
        if (request.Sources is null)
        {
            await ClusterWork.ForEachAsync(host, "Finding remotes", clusters, (c, ct) => calls.IsRemoteAsync(c, ns, ct), (c, remote) =>
            {
                if (remote)
                {
                    remotes.Add(c);
                }
            }).ConfigureAwait(false);
        }

        var sources = new List<MeshCluster>();
        foreach (var candidate in clusters.Where(c => request.Sources is null ? clusters.Any(t => t != c && !remotes.Contains(t)) : request.Sources.Contains(c.Name)))
        {
            if (await host.ShouldProcessAsync($"cluster {candidate.Name}",
                    $"Issue a new reader token, update its remote secret in the other clusters{(request.Restart ? ", restart their istiod" : string.Empty)}, revoke the old token").ConfigureAwait(false))
            {
                sources.Add(candidate);
            }
        }

        if (sources.Count == 0)
        {
            return;
        }

        var rotated = new List<MeshRemoteSecret>();
        await ClusterWork.ForEachAsync(host, "Issuing new tokens", sources,
            (c, ct) => calls.IssueAsync(c, request.Options with { Server = request.Servers.GetValueOrDefault(c.Name) }, ct),
            (_, secret) =>
            {
                foreach (var warning in secret.Warnings)
                {
                    host.WriteWarning(warning);
                }

                rotated.Add(secret);
            }).ConfigureAwait(false);

        // What the remote secrets about to be replaced carry: only those tokens may be revoked afterwards.
        var carried = new List<(string source, string fingerprint)>();
        var sourceNames = rotated.Select(s => s.SourceCluster).ToList();
        await ClusterWork.ForEachAsync(host, "Reading the remote secrets to replace", clusters, (c, ct) => calls.CarriedTokensAsync(c, sourceNames, ns, ct),
            (_, tokens) => carried.AddRange(tokens)).ConfigureAwait(false);

        var updated = new HashSet<MeshCluster>();
        await ClusterWork.ForEachAsync(host, "Updating remote secrets", clusters, (c, ct) => calls.UpdateTargetAsync(c, rotated, ns, request.Restart, ct), (c, outcome) =>
        {
            updated.Add(c);
            ClusterWork.Report(host, outcome);
        }).ConfigureAwait(false);

        var failedTargets = clusters.Where(c => !updated.Contains(c)).Select(c => c.Name).ToList();
        if (failedTargets.Count > 0)
        {
            host.WriteWarning($"Old tokens were not revoked: the remote secrets on {string.Join(", ", failedTargets)} could not be updated. Run Update-MeshRemoteSecret again when they are reachable.");
            return;
        }

        var revocations = rotated.Select(s => (s.SourceCluster, (Func<CancellationToken, Task<InstallOutcome>>)(ct => calls.RevokeAsync(s,
            carried.Where(c => c.source == s.SourceCluster).Select(c => c.fingerprint).ToHashSet(StringComparer.Ordinal), ns, ct)))).ToList();
        await ClusterWork.ForEachAsync(host, "Revoking old tokens", revocations, outcome => ClusterWork.Report(host, outcome)).ConfigureAwait(false);
    }

    /// <summary>Installs the rotated secrets on <paramref name="target"/> and restarts its istiod if any changed.</summary>
    public static async Task<InstallOutcome> UpdateTargetAsync(MeshCluster target, IReadOnlyList<MeshRemoteSecret> rotated, string ns, bool restart,
        CancellationToken cancellation)
    {
        var applier = new ResourceApplier(target);
        var results = new List<MeshResourceResult>();
        if (await RemoteControlPlane.IsRemoteClusterAsync(target, ns, cancellation).ConfigureAwait(false))
        {
            // A remote reads no cluster (primary-remote): it gets no remote secrets, rotated or not.
            return InstallOutcome.Of(results);
        }

        foreach (var secret in rotated.Where(s => s.SourceCluster != target.Name))
        {
            results.Add(await applier.ApplyAsync(KubeObject.Of(secret.Secret), force: false, cancellation).ConfigureAwait(false));
        }

        var warnings = new List<string>();
        if (restart && results.Any(r => r.Action != MeshResourceAction.Unchanged))
        {
            var restarted = await RestartIstiodAsync(target, ns, RestartFieldManager, cancellation).ConfigureAwait(false);
            if (restarted.Count == 0)
            {
                warnings.Add($"Cluster '{target.Name}' has no istiod Deployment (label app=istiod) in {ns} to restart; restart its control plane so it reads the new secrets.");
            }

            results.AddRange(restarted);
        }

        return new InstallOutcome(results, warnings);
    }

    /// <summary>
    /// The fingerprints of the tokens <paramref name="target"/>'s remote secrets of <paramref name="sources"/> carry
    /// now, read before the rotation replaces them.
    /// </summary>
    public static async Task<IReadOnlyList<(string source, string fingerprint)>> CarriedTokensAsync(MeshCluster target, IEnumerable<string> sources, string ns,
        CancellationToken cancellation)
    {
        var reader = new ResourceApplier(target);
        var carried = new List<(string, string)>();
        foreach (var source in sources.Where(s => s != target.Name))
        {
            var secret = await reader.ReadAsync((c, ct) => c.CoreV1.ReadNamespacedSecretAsync(RemoteSecrets.SecretName(source), ns, cancellationToken: ct),
                $"reading secret {ns}/{RemoteSecrets.SecretName(source)}", cancellation).ConfigureAwait(false);
            if (secret is not null && RemoteSecrets.CarriedTokenFingerprint(secret) is { } fingerprint)
            {
                carried.Add((source, fingerprint));
            }
        }

        return carried;
    }

    /// <summary>
    /// Revokes the old tokens of a rotated source by deleting the Secrets that held them: only the module's own token
    /// Secrets whose token a replaced remote secret carried. Any other consumer's token (Kiali, another mesh) stays.
    /// </summary>
    public static async Task<InstallOutcome> RevokeAsync(MeshRemoteSecret rotated, IReadOnlySet<string> carriedFingerprints, string ns, CancellationToken cancellation)
    {
        var applier = new ResourceApplier(rotated.Source);
        var results = new List<MeshResourceResult>();
        var carried = rotated.ReplacedTokenSecrets.Where(r => carriedFingerprints.Contains(r.Fingerprint)).ToList();
        foreach (var replaced in carried.Where(r => r.ModuleIssued))
        {
            results.Add(await applier.DeleteAsync(KubeKind.Secret, ns, replaced.SecretName, cancellation).ConfigureAwait(false));
        }

        var kept = carried.Where(r => !r.ModuleIssued).Select(r => $"{ns}/{r.SecretName}").ToList();
        var warnings = kept.Count > 0
            ? new List<string> { $"Cluster '{rotated.SourceCluster}': the replaced remote secrets carried the token of {string.Join(", ", kept)}, which the module did not issue; it was left valid. Delete it yourself if nothing else uses it." }
            : new List<string>();
        return new InstallOutcome(results, warnings);
    }

    /// <summary>
    /// Restarts every istiod Deployment (label app=istiod) in <paramref name="ns"/> as 'kubectl rollout restart' does, the
    /// template annotation applied under <paramref name="fieldManager"/> (each rotation has its own, so neither takes the other's field).
    /// </summary>
    internal static async Task<List<MeshResourceResult>> RestartIstiodAsync(MeshCluster cluster, string ns, string fieldManager, CancellationToken cancellation)
    {
        var deployments = await new ResourceApplier(cluster).ReadAsync((c, ct) => c.AppsV1.ListNamespacedDeploymentAsync(ns, labelSelector: "app=istiod", cancellationToken: ct),
            $"listing istiod deployments in {ns}", cancellation).ConfigureAwait(false);
        var restarter = new ResourceApplier(cluster, fieldManager);
        var results = new List<MeshResourceResult>();
        var now = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var deployment in deployments?.Items ?? new List<V1Deployment>())
        {
            // What 'kubectl rollout restart' does: a new template annotation makes a new rollout.
            results.Add(await restarter.ApplyAsync(KubeObject.Of(new V1Deployment
            {
                Metadata = new V1ObjectMeta { Name = deployment.Metadata.Name, NamespaceProperty = ns },
                Spec = new V1DeploymentSpec
                {
                    Template = new V1PodTemplateSpec { Metadata = new V1ObjectMeta { Annotations = new Dictionary<string, string> { [RestartedAtAnnotation] = now } } },
                },
            }), force: true, cancellation).ConfigureAwait(false));
        }

        return results;
    }

    /// <summary>The calls as made on the clusters.</summary>
    private sealed class ClusterCalls : ITokenRotationCalls
    {
        public static readonly ClusterCalls Instance = new();

        public Task<bool> IsRemoteAsync(MeshCluster cluster, string ns, CancellationToken cancellation) =>
            RemoteControlPlane.IsRemoteClusterAsync(cluster, ns, cancellation);

        public Task<MeshRemoteSecret> IssueAsync(MeshCluster source, RemoteSecretOptions options, CancellationToken cancellation) =>
            RemoteSecrets.RenderAsync(source, options, cancellation, rotate: true);

        public Task<IReadOnlyList<(string source, string fingerprint)>> CarriedTokensAsync(MeshCluster target, IEnumerable<string> sources, string ns,
            CancellationToken cancellation) => TokenRotation.CarriedTokensAsync(target, sources, ns, cancellation);

        public Task<InstallOutcome> UpdateTargetAsync(MeshCluster target, IReadOnlyList<MeshRemoteSecret> rotated, string ns, bool restart, CancellationToken cancellation) =>
            TokenRotation.UpdateTargetAsync(target, rotated, ns, restart, cancellation);

        public Task<InstallOutcome> RevokeAsync(MeshRemoteSecret rotated, IReadOnlySet<string> carriedFingerprints, string ns, CancellationToken cancellation) =>
            TokenRotation.RevokeAsync(rotated, carriedFingerprints, ns, cancellation);
    }
}
