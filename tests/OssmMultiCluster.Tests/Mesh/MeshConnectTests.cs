using System.Collections.Concurrent;
using k8s.Models;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Mesh;

/// <summary>
/// Connect-MeshCluster's decisions, with the clusters' reads played by a stand-in: who gets what, which remote secrets
/// are made, and what is reported (with the texts users see) when a read fails or a control plane is not there yet.
/// </summary>
public sealed class MeshConnectTests
{
    private static readonly MeshCluster West = TestClusters.Offline("west", "west-network");
    private static readonly MeshCluster East = TestClusters.Offline("east", "east-network");
    private static readonly MeshCluster North = TestClusters.Offline("north", "north-network");
    private static readonly MeshCluster[] All = { West, East, North };

    private static readonly ControlPlaneRef Smcp = new(MeshFlavor.Ossm2, "basic", MeshNames.ControlPlaneNamespace);
    private static readonly ControlPlaneRef Remote = new(MeshFlavor.Ossm3, "default", MeshNames.ControlPlaneNamespace) { IsRemote = true };

    [Fact]
    public async Task Every_primary_gets_the_others_secrets_and_mesh_networks_and_nothing_is_reported()
    {
        var reads = new Reads();
        var host = new RecordingHost();
        var plans = await new MeshConnect(new MeshConnectOptions(), reads).PlanAsync(host, All, exporting: false);

        Assert.Equal(new[] { "west", "east", "north" }, plans.Select(p => p.Cluster.Name));
        Assert.Equal(new[] { "istio-remote-secret-east", "istio-remote-secret-north", "basic" }, Names(plans[0]));
        Assert.Equal(new[] { "east", "north", "west" }, reads.Rendered.Order());
        Assert.Empty(host.Of("error"));
        Assert.Empty(host.Of("warning"));
        Assert.Equal("cluster west|Install the remote secrets of east, north and list their networks in the mesh networks and their trust domains as aliases",
            host.Of("shouldprocess").First());
    }

    [Fact]
    public async Task A_missing_gateway_address_is_that_clusters_error_once_and_MeshNetworksIncomplete_for_the_others_whose_networks_are_left()
    {
        var reads = new Reads { NoGateway = { "east" } };
        var host = new RecordingHost();
        var plans = await new MeshConnect(new MeshConnectOptions(), reads).PlanAsync(host, All, exporting: false);

        Assert.Equal(new[]
        {
            "GatewayAddressTimeout: east has no address",
            "MeshNetworksIncomplete: The mesh networks of cluster 'west' were not updated: the gateway address of east is unknown.",
            "MeshNetworksIncomplete: The mesh networks of cluster 'north' were not updated: the gateway address of east is unknown.",
        }, host.Of("error"));
        // West keeps its secrets but its mesh networks are not written; east knows every other address.
        Assert.Equal(new[] { "istio-remote-secret-east", "istio-remote-secret-north" }, Names(plans[0]));
        Assert.Equal(new[] { "istio-remote-secret-west", "istio-remote-secret-north", "basic" }, Names(plans[1]));
        // East failed a read, so its trust domain was not read: said once, as a warning pointing at its error.
        Assert.Equal(new[]
        {
            "TrustDomainAliasesIncomplete: the trust-domain aliases of cluster 'west' were not updated: the trust domain of east is unknown (see the errors for it). Run Connect-MeshCluster again once it is back.",
            "TrustDomainAliasesIncomplete: the trust-domain aliases of cluster 'north' were not updated: the trust domain of east is unknown (see the errors for it). Run Connect-MeshCluster again once it is back.",
        }, host.Of("warning"));
        Assert.DoesNotContain("east", reads.TrustsRead);
    }

    [Fact]
    public async Task A_remote_gets_nothing_and_only_its_secret_is_made_for_its_primary()
    {
        var reads = new Reads { ControlPlanes = { ["east"] = Remote } };
        var host = new RecordingHost();
        var plans = await new MeshConnect(new MeshConnectOptions(), reads).PlanAsync(host, new[] { West, East }, exporting: false);

        Assert.Equal(new[] { "east" }, reads.Rendered);
        Assert.Equal(new[] { "istio-remote-secret-east", "basic" }, Names(plans[0]));
        Assert.Empty(plans[1].Objects);
        Assert.Equal(new[] { "west" }, reads.TrustsRead);
        Assert.Equal("cluster east|Nothing to install: a remote runs no istiod and reads no other cluster (its primary holds its remote secret)",
            host.Of("shouldprocess").Last());
        Assert.Equal(new[] { "east: a remote (Istio 'default' has the remote profile): it gets no remote secrets and no mesh networks." }, host.Of("verbose"));
        Assert.Empty(host.Of("error"));
    }

    [Fact]
    public async Task A_cluster_without_a_control_plane_is_an_error_when_applying_and_left_out()
    {
        var reads = new Reads { ControlPlanes = { ["north"] = null } };
        var host = new RecordingHost();
        var plans = await new MeshConnect(new MeshConnectOptions(), reads).PlanAsync(host, All, exporting: false);

        Assert.Equal(new[] { "west", "east" }, plans.Select(p => p.Cluster.Name));
        Assert.Equal("ControlPlaneNotFound: no control plane on north", host.Of("error").First());
        // Reported once and left out of the later reads: no secret of it, no address, no trust domain.
        Assert.Equal(new[] { "east", "west" }, reads.Rendered.Order());
        Assert.DoesNotContain("north", reads.TrustsRead);
        Assert.Equal(new[] { "istio-remote-secret-east" }, Names(plans[0]));
        Assert.Equal("MeshNetworksIncomplete: The mesh networks of cluster 'west' were not updated: the gateway address of north is unknown.", host.Of("error").ElementAt(1));
    }

    [Fact]
    public async Task An_export_before_the_control_plane_exists_says_what_is_pending_and_waits_for_no_address_unless_told()
    {
        var reads = new Reads { ControlPlanes = { ["north"] = null }, TrustDomains = { ["north"] = null } };
        var host = new RecordingHost();
        var plans = await new MeshConnect(new MeshConnectOptions(), reads).PlanAsync(host, All, exporting: true);

        Assert.Equal(3, plans.Count);
        Assert.Empty(host.Of("error"));
        Assert.Equal(
            $"{MeshConnect.MeshNetworksPendingWarning}: cluster 'north' has no control plane for namespace {MeshNames.ControlPlaneNamespace} yet, so its mesh networks are not in the tree. " +
            "Apply the Install steps' tree, then run Connect-MeshCluster -OutputPath again.", host.Of("warning").First());
        Assert.Contains($"{MeshConnect.TrustDomainAliasesPendingWarning}: the trust-domain aliases of cluster 'west' were not updated: the trust domain of north is unknown (no control plane yet). " +
            "Apply the Install steps' tree, then run Connect-MeshCluster -OutputPath again.", host.Of("warning"));
        Assert.All(reads.Waits, w => Assert.Equal(TimeSpan.Zero, w));
        Assert.Equal(new[] { "east", "north", "west" }, reads.ExportsRendered.Order());

        var told = new Reads();
        await new MeshConnect(new MeshConnectOptions { Timeout = TimeSpan.FromSeconds(7), TimeoutGiven = true }, told).PlanAsync(new RecordingHost(), All, exporting: true);
        Assert.All(told.Waits, w => Assert.Equal(TimeSpan.FromSeconds(7), w));
    }

    [Fact]
    public async Task A_cluster_not_confirmed_is_not_planned_but_its_secret_and_trust_domain_still_count()
    {
        var reads = new Reads { TrustDomains = { ["west"] = "west.example" } };
        var host = new RecordingHost { Answer = target => target != "cluster west" };
        var plans = await new MeshConnect(new MeshConnectOptions(), reads).PlanAsync(host, All, exporting: false);

        Assert.Equal(new[] { "east", "north" }, plans.Select(p => p.Cluster.Name));
        Assert.Equal(new[] { "istio-remote-secret-west", "istio-remote-secret-north", "basic", "basic" }, Names(plans[0]));
    }

    [Fact]
    public async Task The_per_cluster_tables_reach_each_source_clusters_remote_secret()
    {
        var reads = new Reads();
        var options = new MeshConnectOptions
        {
            Server = new Dictionary<string, string> { ["east"] = "https://api.east.example:6443" },
            TokenSecretName = new Dictionary<string, string> { ["west"] = "reader-token" },
        };
        await new MeshConnect(options, reads).PlanAsync(new RecordingHost(), new[] { West, East }, exporting: false);

        Assert.Equal("https://api.east.example:6443", reads.Options["east"].Server);
        Assert.Null(reads.Options["east"].TokenSecretName);
        Assert.Equal("reader-token", reads.Options["west"].TokenSecretName);
        Assert.Null(reads.Options["west"].Server);
        Assert.Equal(options.Timeout, reads.Options["west"].TokenTimeout);
    }

    [Fact]
    public async Task Fewer_than_two_clusters_stop_everything_before_any_read()
    {
        var reads = new Reads();
        var error = await Assert.ThrowsAsync<MeshException>(() => new MeshConnect(new MeshConnectOptions(), reads).RunAsync(new RecordingHost(), new[] { West }, Delivery.Apply));
        Assert.Equal("TooFewClusters", error.ErrorId);
        Assert.Empty(reads.Located);
    }

    private static IEnumerable<string> Names(ClusterPlan plan) => plan.Objects.Select(o => o.Name);

    /// <summary>The clusters as Connect reads them: every one an OSSM 2.6 primary with a gateway, unless told otherwise.</summary>
    private sealed class Reads : IConnectReads
    {
        /// <summary>A cluster's control plane; null: none there.</summary>
        public Dictionary<string, ControlPlaneRef?> ControlPlanes { get; } = new();

        public HashSet<string> NoGateway { get; } = new();

        /// <summary>A cluster's trust domain; null: its control plane is not there (as the reader answers then).</summary>
        public Dictionary<string, string?> TrustDomains { get; } = new();

        public ConcurrentBag<string> Located { get; } = new();

        public ConcurrentQueue<string> Rendered { get; } = new();

        public ConcurrentBag<string> ExportsRendered { get; } = new();

        public ConcurrentBag<string> TrustsRead { get; } = new();

        public ConcurrentBag<TimeSpan> Waits { get; } = new();

        public ConcurrentDictionary<string, RemoteSecretOptions> Options { get; } = new();

        public Task<ControlPlaneRef> LocateAsync(MeshCluster cluster, string ns, CancellationToken cancellation)
        {
            Located.Add(cluster.Name);
            return ControlPlanes.TryGetValue(cluster.Name, out var found) && found is null
                ? throw new MeshException("ControlPlaneNotFound", MeshErrorKind.ObjectNotFound, $"no control plane on {cluster.Name}", cluster.Name, "Install it.")
                : Task.FromResult(found ?? Smcp);
        }

        public Task<MeshRemoteSecret> RenderAsync(MeshCluster source, RemoteSecretOptions options, CancellationToken cancellation)
        {
            Rendered.Enqueue(source.Name);
            Options[source.Name] = options;
            return Task.FromResult(Secret(source, options.Namespace));
        }

        public Task<RemoteSecretExport> RenderForExportAsync(MeshCluster source, RemoteSecretOptions options, CancellationToken cancellation)
        {
            ExportsRendered.Add(source.Name);
            return Task.FromResult(new RemoteSecretExport(source, Array.Empty<KubeObject>(), null, Array.Empty<string>()));
        }

        public Task<MeshGatewayAddress> WaitForGatewayAsync(MeshCluster cluster, string ns, string name, TimeSpan timeout, CancellationToken cancellation)
        {
            Waits.Add(timeout);
            return NoGateway.Contains(cluster.Name)
                ? throw new MeshException("GatewayAddressTimeout", MeshErrorKind.OperationTimeout, $"{cluster.Name} has no address", cluster.Name, "Wait.")
                : Task.FromResult(new MeshGatewayAddress(cluster.Name, cluster.Network, ns, name, $"{cluster.Name}.example", 15443, MeshGatewayAddressType.Hostname));
        }

        public Task<ControlPlaneTrust?> ReadTrustAsync(MeshCluster cluster, string ns, CancellationToken cancellation)
        {
            TrustsRead.Add(cluster.Name);
            var domain = TrustDomains.TryGetValue(cluster.Name, out var given) ? given : "cluster.local";
            return Task.FromResult(domain is null ? null : new ControlPlaneTrust(Smcp, domain, Array.Empty<string>(), Owned: false));
        }

        // As RemoteSecrets renders it: named for its source, in the control plane's namespace.
        private static MeshRemoteSecret Secret(MeshCluster source, string ns) => new(source, source.Server, "istio-reader-service-account", MeshTokenType.Secret, null,
            new V1Secret { Metadata = new V1ObjectMeta { Name = $"istio-remote-secret-{source.Name}", NamespaceProperty = ns } }, Array.Empty<string>());
    }
}
