using k8s;
using k8s.Models;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh;

/// <summary>Another token Secret of the reader account on a rotated source, with its token's SHA-256 and whether the module issued it.</summary>
internal sealed record ReplacedToken(string SecretName, string Fingerprint, bool ModuleIssued);

/// <summary>
/// Rotating the reader tokens in remote secrets: the new secrets go into every other cluster, whose istiod is
/// restarted (it keeps the old credentials until then), and only then are the old tokens revoked on the source.
/// </summary>
internal static class TokenRotation
{
    public const string RestartFieldManager = "ossm-multicluster-restart";
    public const string RestartedAtAnnotation = "kubectl.kubernetes.io/restartedAt";

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
}
