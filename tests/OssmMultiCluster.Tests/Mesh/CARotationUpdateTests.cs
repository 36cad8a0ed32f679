using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Mesh;

/// <summary>Update-MeshCACertificate's decisions on states read beforehand: the input checks, step order, what each cluster's plan holds.</summary>
public sealed class CARotationUpdateTests : IClassFixture<RotationTestData>
{
    private static readonly MeshCluster West = TestClusters.Offline("west", "west-network");
    private static readonly MeshCluster East = TestClusters.Offline("east", "east-network");

    private readonly RotationTestData _d;

    public CARotationUpdateTests(RotationTestData data) => _d = data;

    private CARotationRequest Request(MeshCARotationStep? step, MeshCertificateAuthority? root = null) =>
        new(step, root ?? _d.NewRoot, new[] { West, East }, Array.Empty<MeshCertificateAuthority>(), "istio-system");

    private static CARotationReading Reading(PlugInCAState? west, PlugInCAState? east, ControlPlaneRef? controlPlane = null) => new(
        new Dictionary<string, PlugInCAState?> { ["west"] = west, ["east"] = east },
        new Dictionary<string, ControlPlaneRef?> { ["west"] = controlPlane, ["east"] = controlPlane });

    private PlugInCAState OldOnly(string cluster) => RotationTestData.State(cluster, RotationTestData.Data(_d.Old[cluster], _d.OldRoot));

    private PlugInCAState TrustsBoth(string cluster) => RotationTestData.State(cluster, RotationTestData.Data(_d.Old[cluster], _d.OldRoot, _d.NewRoot));

    [Fact]
    public async Task A_step_out_of_order_is_one_error_and_plans_nothing()
    {
        var host = new RecordingHost();
        var request = Request(MeshCARotationStep.IssueFromNewRoot);
        var plans = await CARotationUpdate.PlanAsync(host, request, new List<MeshCluster> { West, East }, Reading(TrustsBoth("west"), OldOnly("east")),
            new Dictionary<string, MeshCertificateAuthority>());

        Assert.Empty(plans);
        var error = Assert.Single(host.Of("error"));
        Assert.StartsWith("CARotationOutOfOrder: Step IssueFromNewRoot refused: cluster 'east' does not trust the new root yet.", error, StringComparison.Ordinal);
        Assert.DoesNotContain(host.Lines, l => l.StartsWith("progress: Issuing intermediate CAs", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unreadable_cluster_refuses_a_later_step()
    {
        var host = new RecordingHost();
        var plans = await CARotationUpdate.PlanAsync(host, Request(MeshCARotationStep.RemoveOldRoot), new List<MeshCluster> { West, East }, Reading(TrustsBoth("west"), null),
            new Dictionary<string, MeshCertificateAuthority>());

        Assert.Empty(plans);
        Assert.Contains("'east' could not be read", Assert.Single(host.Of("error")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TrustBoth_plans_cacerts_and_the_multi_root_switch_and_warns_where_no_control_plane_was_found()
    {
        var host = new RecordingHost();
        var plans = await CARotationUpdate.PlanAsync(host, Request(MeshCARotationStep.TrustBoth), new List<MeshCluster> { West, East },
            Reading(OldOnly("west"), TrustsBoth("east")), new Dictionary<string, MeshCertificateAuthority>());

        // west: cacerts to change; east: done already, so nothing to deliver without a control plane to switch.
        var plan = Assert.Single(plans);
        Assert.Equal("west", plan.Cluster.Name);
        Assert.Equal(new[] { KubeKind.Secret }, plan.Objects.Select(o => o.Kind));
        Assert.EndsWith("; restart istiod", plan.Description, StringComparison.Ordinal);
        Assert.Equal(new[]
        {
            "Cluster 'west' has no control plane for namespace istio-system: set ISTIO_MULTIROOT_MESH=true in istiod's environment yourself before the next step.",
            "Cluster 'east' has no control plane for namespace istio-system: set ISTIO_MULTIROOT_MESH=true in istiod's environment yourself before the next step.",
        }, host.Of("warning"));
        Assert.Single(host.Of("verbose"), v => v.StartsWith("Cluster 'east': already trusts the new root", StringComparison.Ordinal) && v.EndsWith("; cacerts stays as it is.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_done_cluster_still_gets_the_multi_root_switch_and_NoRestart_restarts_nothing()
    {
        var host = new RecordingHost();
        var request = Request(MeshCARotationStep.TrustBoth) with { Restart = false };
        var plans = await CARotationUpdate.PlanAsync(host, request, new List<MeshCluster> { West, East },
            Reading(OldOnly("west"), TrustsBoth("east"), new ControlPlaneRef(MeshFlavor.Ossm3, "default", "istio-system")), new Dictionary<string, MeshCertificateAuthority>());

        Assert.Equal(new[] { "west", "east" }, plans.Select(p => p.Cluster.Name));
        Assert.Equal(new[] { KubeKind.Of<OssmMultiCluster.Mesh.Resources.Istio>(), KubeKind.Secret }, plans[0].Objects.Select(o => o.Kind));
        Assert.Equal(new[] { KubeKind.Of<OssmMultiCluster.Mesh.Resources.Istio>() }, plans[1].Objects.Select(o => o.Kind));
        Assert.EndsWith("; turn on multi-root trust", plans[1].Description, StringComparison.Ordinal);
        Assert.DoesNotContain(plans, p => p.Description.Contains("restart istiod", StringComparison.Ordinal));
        Assert.Empty(host.Of("warning"));
    }

    [Fact]
    public async Task Renewal_under_another_root_is_refused_for_that_cluster()
    {
        var host = new RecordingHost();
        var plans = await CARotationUpdate.PlanAsync(host, Request(step: null, root: _d.NewRoot), new List<MeshCluster> { West, East },
            Reading(OldOnly("west"), OldOnly("east")), new Dictionary<string, MeshCertificateAuthority>());

        Assert.Empty(plans);
        Assert.Equal(2, host.Of("error").Count(e => e.StartsWith("RenewRootMismatch:", StringComparison.Ordinal)));
    }

    [Fact]
    public void An_intermediate_for_the_root_and_no_clusters_are_refused_before_anything_is_read()
    {
        var notRoot = Assert.Throws<MeshException>(() => CARotationUpdate.Clusters(Request(MeshCARotationStep.TrustBoth, _d.New["west"])));
        Assert.Equal("NotARootCA", notRoot.ErrorId);
        Assert.Contains("-NewRootCA takes the root", notRoot.Message, StringComparison.Ordinal);
        Assert.Contains("-RootCA takes the root", Assert.Throws<MeshException>(() => CARotationUpdate.Clusters(Request(null, _d.Old["west"]))).Message, StringComparison.Ordinal);

        var none = new CARotationRequest(MeshCARotationStep.TrustBoth, _d.NewRoot, Array.Empty<MeshCluster>(), Array.Empty<MeshCertificateAuthority>(), "istio-system");
        Assert.Equal("TooFewClusters", Assert.Throws<MeshException>(() => CARotationUpdate.Clusters(none)).ErrorId);
    }

    [Fact]
    public void An_intermediate_for_no_cluster_given_is_its_error_and_left_out()
    {
        var host = new RecordingHost();
        var request = Request(MeshCARotationStep.IssueFromNewRoot) with { Clusters = new[] { East } };
        var intermediates = CARotationUpdate.Intermediates(host, new[] { East }, request with { Intermediates = new[] { _d.New["west"] } });

        Assert.Empty(intermediates);
        Assert.StartsWith("ClusterUnknown:", Assert.Single(host.Of("error")), StringComparison.Ordinal);
    }
}
