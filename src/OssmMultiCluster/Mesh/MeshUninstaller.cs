using k8s;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh.Resources;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh;

/// <summary>
/// The uninstall steps, in the reverse order of the install: east-west gateway, control plane, plug-in CA. Each
/// names the objects its install step makes; <see cref="ObjectRemover"/> deletes those that are the module's and
/// reports the rest. Namespaces are never deleted: other things (the operator's, the user's) may live in them.
/// </summary>
internal static class MeshUninstaller
{
    /// <summary>What Install-MeshEastWestGateway makes, istiod's exposure first, the Service last (it holds the address).</summary>
    public static IReadOnlyList<RemovalTarget> GatewayTargets(string ns, string name) => new RemovalTarget[]
    {
        new(KubeKind.Of<VirtualService>(), ns, "istiod-vs"),
        new(KubeKind.Of<Gateway>(), ns, "istiod-gateway"),
        new(KubeKind.Of<Gateway>(), ns, name),
        new(KubeKind.PodDisruptionBudget, ns, name, new[] { "v1", "v1beta1" }),
        new(KubeKind.Deployment, ns, name),
        new(KubeKind.Service, ns, name),
    };

    /// <summary>
    /// What Install-MeshControlPlane makes for <paramref name="flavor"/>, or for both flavours when it is null (the
    /// cluster has whichever it has).
    /// </summary>
    public static IReadOnlyList<RemovalTarget> ControlPlaneTargets(MeshFlavor? flavor, string ns, string? name)
    {
        var targets = new List<RemovalTarget>();
        if (flavor is null or MeshFlavor.Ossm2)
        {
            targets.Add(new(KubeKind.Of<ServiceMeshControlPlane>(), ns, name ?? "basic"));
        }

        if (flavor is null or MeshFlavor.Ossm3)
        {
            targets.Add(new(KubeKind.Of<PeerAuthentication>(), ns, "default"));
            targets.Add(new(KubeKind.Of<Istio>(), null, name ?? "default"));
            targets.Add(new(KubeKind.Of<IstioCni>(), null, "default"));
        }

        return targets;
    }

    /// <summary>
    /// What Connect-MeshCluster gives other clusters to read this one with: the token Secrets the module issued for the
    /// reader account (deleting them revokes their tokens), and, with -CreateServiceAccount, the account, its cluster
    /// role and binding. Found by listing the token Secrets of <paramref name="serviceAccount"/>.
    /// </summary>
    public static async Task<IReadOnlyList<RemovalTarget>> ReaderAccessTargetsAsync(MeshCluster cluster, string ns, string serviceAccount, CancellationToken cancellation)
    {
        var targets = (await RemoteSecrets.TokenSecretsOfAsync(new ResourceApplier(cluster), ns, serviceAccount, cancellation).ConfigureAwait(false))
            .Where(s => RemoteSecrets.IsModuleIssued(s.Metadata.Name, serviceAccount))
            .OrderBy(s => s.Metadata.Name, StringComparer.Ordinal)
            .Select(s => new RemovalTarget(KubeKind.Secret, ns, s.Metadata.Name))
            .ToList();
        var options = new RemoteSecretOptions { Namespace = ns, ServiceAccount = serviceAccount };
        // The binding before the role and the account it names; they are the module's only with -CreateServiceAccount,
        // and the operator's are not reported.
        targets.AddRange(RemoteSecrets.ReaderAccountObjects(options).Reverse().Select(o => new RemovalTarget(o.Kind, o.Namespace, o.Name) { SkipWhenNotMade = true }));
        return targets;
    }

    public static IReadOnlyList<RemovalTarget> CACertificateTargets(string ns) => new[] { new RemovalTarget(KubeKind.Secret, ns, CACertificateInstaller.SecretName) };

    /// <summary>Deletes <paramref name="targets"/> on <paramref name="cluster"/>; what is not the module's is reported with a warning.</summary>
    public static async Task<InstallOutcome> UninstallAsync(MeshCluster cluster, IReadOnlyList<RemovalTarget> targets, CancellationToken cancellation)
    {
        var results = await ObjectRemover.RemoveAsync(cluster, targets, cancellation).ConfigureAwait(false);
        var warnings = results.Where(r => r.Action == MeshResourceAction.Retained)
            .Select(r => $"Cluster '{cluster.Name}': left {r.Describe()} in place, {r.Reason}. Delete it yourself if it is no longer needed.")
            .ToList();
        return new InstallOutcome(results, warnings);
    }

    /// <summary>
    /// Uninstalls the control plane unless the cluster is still connected: other clusters' remote secrets point at it
    /// (their istiod would keep trying to read it), it holds remote secrets of its own, or remotes use its istiod. Checked on <paramref name="peers"/>
    /// (the other clusters known); a peer that cannot be read is a warning, not a refusal, so one stopped cluster does
    /// not block the others.
    /// </summary>
    public static async Task<InstallOutcome> UninstallControlPlaneAsync(MeshCluster cluster, IReadOnlyList<MeshCluster> peers, string ns,
        IReadOnlyList<RemovalTarget> targets, bool force, CancellationToken cancellation)
    {
        var (connections, unverified) = await ConnectionsAsync(cluster, peers, ns, cancellation).ConfigureAwait(false);
        // A primary also stays while remotes use its istiod (primary-remote), even once the remote secrets are gone.
        var pointers = connections.Concat(await RemoteControlPlane.RemotesOfAsync(cluster, peers, ns, cancellation).ConfigureAwait(false)).ToList();
        var warnings = unverified.ToList();
        if (pointers.Count > 0)
        {
            if (!force)
            {
                throw new MeshException("ClusterStillConnected", MeshErrorKind.InvalidOperation,
                    $"Cluster '{cluster.Name}' is still connected to the mesh: {string.Join("; ", pointers)}. Removing its control plane would leave other clusters' istiod reading a cluster without one.",
                    cluster.Name, $"Take it out of the mesh first (Disconnect-MeshCluster -Cluster {cluster.Name} -From <the others>, or Remove-MeshCluster), or rerun with -Force.");
            }

            warnings.Add($"Cluster '{cluster.Name}': -Force removes the control plane although the cluster is still connected ({string.Join("; ", pointers)}).");
        }

        // The CNI serves every control plane of the cluster: it goes only with the last Istio resource.
        var cni = targets.Where(t => t.Kind == KubeKind.Of<IstioCni>()).ToList();
        var outcome = await UninstallAsync(cluster, targets.Except(cni).ToList(), cancellation).ConfigureAwait(false);
        var results = outcome.Results.ToList();
        if (cni.Count > 0)
        {
            var remaining = await RemainingIstiosAsync(cluster, cancellation).ConfigureAwait(false);
            if (remaining.Count == 0)
            {
                results.AddRange(await ObjectRemover.RemoveAsync(cluster, cni, cancellation).ConfigureAwait(false));
            }
            else if (await ObjectRemover.RemoveAsync(cluster, cni, cancellation, dryRun: true).ConfigureAwait(false) is { Count: > 0 } found)
            {
                results.AddRange(found.Select(r => r.Action == MeshResourceAction.Retained ? r
                    : new MeshResourceResult(r.Cluster, r.Kind, r.Namespace, r.Name, MeshResourceAction.Retained, r.ResourceVersion)
                    {
                        Reason = $"other Istio control planes still use it: {string.Join(", ", remaining)}",
                    }));
            }
        }

        var retained = results.Where(r => r.Action == MeshResourceAction.Retained)
            .Select(r => $"Cluster '{cluster.Name}': left {r.Describe()} in place, {r.Reason}. Delete it yourself if it is no longer needed.");
        return new InstallOutcome(results, warnings.Concat(retained).ToList());
    }

    /// <summary>The Istio resources (OSSM 3 control planes) left on the cluster; none when it does not serve them.</summary>
    private static async Task<IReadOnlyList<string>> RemainingIstiosAsync(MeshCluster cluster, CancellationToken cancellation)
    {
        var istios = await new ResourceApplier(cluster).ListAsync(KubeKind.Of<Istio>(), null, "listing Istio resources", cancellation).ConfigureAwait(false);
        return istios.Select(i => i.TryGetProperty("metadata", out var m) && m.TryGetProperty("name", out var n) ? n.GetString() ?? "?" : "?").ToList();
    }

    /// <summary>The remote secrets that tie <paramref name="cluster"/> to the mesh, and the peers that could not be checked.</summary>
    private static async Task<(IReadOnlyList<string> pointers, IReadOnlyList<string> warnings)> ConnectionsAsync(MeshCluster cluster, IReadOnlyList<MeshCluster> peers,
        string ns, CancellationToken cancellation)
    {
        var own = await new ResourceApplier(cluster).ReadAsync((c, ct) => c.CoreV1.ListNamespacedSecretAsync(ns, labelSelector: RemoteSecrets.MultiClusterLabel + "=true", cancellationToken: ct),
            $"listing remote secrets in {ns}", cancellation).ConfigureAwait(false);
        var pointers = (own?.Items ?? new List<k8s.Models.V1Secret>()).Select(s => $"it holds {s.Metadata.Name}").ToList();
        var warnings = new List<string>();
        var checks = peers.Where(p => p.Name != cluster.Name).Select(async peer =>
        {
            try
            {
                var secret = await new ResourceApplier(peer).ReadAsync((c, ct) => c.CoreV1.ReadNamespacedSecretAsync(RemoteSecrets.SecretName(cluster.Name), ns, cancellationToken: ct),
                    $"reading secret {ns}/{RemoteSecrets.SecretName(cluster.Name)}", cancellation).ConfigureAwait(false);
                return (peer: peer.Name, found: secret is not null, error: (string?)null);
            }
            catch (MeshException error)
            {
                return (peer: peer.Name, found: false, error: error.Message);
            }
        }).ToList();
        foreach (var (peer, found, error) in await Task.WhenAll(checks).ConfigureAwait(false))
        {
            if (found)
            {
                pointers.Add($"cluster '{peer}' holds {RemoteSecrets.SecretName(cluster.Name)}");
            }
            else if (error is not null)
            {
                warnings.Add($"Cluster '{cluster.Name}': could not check whether cluster '{peer}' still points at it: {error}");
            }
        }

        return (pointers, warnings);
    }
}
