using System.Text.Json;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Mesh.Status;
using OssmMultiCluster.Model;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Mesh.Status;

/// <summary>Get-MeshStatus on a primary-remote pair: what a remote is checked for, and what it is not.</summary>
public sealed class RemoteTopologyCheckTests
{
    private static readonly DateTime Now = new(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc);

    private static JsonElement Parse(string json, params (string hole, string value)[] fill) =>
        JsonDocument.Parse(fill.Aggregate(json, (text, f) => text.Replace(f.hole, f.value, StringComparison.Ordinal))).RootElement;

    private static JsonElement Istio(string cluster, string network, string extra = "") => Parse(
        """{"spec":{"namespace":"istio-system",EXTRA"values":{"global":{"meshID":"mesh1","network":"NETWORK","multiCluster":{"clusterName":"CLUSTER"}}}}}""",
        ("EXTRA", extra), ("NETWORK", network), ("CLUSTER", cluster));

    private static JsonElement PrimaryIstio(bool external = true, string trustDomain = "cluster.local") => Parse(
        """{"spec":{"namespace":"istio-system","values":{"global":{"meshID":"mesh1","network":"west-network","multiCluster":{"clusterName":"west"}EXTERNAL},"meshConfig":{"trustDomain":"DOMAIN"}}}}""",
        ("EXTERNAL", external ? ",\"externalIstiod\":true" : string.Empty), ("DOMAIN", trustDomain));

    private static JsonElement RemoteIstio(string pilot) => Parse(
        """{"spec":{"namespace":"istio-system","profile":"remote","values":{"global":{"meshID":"mesh1","network":"east-network","multiCluster":{"clusterName":"east"},"remotePilotAddress":"PILOT"}}}}""",
        ("PILOT", pilot));

    private static ClusterState Primary(bool external = true, bool exposed = true, bool secret = true, bool secretWorks = true, string trustDomain = "cluster.local") => new()
    {
        Cluster = TestClusters.Offline("west", "west-network"),
        NamespaceExists = true,
        NamespaceNetwork = "west-network",
        ControlPlane = new ControlPlaneRef(MeshFlavor.Ossm3, "default", "istio-system"),
        ControlPlaneObject = PrimaryIstio(external, trustDomain),
        Gateway = new MeshGatewayAddress("west", "west-network", "istio-system", "istio-eastwestgateway", "192.0.2.10", 15443, MeshGatewayAddressType.IP),
        IstiodExposed = exposed,
        RemoteSecrets = secret ? new[] { new RemoteSecretState("east", secretWorks, secretWorks ? "opens https://east" : "ClusterForbidden: no", null) } : Array.Empty<RemoteSecretState>(),
    };

    private static ClusterState Remote(string pilot = "192.0.2.10", string? annotation = "west", IReadOnlyList<RemoteSecretState>? secrets = null) => new()
    {
        Cluster = TestClusters.Offline("east", "east-network"),
        NamespaceExists = true,
        NamespaceNetwork = "east-network",
        ControlPlane = new ControlPlaneRef(MeshFlavor.Ossm3, "default", "istio-system") { IsRemote = true },
        ControlPlaneObject = RemoteIstio(pilot),
        Gateway = new MeshGatewayAddress("east", "east-network", "istio-system", "istio-eastwestgateway", "192.0.2.20", 15443, MeshGatewayAddressType.IP),
        ControlPlaneClusters = annotation,
        RemoteSecrets = secrets ?? Array.Empty<RemoteSecretState>(),
    };

    private static IReadOnlyList<MeshStatusCheck> Of(string cluster, params ClusterState[] states) =>
        StatusChecker.Check(states, Now).Where(c => c.Cluster == cluster).ToList();

    private static MeshStatusCheck The(string check, IReadOnlyList<MeshStatusCheck> checks) => checks.Single(c => c.Check == check);

    [Fact]
    public void A_healthy_remote_passes_its_primary_check_and_is_expected_to_hold_no_CA_secrets_or_mesh_networks()
    {
        var checks = Of("east", Primary(), Remote());
        Assert.Equal(new[] { "trust", "network", "control-plane", "gateway", "primary" }, checks.Select(c => c.Check));
        Assert.All(checks, c => Assert.Equal(MeshCheckStatus.OK, c.Status));
        Assert.Contains("none needed", The("trust", checks).Detail);
        Assert.Contains("remote profile", The("control-plane", checks).Detail);
        Assert.Contains("Remote of 'west': istiod at 192.0.2.10", The("primary", checks).Detail);
    }

    [Fact]
    public void The_primary_expects_the_remotes_secret_as_from_any_peer()
    {
        var west = Of("west", Primary(), Remote());
        Assert.Equal(MeshCheckStatus.OK, The("remote-secret", west).Status);
        var missing = Of("west", Primary(secret: false), Remote());
        Assert.Equal(MeshCheckStatus.Error, The("remote-secret", missing).Status);
        Assert.Contains("'east'", The("remote-secret", missing).Detail);
    }

    [Theory]
    [InlineData("pilot", "remotePilotAddress is '192.0.2.99', but the east-west gateway of 'west' is at 192.0.2.10")]
    [InlineData("external", "does not serve remotes (values.global.externalIstiod)")]
    [InlineData("exposed", "does not expose istiod through its east-west gateway")]
    [InlineData("secret", "'west' holds no remote secret for it")]
    [InlineData("broken", "the remote secret for it on 'west' does not work (ClusterForbidden: no)")]
    public void Each_broken_link_to_the_primary_is_an_error_that_says_what_to_run(string broken, string expected)
    {
        var primary = Primary(external: broken != "external", exposed: broken != "exposed", secret: broken != "secret", secretWorks: broken != "broken");
        var remote = Remote(pilot: broken == "pilot" ? "192.0.2.99" : "192.0.2.10");
        var check = The("primary", Of("east", primary, remote));
        Assert.Equal(MeshCheckStatus.Error, check.Status);
        Assert.Contains(expected, check.Detail);
        Assert.Matches("Install-MeshControlPlane|Install-MeshEastWestGateway|Connect-MeshCluster|Update-MeshRemoteSecret", check.Detail);
    }

    [Fact]
    public void A_remote_without_the_annotation_or_whose_primary_is_not_checked_says_so()
    {
        Assert.Contains("does not name the primary", The("primary", Of("east", Primary(), Remote(annotation: null))).Detail);
        var alone = The("primary", Of("east", Remote()));
        Assert.Equal(MeshCheckStatus.Warning, alone.Status);
        Assert.Contains("not among the clusters checked", alone.Detail);
    }

    [Fact]
    public void Remote_secrets_on_a_remote_are_a_warning_and_not_a_requirement()
    {
        var checks = Of("east", Primary(), Remote(secrets: new[] { new RemoteSecretState("west", true, "opens", null) }));
        var secret = The("remote-secret", checks);
        Assert.Equal(MeshCheckStatus.Warning, secret.Status);
        Assert.Contains("does not read", secret.Detail);
    }

    [Fact]
    public void The_primarys_own_trust_domain_is_not_compared_with_the_remotes_default()
    {
        var checks = StatusChecker.Check(new[] { Primary(trustDomain: "west.example"), Remote() }, Now);
        Assert.All(checks.Where(c => c.Check == "control-plane"), c => Assert.Equal(MeshCheckStatus.OK, c.Status));
    }

    [Fact]
    public void A_primary_is_recognised_by_externalIstiod_alone()
    {
        Assert.True(RemoteTopologyCheck.ServesRemotes(PrimaryIstio()));
        Assert.False(RemoteTopologyCheck.ServesRemotes(PrimaryIstio(external: false)));
        Assert.False(RemoteTopologyCheck.ServesRemotes(Istio("west", "west-network", "\"profile\":\"remote\",")));
        Assert.True(RemoteControlPlane.IsRemote(RemoteIstio("a")));
        Assert.False(RemoteControlPlane.IsRemote(PrimaryIstio()));
        Assert.Equal("a", RemoteControlPlane.PilotAddress(RemoteIstio("a")));
    }
}
