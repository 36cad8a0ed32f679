using OssmMultiCluster.Kube;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh;

/// <summary>What Connect-MeshCluster is told: its parameters as data, the by-cluster tables keyed by cluster name.</summary>
internal sealed record MeshConnectOptions
{
    private static readonly IReadOnlyDictionary<string, string> None = new Dictionary<string, string>();

    public string Namespace { get; init; } = MeshNames.ControlPlaneNamespace;

    public MeshTokenType TokenType { get; init; } = MeshTokenType.Secret;

    public TimeSpan TokenLifetime { get; init; } = MeshDefaults.TokenLifetime;

    /// <summary>API server URLs the other clusters reach each cluster at (-Server).</summary>
    public IReadOnlyDictionary<string, string> Server { get; init; } = None;

    /// <summary>Names istiod verifies each cluster's API server certificate against (-TlsServerName).</summary>
    public IReadOnlyDictionary<string, string> TlsServerName { get; init; } = None;

    /// <summary>Existing token Secrets of each cluster's reader account for the remote secrets to carry (-TokenSecretName).</summary>
    public IReadOnlyDictionary<string, string> TokenSecretName { get; init; } = None;

    public bool CreateServiceAccount { get; init; }

    /// <summary>OSSM 3: also write mesh networks (OSSM 2.6 always gets them).</summary>
    public bool MeshNetworks { get; init; }

    public string GatewayName { get; init; } = MeshNames.EastWestGatewayName;

    /// <summary>More trust domains every control plane accepts, besides the other clusters'.</summary>
    public IReadOnlyList<string> TrustDomainAlias { get; init; } = Array.Empty<string>();

    /// <summary>How long to wait for each gateway's address, and for each cluster's token controller to issue a reader token.</summary>
    public TimeSpan Timeout { get; init; } = MeshDefaults.ReadyTimeout;

    /// <summary>-Timeout was given: only then does an export wait for gateway addresses.</summary>
    public bool TimeoutGiven { get; init; }

    public bool Force { get; init; }

    public ConnectOptions Connect => new() { Namespace = Namespace, MeshNetworks = MeshNetworks, Force = Force };
}

/// <summary>What Connect reads from the clusters: the clusters themselves, or a stand-in in tests.</summary>
internal interface IConnectReads
{
    Task<ControlPlaneRef> LocateAsync(MeshCluster cluster, string ns, CancellationToken cancellation);

    Task<MeshRemoteSecret> RenderAsync(MeshCluster source, RemoteSecretOptions options, CancellationToken cancellation);

    Task<RemoteSecretExport> RenderForExportAsync(MeshCluster source, RemoteSecretOptions options, CancellationToken cancellation);

    Task<MeshGatewayAddress> WaitForGatewayAsync(MeshCluster cluster, string ns, string name, TimeSpan timeout, CancellationToken cancellation);

    Task<ControlPlaneTrust?> ReadTrustAsync(MeshCluster cluster, string ns, CancellationToken cancellation);
}

/// <summary>Connect's reads, from the clusters.</summary>
internal sealed class ClusterConnectReads : IConnectReads
{
    public static readonly ClusterConnectReads Instance = new();

    public Task<ControlPlaneRef> LocateAsync(MeshCluster cluster, string ns, CancellationToken cancellation) => MeshNetworks.LocateAsync(cluster, ns, cancellation);

    public Task<MeshRemoteSecret> RenderAsync(MeshCluster source, RemoteSecretOptions options, CancellationToken cancellation) =>
        RemoteSecrets.RenderAsync(source, options, cancellation);

    public Task<RemoteSecretExport> RenderForExportAsync(MeshCluster source, RemoteSecretOptions options, CancellationToken cancellation) =>
        RemoteSecrets.RenderForExportAsync(source, options, cancellation);

    public Task<MeshGatewayAddress> WaitForGatewayAsync(MeshCluster cluster, string ns, string name, TimeSpan timeout, CancellationToken cancellation) =>
        GatewayAddresses.WaitAsync(cluster, ns, name, timeout, cancellation);

    public Task<ControlPlaneTrust?> ReadTrustAsync(MeshCluster cluster, string ns, CancellationToken cancellation) => TrustDomainAliases.ReadAsync(cluster, ns, cancellation);
}

/// <summary>
/// Connect-MeshCluster: makes the clusters one multi-primary mesh. Each cluster's control plane is found first (a
/// remote, with no istiod, gets nothing), then the remote secrets some cluster reads, the gateway addresses the mesh
/// networks list and every trust domain; each cluster's plan (<see cref="MeshConnector.Objects"/> and its trust-domain
/// aliases) is then applied or exported by <see cref="PlanDelivery"/>. A cluster that fails a read is reported once and
/// left out of the later reads.
/// </summary>
internal sealed class MeshConnect
{
    /// <summary>The id that starts the warning of an export made before a cluster had its control plane.</summary>
    public const string MeshNetworksPendingWarning = "MeshNetworksPending";

    /// <summary>The id that starts the warning of an export made before another cluster's trust domain could be read.</summary>
    public const string TrustDomainAliasesPendingWarning = "TrustDomainAliasesPending";

    private readonly MeshConnectOptions _options;
    private readonly IConnectReads _reads;

    public MeshConnect(MeshConnectOptions options, IConnectReads? reads = null)
    {
        _options = options;
        _reads = reads ?? ClusterConnectReads.Instance;
    }

    public async Task RunAsync(IMeshHost host, IReadOnlyList<MeshCluster> clusters, Delivery delivery)
    {
        var plans = await PlanAsync(host, clusters, delivery.Exporting).ConfigureAwait(false);
        if (plans.Count > 0)
        {
            await PlanDelivery.DeliverAsync(host, "Connecting clusters", plans, delivery, confirmed: true).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads the clusters and returns the plan of each cluster confirmed (-WhatIf, -Confirm are asked here, once per
    /// cluster); what cannot be done is written to <paramref name="host"/> as it is found.
    /// </summary>
    /// <param name="exporting">
    /// -OutputPath: the clusters are read and nothing changes. The reader accounts and token Secrets go to the tree, and
    /// what exists only once they are applied (tokens, a control plane from the Install steps' tree) is reported as
    /// pending, for a second export after the first is applied.
    /// </param>
    public async Task<IReadOnlyList<ClusterPlan>> PlanAsync(IMeshHost host, IReadOnlyList<MeshCluster> clusters, bool exporting)
    {
        ClusterSet.Validate(clusters, minimum: 2);
        foreach (var warning in ClusterSet.NetworkWarnings(clusters))
        {
            host.WriteWarning(warning);
        }

        var failed = new HashSet<MeshCluster>();
        var ns = _options.Namespace;
        // Read first: what a cluster gets depends on its control plane (a remote, with no istiod, gets nothing). A
        // cluster without one is an error only once it is to be connected (-WhatIf reports none).
        var notFound = new Dictionary<MeshCluster, MeshException>();
        var controlPlanes = await ClusterWork.CollectAsync(host, "Finding control planes", clusters, failed, async (c, ct) =>
        {
            try
            {
                return await _reads.LocateAsync(c, ns, ct).ConfigureAwait(false);
            }
            catch (MeshException error) when (error.ErrorId == "ControlPlaneNotFound")
            {
                lock (notFound)
                {
                    notFound[c] = error;
                }

                return null;
            }
        }).ConfigureAwait(false);
        var targets = new List<MeshCluster>();
        foreach (var c in clusters.Where(controlPlanes.ContainsKey))
        {
            if (await host.ShouldProcessAsync($"cluster {c.Name}", controlPlanes[c]?.IsRemote == true
                    ? "Nothing to install: a remote runs no istiod and reads no other cluster (its primary holds its remote secret)"
                    : $"Install the remote secrets of {string.Join(", ", clusters.Where(o => o != c).Select(o => o.Name))} and list their networks in the mesh networks and their trust domains as aliases")
                .ConfigureAwait(false))
            {
                targets.Add(c);
            }
        }

        foreach (var missing in exporting ? new List<MeshCluster>() : targets.Where(notFound.ContainsKey).ToList())
        {
            host.WriteError(notFound[missing]);
            failed.Add(missing);
            targets.Remove(missing);
        }

        if (targets.Count == 0)
        {
            return Array.Empty<ClusterPlan>();
        }

        foreach (var pending in targets.Where(t => controlPlanes[t] is null))
        {
            host.WriteWarning($"{MeshNetworksPendingWarning}: cluster '{pending.Name}' has no control plane for namespace {ns} yet, so its mesh networks are not in the tree. " +
                              "Apply the Install steps' tree, then run Connect-MeshCluster -OutputPath again.");
        }

        // Only the secrets some cluster reads: none of a primary whose only peers are its remotes.
        var sources = clusters.Where(c => MeshConnector.SecretNeeded(c, targets.Select(t => (t, controlPlanes[t])))).ToList();
        foreach (var remote in targets.Where(t => controlPlanes[t]?.IsRemote == true))
        {
            host.WriteVerbose($"{remote.Name}: a remote (Istio '{controlPlanes[remote]!.Name}' has the remote profile): it gets no remote secrets and no mesh networks.");
        }

        var exports = await ReadSecretsAsync(host, sources, failed, exporting).ConfigureAwait(false);
        foreach (var warning in exports.Values.SelectMany(s => s.Warnings))
        {
            host.WriteWarning(warning);
        }

        var secrets = exports.Values.Where(e => e.Secret is not null).Select(e => e.Secret!).ToList();
        var connect = _options.Connect;
        // An export does not wait for addresses that appear only once the gateway's tree is applied, unless told how long.
        var wait = exporting && !_options.TimeoutGiven ? TimeSpan.Zero : _options.Timeout;
        var addresses = targets.Any(t => controlPlanes[t] is { } cp && MeshConnector.NeedsMeshNetworks(cp, connect))
            ? await ClusterWork.CollectAsync(host, "Waiting for gateway addresses", clusters, failed,
                (c, ct) => _reads.WaitForGatewayAsync(c, ns, _options.GatewayName, wait, ct)).ConfigureAwait(false)
            : new Dictionary<MeshCluster, MeshGatewayAddress>();

        // Every cluster's trust domain, the clusters not connected here (-WhatIf, -Confirm) included: the aliases list them all.
        // A remote has no istiod: its workloads carry its primary's trust domain, so it neither has aliases nor is one.
        var domainHolders = clusters.Where(c => !(controlPlanes.TryGetValue(c, out var cp) && cp?.IsRemote == true)).ToList();
        var trusts = await ClusterWork.CollectAsync(host, "Reading trust domains", domainHolders, failed, (c, ct) => _reads.ReadTrustAsync(c, ns, ct)).ConfigureAwait(false);

        var plans = new List<ClusterPlan>();
        foreach (var target in targets.Where(controlPlanes.ContainsKey))
        {
            var controlPlane = controlPlanes[target];
            var missing = controlPlane is not null && MeshConnector.NeedsMeshNetworks(controlPlane, connect)
                ? clusters.Where(c => c != target && !addresses.ContainsKey(c)).Select(c => c.Name).ToList()
                : new List<string>();
            if (missing.Count > 0)
            {
                // Mesh networks without a network would cut that cluster off: leave them as they are.
                host.WriteError(new MeshException("MeshNetworksIncomplete", MeshErrorKind.InvalidOperation,
                    $"The mesh networks of cluster '{target.Name}' were not updated: the gateway address of {string.Join(", ", missing)} is unknown.",
                    target.Name, "Fix the errors above for those clusters (gateway installed, address assigned), then run Connect-MeshCluster again."));
            }

            var objects = MeshConnector.Objects(target, secrets, missing.Count > 0 ? null : controlPlane, addresses.Values.ToList(), connect);
            if (exports.TryGetValue(target, out var own))
            {
                objects = own.SourceObjects.Concat(objects).ToList();
            }

            var aliases = controlPlane?.IsRemote == true ? null : AliasChangeFor(host, target, domainHolders, trusts, failed, exporting);
            var planned = aliases is null ? objects : objects.Append(TrustDomainAliases.Object(aliases.ControlPlane, aliases.Aliases)).ToList();
            var force = _options.Force;
            plans.Add(new ClusterPlan(target, planned, $"Connect cluster {target.Name}",
                ct => TrustDomainAliases.WithAliasesAsync(target, MeshConnector.ConnectAsync(target, objects, force, ct), aliases, force, ct)));
        }

        return plans;
    }

    /// <summary>
    /// The remote secrets of <paramref name="sources"/>: rendered from each cluster's reader token, or, for an export,
    /// with the source's own objects (reader account, token Secret) and a secret only where the token exists already.
    /// </summary>
    private Task<Dictionary<MeshCluster, RemoteSecretExport>> ReadSecretsAsync(IMeshHost host, IReadOnlyList<MeshCluster> sources, ISet<MeshCluster> failed, bool exporting) =>
        exporting
            ? ClusterWork.CollectAsync(host, "Reading reader tokens", sources, failed, (c, ct) => _reads.RenderForExportAsync(c, SecretOptionsFor(c), ct))
            : ClusterWork.CollectAsync(host, "Rendering remote secrets", sources, failed, async (c, ct) =>
            {
                var rendered = await _reads.RenderAsync(c, SecretOptionsFor(c), ct).ConfigureAwait(false);
                return new RemoteSecretExport(c, Array.Empty<KubeObject>(), rendered, rendered.Warnings);
            });

    /// <summary>The change to <paramref name="target"/>'s trust-domain aliases; null (and said why) when another cluster's domain is unknown.</summary>
    private AliasChange? AliasChangeFor(IMeshHost host, MeshCluster target, IReadOnlyList<MeshCluster> domainHolders, Dictionary<MeshCluster, ControlPlaneTrust?> trusts,
        ISet<MeshCluster> failed, bool exporting)
    {
        var (change, unknown) = TrustDomainAliases.ForConnect(target, domainHolders, trusts, _options.TrustDomainAlias);
        if (unknown.Count == 0)
        {
            return change;
        }

        var what = $"the trust-domain aliases of cluster '{target.Name}' were not updated: the trust domain of {string.Join(", ", unknown)} is unknown";
        if (unknown.All(name => failed.Any(f => f.Name == name)))
        {
            // Those clusters' failures are reported already: once per cluster, not once per step.
            host.WriteWarning($"TrustDomainAliasesIncomplete: {what} (see the errors for it). Run Connect-MeshCluster again once it is back.");
        }
        else if (exporting)
        {
            host.WriteWarning($"{TrustDomainAliasesPendingWarning}: {what} (no control plane yet). Apply the Install steps' tree, then run Connect-MeshCluster -OutputPath again.");
        }
        else
        {
            host.WriteError(new MeshException("TrustDomainAliasesIncomplete", MeshErrorKind.InvalidOperation, char.ToUpperInvariant(what[0]) + what[1..] + ".",
                target.Name, "Fix the errors above for those clusters (control plane installed, cluster reachable), then run Connect-MeshCluster again."));
        }

        return null;
    }

    /// <summary>The remote-secret options of one source cluster: its -Server, -TlsServerName and -TokenSecretName entries.</summary>
    private RemoteSecretOptions SecretOptionsFor(MeshCluster cluster) => new()
    {
        Namespace = _options.Namespace,
        TokenType = _options.TokenType,
        TokenLifetime = _options.TokenLifetime,
        CreateServiceAccount = _options.CreateServiceAccount,
        TokenTimeout = _options.Timeout,
        Server = _options.Server.GetValueOrDefault(cluster.Name),
        TlsServerName = _options.TlsServerName.GetValueOrDefault(cluster.Name),
        TokenSecretName = _options.TokenSecretName.GetValueOrDefault(cluster.Name),
    };
}
