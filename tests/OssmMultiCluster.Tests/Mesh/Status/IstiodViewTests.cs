using k8s.Models;
using OssmMultiCluster.Mesh.Status;
using OssmMultiCluster.Model;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Mesh.Status;

/// <summary>
/// Reading istiod's debug/clusterz and judging it against the remote secrets. The responses are recorded in the format
/// istiod serves (Recorded/README.md): the stand-in for an istiod, which the lab cannot run.
/// </summary>
public sealed class IstiodViewTests
{
    private static string Recorded(string name) =>
        File.ReadAllText(Path.Combine(RepoPaths.Root, "tests/OssmMultiCluster.Tests/Mesh/Status/Recorded", name));

    private static readonly (string, string)[] WestOnly = { ("west", "istio-system/istio-remote-secret-west") };

    [Fact]
    public void A_synced_remote_cluster_is_OK_with_the_secret_istiod_read_it_from()
    {
        var entries = IstiodView.ParseClusterz(Recorded("clusterz-east-synced.json"), "east", "istio-system/istiod-0");
        var view = IstiodView.Judge("east", "istiod-0", entries, WestOnly);

        var west = Assert.Single(view);
        Assert.Equal(("east", "istiod-0", "west", "synced", MeshCheckStatus.OK), (west.Cluster, west.Istiod, west.RemoteCluster, west.SyncStatus, west.Status));
        Assert.Equal("istio-system/istio-remote-secret-west", west.SecretName);
    }

    [Fact]
    public void Syncing_is_a_warning_timeout_an_error_and_istiods_own_cluster_is_left_out()
    {
        var entries = IstiodView.ParseClusterz(Recorded("clusterz-three-clusters.json"), "east", "istio-system/istiod-0");
        Assert.Equal(4, entries.Count);
        var expected = new[]
        {
            ("north", "istio-system/istio-remote-secret-north"),
            ("south", "istio-system/istio-remote-secret-south"),
            ("west", "istio-system/istio-remote-secret-west"),
        };

        var view = IstiodView.Judge("east", "istiod-0", entries, expected).ToDictionary(v => v.RemoteCluster);

        Assert.Equal(new[] { "north", "south", "west" }, view.Keys.Order());
        Assert.Equal(MeshCheckStatus.Warning, view["north"].Status);
        Assert.Equal(MeshCheckStatus.Error, view["south"].Status);
        Assert.Contains("gave up", view["south"].Detail);
        Assert.Equal(MeshCheckStatus.OK, view["west"].Status);
    }

    [Fact]
    public void A_secret_istiod_has_not_loaded_is_missing_and_an_error()
    {
        var entries = IstiodView.ParseClusterz(Recorded("clusterz-none.json"), "east", "istio-system/istiod-0");
        Assert.Empty(entries);

        var missing = Assert.Single(IstiodView.Judge("east", "istiod-0", entries, WestOnly));
        Assert.Equal(("west", "missing", MeshCheckStatus.Error), (missing.RemoteCluster, missing.SyncStatus, missing.Status));
        Assert.Null(missing.SecretName);
        Assert.Contains("istio-remote-secret-west", missing.Detail);
    }

    [Fact]
    public void A_cluster_istiod_reads_that_no_secret_here_names_is_a_warning()
    {
        var entries = IstiodView.ParseClusterz(Recorded("clusterz-east-synced.json"), "east", "istio-system/istiod-0");

        var extra = Assert.Single(IstiodView.Judge("east", "istiod-0", entries, Array.Empty<(string, string)>()));
        Assert.Equal(("west", MeshCheckStatus.Warning), (extra.RemoteCluster, extra.Status));
    }

    [Theory]
    [InlineData("{\"id\":\"west\"}", "JSON array")]
    [InlineData("[{\"secretName\":\"x\"}]", "no cluster id")]
    [InlineData("Error: received unsuccessful status code 404", "not JSON")]
    public void A_response_in_another_shape_is_IstiodResponseInvalid(string response, string said)
    {
        var error = Assert.Throws<MeshException>(() => IstiodView.ParseClusterz(response, "east", "istio-system/istiod-0"));
        Assert.Equal(("IstiodResponseInvalid", MeshErrorKind.InvalidData), (error.ErrorId, error.Kind));
        Assert.Contains(said, error.Message);
        Assert.Equal("east", error.Target);
    }

    [Fact]
    public void The_expected_clusters_are_every_kubeconfig_key_of_every_remote_secret()
    {
        var secrets = new[]
        {
            new V1Secret { Metadata = new V1ObjectMeta { Name = "istio-remote-secret-west" }, Data = new Dictionary<string, byte[]> { ["west"] = new byte[] { 1 } } },
            new V1Secret { Metadata = new V1ObjectMeta { Name = "two-in-one" }, Data = new Dictionary<string, byte[]> { ["north"] = new byte[] { 1 }, ["south"] = new byte[] { 1 } } },
        };

        Assert.Equal(
            new[] { ("north", "istio-system/two-in-one"), ("south", "istio-system/two-in-one"), ("west", "istio-system/istio-remote-secret-west") },
            IstiodView.ExpectedClusters("istio-system", secrets));
    }
}
