using System.Management.Automation;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Makes the clusters one multi-primary mesh: for every ordered pair, the remote secret of one in the other, and
/// every control plane's mesh networks listing every other network with its gateway address. Clusters are worked
/// on in parallel; a re-run changes only what changed.
/// </summary>
[Cmdlet(VerbsCommunications.Connect, "MeshCluster", SupportsShouldProcess = true)]
[OutputType(typeof(MeshResourceResult), typeof(MeshManifestFile))]
public sealed class ConnectMeshClusterCommand : MeshInstallCmdlet
{
    /// <summary>The id that starts the warning of an export made before a cluster had its control plane.</summary>
    public const string MeshNetworksPendingWarning = "MeshNetworksPending";

    /// <summary>The id that starts the warning of an export made before another cluster's trust domain could be read.</summary>
    public const string TrustDomainAliasesPendingWarning = "TrustDomainAliasesPending";

    private readonly HashSet<MeshCluster> _failed = new();

    [Parameter]
    public MeshTokenType TokenType { get; set; } = MeshTokenType.Secret;

    [Parameter]
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>API server URLs the other clusters reach each cluster at, by cluster name: @{ west = 'https://api.west.example.com:6443' }.</summary>
    [Parameter]
    [ValidateNotNull]
    public System.Collections.Hashtable? Server { get; set; }

    /// <summary>
    /// Names istiod verifies each cluster's API server certificate against, by cluster name, where the server URL's host
    /// is not in the certificate: @{ west = 'api.west.internal' } (the kubeconfig's tls-server-name is used otherwise).
    /// </summary>
    [Parameter]
    [ValidateNotNull]
    public System.Collections.Hashtable? TlsServerName { get; set; }

    /// <summary>Existing token Secrets of each cluster's reader account for the remote secrets to carry, by cluster name (istioctl's --secret-name).</summary>
    [Parameter]
    [ValidateNotNull]
    public System.Collections.Hashtable? TokenSecretName { get; set; }

    [Parameter]
    public SwitchParameter CreateServiceAccount { get; set; }

    /// <summary>OSSM 3: also write mesh networks (OSSM 2.6 always gets them).</summary>
    [Parameter]
    public SwitchParameter MeshNetworks { get; set; }

    [Parameter]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string GatewayName { get; set; } = "istio-eastwestgateway";

    /// <summary>More trust domains every control plane accepts, besides the other clusters' (e.g. one being migrated from).</summary>
    [Parameter]
    [ValidateNotNull]
    [ValidatePattern(MeshNames.TrustDomainPattern)]
    [ValidateLength(1, 255)]
    public string[] TrustDomainAlias { get; set; } = Array.Empty<string>();

    /// <summary>How long to wait for each gateway's address, and for each cluster's token controller to issue a reader token.</summary>
    [Parameter]
    [ValidateTimeout]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(5);

    private protected override void End()
    {
        ClusterSet.Validate(Clusters, minimum: 2);

        foreach (var warning in ClusterSet.NetworkWarnings(Clusters))
        {
            WriteWarning(warning);
        }

        // -OutputPath reads the clusters and changes nothing: the reader accounts and token Secrets go to the tree, and
        // what exists only once they are applied (tokens, a control plane from the Install steps' tree) is reported
        // as pending, for a second export after the first is applied.
        var exporting = OutputPath is not null;
        // Read first: what a cluster gets depends on its control plane (a remote, with no istiod, gets nothing). A
        // cluster without one is an error only once it is to be connected (-WhatIf reports none).
        var notFound = new Dictionary<MeshCluster, MeshException>();
        var controlPlanes = Collect("Finding control planes", Clusters, async (c, ct) =>
        {
            try
            {
                return await Mesh.MeshNetworks.LocateAsync(c, Namespace, ct).ConfigureAwait(false);
            }
            catch (MeshException error) when (error.ErrorId == "ControlPlaneNotFound")
            {
                lock (notFound)
                {
                    notFound[c] = error;
                }

                return null;
            }
        });
        var targets = Clusters.Where(controlPlanes.ContainsKey).Where(c => ShouldProcess($"cluster {c.Name}", controlPlanes[c]?.IsRemote == true
            ? "Nothing to install: a remote runs no istiod and reads no other cluster (its primary holds its remote secret)"
            : $"Install the remote secrets of {string.Join(", ", Clusters.Where(o => o != c).Select(o => o.Name))} and list their networks in the mesh networks and their trust domains as aliases")).ToList();
        foreach (var missing in exporting ? new List<MeshCluster>() : targets.Where(notFound.ContainsKey).ToList())
        {
            WriteMeshError(notFound[missing]);
            _failed.Add(missing);
            targets.Remove(missing);
        }

        if (targets.Count == 0)
        {
            return;
        }

        var options = new ConnectOptions { Namespace = Namespace, MeshNetworks = MeshNetworks, Force = Force };
        var secretOptions = new RemoteSecretOptions
        {
            Namespace = Namespace,
            TokenType = TokenType,
            TokenLifetime = TokenLifetime,
            CreateServiceAccount = CreateServiceAccount,
            TokenTimeout = Timeout,
        };

        foreach (var pending in targets.Where(t => controlPlanes[t] is null))
        {
            WriteWarning($"{MeshNetworksPendingWarning}: cluster '{pending.Name}' has no control plane for namespace {Namespace} yet, so its mesh networks are not in the tree. " +
                         "Apply the Install steps' tree, then run Connect-MeshCluster -OutputPath again.");
        }

        // Only the secrets some cluster reads: none of a primary whose only peers are its remotes.
        var sources = Clusters.Where(c => MeshConnector.SecretNeeded(c, targets.Select(t => (t, controlPlanes[t])))).ToList();
        foreach (var remote in targets.Where(t => controlPlanes[t]?.IsRemote == true))
        {
            WriteVerbose($"{remote.Name}: a remote (Istio '{controlPlanes[remote]!.Name}' has the remote profile): it gets no remote secrets and no mesh networks.");
        }

        Dictionary<MeshCluster, RemoteSecretExport> exports;
        if (exporting)
        {
            exports = Collect("Reading reader tokens", sources, (c, ct) =>
                RemoteSecrets.RenderForExportAsync(c, OptionsFor(c, secretOptions), ct));
        }
        else
        {
            exports = Collect("Rendering remote secrets", sources, async (c, ct) =>
            {
                var rendered = await RemoteSecrets.RenderAsync(c, OptionsFor(c, secretOptions), ct).ConfigureAwait(false);
                return new RemoteSecretExport(c, Array.Empty<KubeObject>(), rendered, rendered.Warnings);
            });
        }

        foreach (var warning in exports.Values.SelectMany(s => s.Warnings))
        {
            WriteWarning(warning);
        }

        var secrets = exports.Values.Where(e => e.Secret is not null).Select(e => e.Secret!).ToList();
        // An export does not wait for addresses that appear only once the gateway's tree is applied, unless told how long.
        var wait = exporting && !MyInvocation.BoundParameters.ContainsKey(nameof(Timeout)) ? TimeSpan.Zero : Timeout;
        var addresses = targets.Any(t => controlPlanes[t] is { } cp && MeshConnector.NeedsMeshNetworks(cp, options))
            ? Collect("Waiting for gateway addresses", Clusters, (c, ct) => GatewayAddresses.WaitAsync(c, Namespace, GatewayName, wait, ct))
            : new Dictionary<MeshCluster, MeshGatewayAddress>();

        // Every cluster's trust domain, the clusters not connected here (-WhatIf, -Confirm) included: the aliases list them all.
        // A remote has no istiod: its workloads carry its primary's trust domain, so it neither has aliases nor is one.
        var domainHolders = Clusters.Where(c => !(controlPlanes.TryGetValue(c, out var cp) && cp?.IsRemote == true)).ToList();
        var trusts = Collect("Reading trust domains", domainHolders, (c, ct) => TrustDomainAliases.ReadAsync(c, Namespace, ct));

        var plans = new List<ClusterPlan>();
        foreach (var target in targets.Where(controlPlanes.ContainsKey))
        {
            var controlPlane = controlPlanes[target];
            var missing = controlPlane is not null && MeshConnector.NeedsMeshNetworks(controlPlane, options)
                ? Clusters.Where(c => c != target && !addresses.ContainsKey(c)).Select(c => c.Name).ToList()
                : new List<string>();
            if (missing.Count > 0)
            {
                // Mesh networks without a network would cut that cluster off: leave them as they are.
                WriteMeshError(new MeshException("MeshNetworksIncomplete", MeshErrorKind.InvalidOperation,
                    $"The mesh networks of cluster '{target.Name}' were not updated: the gateway address of {string.Join(", ", missing)} is unknown.",
                    target.Name, "Fix the errors above for those clusters (gateway installed, address assigned), then run Connect-MeshCluster again."));
            }

            var objects = MeshConnector.Objects(target, secrets, missing.Count > 0 ? null : controlPlane, addresses.Values.ToList(), options);
            if (exports.TryGetValue(target, out var own))
            {
                objects = own.SourceObjects.Concat(objects).ToList();
            }

            var aliases = controlPlane?.IsRemote == true ? null : AliasChangeFor(target, domainHolders, trusts, exporting);
            var planned = aliases is null ? objects : objects.Append(TrustDomainAliases.Object(aliases.ControlPlane, aliases.Aliases)).ToList();
            plans.Add(new ClusterPlan(target, planned, $"Connect cluster {target.Name}",
                ct => TrustDomainAliases.WithAliasesAsync(target, MeshConnector.ConnectAsync(target, objects, Force, ct), aliases, Force, ct)));
        }

        Deliver("Connecting clusters", plans, confirmed: true);
    }

    /// <summary>The change to <paramref name="target"/>'s trust-domain aliases; null (and said why) when another cluster's domain is unknown.</summary>
    private AliasChange? AliasChangeFor(MeshCluster target, IReadOnlyList<MeshCluster> domainHolders, Dictionary<MeshCluster, ControlPlaneTrust?> trusts, bool exporting)
    {
        var (change, unknown) = TrustDomainAliases.ForConnect(target, domainHolders, trusts, TrustDomainAlias);
        if (unknown.Count == 0)
        {
            return change;
        }

        var what = $"the trust-domain aliases of cluster '{target.Name}' were not updated: the trust domain of {string.Join(", ", unknown)} is unknown";
        if (unknown.All(name => _failed.Any(f => f.Name == name)))
        {
            // Those clusters' failures are reported already: once per cluster, not once per step.
            WriteWarning($"TrustDomainAliasesIncomplete: {what} (see the errors for it). Run Connect-MeshCluster again once it is back.");
        }
        else if (exporting)
        {
            WriteWarning($"{TrustDomainAliasesPendingWarning}: {what} (no control plane yet). Apply the Install steps' tree, then run Connect-MeshCluster -OutputPath again.");
        }
        else
        {
            WriteMeshError(new MeshException("TrustDomainAliasesIncomplete", MeshErrorKind.InvalidOperation, char.ToUpperInvariant(what[0]) + what[1..] + ".",
                target.Name, "Fix the errors above for those clusters (control plane installed, cluster reachable), then run Connect-MeshCluster again."));
        }

        return null;
    }

    /// <summary>
    /// Runs one step on every cluster concurrently; clusters that fail are reported and left out of the result, and of
    /// the later steps (a cluster that is down is reported once, not once per step).
    /// </summary>
    private Dictionary<MeshCluster, T> Collect<T>(string activity, IReadOnlyList<MeshCluster> clusters, Func<MeshCluster, CancellationToken, Task<T>> step)
    {
        var collected = new Dictionary<MeshCluster, T>();
        var working = clusters.Where(c => !_failed.Contains(c)).ToList();
        ForEachCluster(activity, working.Select(c => (c.Name, (Func<CancellationToken, Task<(MeshCluster, T)>>)(async ct => (c, await step(c, ct).ConfigureAwait(false))))).ToList(),
            pair => collected[pair.Item1] = pair.Item2);
        _failed.UnionWith(working.Where(c => !collected.ContainsKey(c)));
        return collected;
    }

    /// <summary>The remote-secret options of one source cluster: its -Server, -TlsServerName and -TokenSecretName entries.</summary>
    private RemoteSecretOptions OptionsFor(MeshCluster cluster, RemoteSecretOptions common) => common with
    {
        Server = Server?[cluster.Name]?.ToString(),
        TlsServerName = TlsServerName?[cluster.Name]?.ToString(),
        TokenSecretName = TokenSecretName?[cluster.Name]?.ToString(),
    };
}
