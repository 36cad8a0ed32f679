using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Mesh;

/// <summary>The one path from plans to clusters or files, and how work on several clusters is reported.</summary>
public sealed class PlanDeliveryTests
{
    private static readonly MeshCluster West = TestClusters.Offline("west", "west-network");
    private static readonly MeshCluster East = TestClusters.Offline("east", "east-network");

    [Fact]
    public async Task Results_come_in_the_order_the_clusters_were_given_whichever_finishes_first()
    {
        var host = new RecordingHost();
        var order = new List<string>();
        await ClusterWork.ForEachAsync(host, "Working", new[] { West, East }, async (c, ct) =>
        {
            await Task.Delay(c == West ? 300 : 0, ct);
            return c.Name;
        }, (_, name) => order.Add(name));

        Assert.Equal(new[] { "west", "east" }, order);
        Assert.Equal(new[] { "Working|west (1 of 2)", "Working|east (2 of 2)", "Working|Completed" }, host.Of("progress"));
    }

    [Fact]
    public async Task A_failing_cluster_is_an_error_and_the_others_go_on_and_a_later_step_leaves_it_out()
    {
        var host = new RecordingHost();
        var failed = new HashSet<MeshCluster>();
        var first = await ClusterWork.CollectAsync(host, "Reading", new[] { West, East }, failed, (c, _) =>
            c == West ? throw new MeshException("Down", MeshErrorKind.ConnectionError, "west is down", c.Name, "Start it.") : Task.FromResult(1));
        var second = await ClusterWork.CollectAsync(host, "Writing", new[] { West, East }, failed, (c, _) => Task.FromResult(2));

        Assert.Equal(new[] { "east" }, first.Keys.Select(c => c.Name));
        Assert.Equal(new[] { "east" }, second.Keys.Select(c => c.Name));
        Assert.Equal(new[] { "Down: west is down" }, host.Of("error"));
        Assert.Equal(new[] { West }, failed);
    }

    [Fact]
    public async Task A_failure_that_is_not_a_mesh_error_fails_the_whole_call()
    {
        var host = new RecordingHost();
        await Assert.ThrowsAsync<InvalidOperationException>(() => ClusterWork.ForEachAsync(host, "Working", new[] { West }, (_, _) =>
            Task.FromException<int>(new InvalidOperationException("bug")), (_, _) => { }));
        Assert.Equal("Working|Completed", host.Of("progress").Last());
    }

    [Fact]
    public async Task Apply_asks_for_each_cluster_and_applies_only_the_confirmed_ones()
    {
        var host = new RecordingHost { Answer = target => target == "cluster east" };
        var applied = new List<string>();
        await PlanDelivery.DeliverAsync(host, "Installing", new[] { Plan(West, applied), Plan(East, applied) }, Delivery.Apply);

        Assert.Equal(new[] { "east" }, applied);
        Assert.Equal(new[] { "cluster west|Install it", "cluster east|Install it" }, host.Of("shouldprocess"));
        var result = Assert.Single(host.Objects.OfType<MeshResourceResult>());
        Assert.Equal("east", result.Cluster);
        Assert.Equal(new[] { "Cluster 'east': -Force took ownership of fields of Secret istio-system/cacerts from another field manager, and overwrote their values: kubectl" },
            host.Of("warning"));
    }

    [Fact]
    public async Task Export_writes_the_same_plans_objects_and_applies_nothing()
    {
        using var dir = new TempDir();
        var host = new RecordingHost();
        var applied = new List<string>();
        await PlanDelivery.DeliverAsync(host, "Installing", new[] { Plan(West, applied), Plan(East, applied) }, new Delivery(dir.Path, ExcludeSecrets: false));

        Assert.Empty(applied);
        var files = host.Objects.OfType<MeshManifestFile>().ToList();
        Assert.Equal(2, files.Count);
        Assert.All(files, f => Assert.True(File.Exists(f.Path)));
        Assert.Contains("2 exported file(s) hold Secrets", Assert.Single(host.Of("warning")), StringComparison.Ordinal);
    }

    private static ClusterPlan Plan(MeshCluster cluster, List<string> applied)
    {
        var secret = KubeObject.Of(new k8s.Models.V1Secret
        {
            Metadata = new k8s.Models.V1ObjectMeta { Name = "cacerts", NamespaceProperty = MeshNames.ControlPlaneNamespace },
            StringData = new Dictionary<string, string> { ["ca-cert.pem"] = "not a key" },
        });
        return new ClusterPlan(cluster, new[] { secret }, "Install it", _ =>
        {
            lock (applied)
            {
                applied.Add(cluster.Name);
            }

            return Task.FromResult(InstallOutcome.Of(new[]
            {
                new MeshResourceResult(cluster.Name, "Secret", MeshNames.ControlPlaneNamespace, "cacerts", MeshResourceAction.Configured, "1") { OwnershipTaken = "kubectl" },
            }));
        });
    }
}
