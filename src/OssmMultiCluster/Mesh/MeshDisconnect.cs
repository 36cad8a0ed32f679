using OssmMultiCluster.Kube;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh;

/// <summary>What Disconnect-MeshCluster and Remove-MeshCluster are told: their parameters as data.</summary>
internal sealed record MeshDisconnectOptions
{
    public string Namespace { get; init; } = MeshNames.ControlPlaneNamespace;

    /// <summary>Disconnect: take ownership of mesh-network fields another manager set. Remove: remove the control plane even if clusters still point at it.</summary>
    public bool Force { get; init; }

    // Remove-MeshCluster only: what is uninstalled after the disconnect.
    public string GatewayName { get; init; } = MeshNames.EastWestGatewayName;

    /// <summary>Only this flavour's control-plane objects; null: whichever the cluster has.</summary>
    public MeshFlavor? Flavor { get; init; }

    /// <summary>The control plane resource's name; null: basic (SMCP) or default (Istio).</summary>
    public string? ControlPlaneName { get; init; }

    /// <summary>The reader account other clusters read the leaving one with; the module's tokens for it are revoked.</summary>
    public string ServiceAccount { get; init; } = MeshNames.ReaderServiceAccount;
}

/// <summary>
/// Taking a cluster out of the mesh. Disconnect-MeshCluster: its remote secret in every other cluster, theirs in it, its
/// network from their mesh networks (theirs from its) and its trust domain from their aliases (theirs from its).
/// Remove-MeshCluster: that disconnect (when clusters that stay are given), then its east-west gateway, control plane,
/// reader access and plug-in CA, each step only once the one before it succeeded.
/// </summary>
internal sealed class MeshDisconnect
{
    private readonly MeshDisconnectOptions _options;

    public MeshDisconnect(MeshDisconnectOptions options) => _options = options;

    /// <summary>Disconnect-MeshCluster: <paramref name="leaving"/> out of the mesh it formed with <paramref name="from"/> (itself there is ignored).</summary>
    public async Task DisconnectAsync(IMeshHost host, MeshCluster leaving, IReadOnlyList<MeshCluster> from)
    {
        var others = from.Where(c => c.Name != leaving.Name).ToList();
        if (others.Count == 0)
        {
            throw new MeshException("TooFewClusters", MeshErrorKind.InvalidArgument,
                $"No other cluster was given to take '{leaving.Name}' out of.", leaving.Name, "Pass the clusters that stay with -From.");
        }

        if (!await host.ShouldProcessAsync($"cluster {leaving.Name}",
                $"Remove it from the mesh with {string.Join(", ", others.Select(c => c.Name))}: delete remote secrets both ways and its network from their mesh networks")
            .ConfigureAwait(false))
        {
            return;
        }

        var options = new ConnectOptions { Namespace = _options.Namespace, Force = _options.Force };
        await ClusterWork.ForEachAsync(host, "Disconnecting cluster " + leaving.Name, new[] { leaving }.Concat(others).ToList(),
            (c, ct) => DisconnectOneAsync(c, leaving, others, options, ct), (_, outcome) => ClusterWork.Report(host, outcome)).ConfigureAwait(false);
    }

    /// <summary>
    /// Remove-MeshCluster: <paramref name="leaving"/> disconnected from <paramref name="from"/> (when given), then its
    /// east-west gateway, control plane, reader access and plug-in CA uninstalled; each step only once the one before it
    /// succeeded, and only what the module made is deleted.
    /// </summary>
    public async Task RemoveAsync(IMeshHost host, MeshCluster leaving, IReadOnlyList<MeshCluster> from)
    {
        var ns = _options.Namespace;
        var others = from.Where(c => c.Name != leaving.Name).GroupBy(c => c.Name).Select(g => g.First()).ToList();
        var description = others.Count == 0
            ? $"Uninstall its east-west gateway, control plane, reader access and plug-in CA in {ns}"
            : $"Disconnect it from {string.Join(", ", others.Select(c => c.Name))}, then uninstall its east-west gateway, control plane, reader access and plug-in CA in {ns}";
        if (!await host.ShouldProcessAsync($"cluster {leaving.Name}", description).ConfigureAwait(false))
        {
            return;
        }

        if (others.Count > 0)
        {
            var options = new ConnectOptions { Namespace = ns };
            // What was already gone (a second run) is not reported: only what this run changed or left.
            var disconnected = await StepAsync(host, "Disconnecting cluster " + leaving.Name, new[] { leaving }.Concat(others).ToList(),
                async (c, ct) =>
                {
                    var outcome = await DisconnectOneAsync(c, leaving, others, options, ct).ConfigureAwait(false);
                    return outcome with { Results = outcome.Results.Where(r => r.Action != MeshResourceAction.Unchanged).ToList() };
                }).ConfigureAwait(false);
            if (!disconnected.Contains(leaving.Name))
            {
                return;
            }
        }

        var steps = new (string activity, Func<MeshCluster, CancellationToken, Task<InstallOutcome>> work)[]
        {
            ("Uninstalling the east-west gateway of " + leaving.Name, (c, ct) => MeshUninstaller.UninstallAsync(c, MeshUninstaller.GatewayTargets(ns, _options.GatewayName), ct)),
            ("Uninstalling the control plane of " + leaving.Name, (c, ct) => MeshUninstaller.UninstallControlPlaneAsync(c, others, ns,
                MeshUninstaller.ControlPlaneTargets(_options.Flavor, ns, _options.ControlPlaneName), _options.Force, ct)),
            // Only once the control plane is gone (so the cluster is out of the mesh, or -Force said so): revoking the
            // reader tokens earlier would cut off clusters that still read this one.
            ("Revoking the reader access of " + leaving.Name, async (c, ct) => await MeshUninstaller.UninstallAsync(c,
                await MeshUninstaller.ReaderAccessTargetsAsync(c, ns, _options.ServiceAccount, ct).ConfigureAwait(false), ct).ConfigureAwait(false)),
            ("Uninstalling the plug-in CA of " + leaving.Name, (c, ct) => MeshUninstaller.UninstallAsync(c, MeshUninstaller.CACertificateTargets(ns), ct)),
        };
        foreach (var (activity, work) in steps)
        {
            if (!(await StepAsync(host, activity, new[] { leaving }, work).ConfigureAwait(false)).Contains(leaving.Name))
            {
                return;
            }
        }
    }

    /// <summary>On <paramref name="cluster"/>: the leaving cluster's secrets and networks gone (<see cref="MeshConnector.DisconnectAsync"/>), then its trust-domain aliases.</summary>
    private static Task<InstallOutcome> DisconnectOneAsync(MeshCluster cluster, MeshCluster leaving, IReadOnlyList<MeshCluster> others, ConnectOptions options,
        CancellationToken cancellation) =>
        TrustDomainAliases.WithDisconnectAsync(MeshConnector.DisconnectAsync(cluster, leaving, others, options, cancellation),
            cluster, leaving, others, options.Namespace, options.Force, cancellation);

    /// <summary>Runs one step on <paramref name="clusters"/> concurrently, writes what it did, and returns the clusters it succeeded on.</summary>
    private static async Task<HashSet<string>> StepAsync(IMeshHost host, string activity, IReadOnlyList<MeshCluster> clusters,
        Func<MeshCluster, CancellationToken, Task<InstallOutcome>> work)
    {
        var succeeded = new HashSet<string>(StringComparer.Ordinal);
        await ClusterWork.ForEachAsync(host, activity, clusters, work, (c, outcome) =>
        {
            ClusterWork.Report(host, outcome);
            if (outcome.Errors.Count == 0)
            {
                succeeded.Add(c.Name);
                if (outcome.Results.Count == 0)
                {
                    host.WriteVerbose($"Nothing to do on cluster '{c.Name}': {activity}.");
                }
            }
        }).ConfigureAwait(false);
        return succeeded;
    }
}
