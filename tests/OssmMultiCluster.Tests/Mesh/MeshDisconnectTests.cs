using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Mesh;

/// <summary>Disconnect-MeshCluster's and Remove-MeshCluster's decisions before any cluster is touched: what is asked, and what stops them.</summary>
public sealed class MeshDisconnectTests
{
    private static readonly MeshCluster West = TestClusters.Offline("west", "west-network");
    private static readonly MeshCluster East = TestClusters.Offline("east", "east-network");
    private static readonly MeshCluster North = TestClusters.Offline("north", "north-network");

    [Fact]
    public async Task Disconnect_needs_another_cluster_than_the_leaving_one()
    {
        var host = new RecordingHost();
        var error = await Assert.ThrowsAsync<MeshException>(() => new MeshDisconnect(new MeshDisconnectOptions()).DisconnectAsync(host, West, new[] { West }));
        Assert.Equal("TooFewClusters", error.ErrorId);
        Assert.Equal("No other cluster was given to take 'west' out of.", error.Message);
        Assert.Empty(host.Lines);
    }

    [Fact]
    public async Task Disconnect_asks_once_for_the_leaving_cluster_naming_those_that_stay_and_a_no_touches_nothing()
    {
        var host = new RecordingHost { Answer = _ => false };
        await new MeshDisconnect(new MeshDisconnectOptions()).DisconnectAsync(host, West, new[] { East, West, North });
        Assert.Equal(new[]
        {
            "shouldprocess: cluster west|Remove it from the mesh with east, north: delete remote secrets both ways and its network from their mesh networks",
        }, host.Lines);
    }

    [Fact]
    public async Task Remove_says_whether_it_disconnects_first_naming_each_cluster_that_stays_once()
    {
        var host = new RecordingHost { Answer = _ => false };
        var remove = new MeshDisconnect(new MeshDisconnectOptions { Namespace = "mesh" });
        await remove.RemoveAsync(host, West, Array.Empty<MeshCluster>());
        await remove.RemoveAsync(host, West, new[] { West, East, East, North });
        Assert.Equal(new[]
        {
            "shouldprocess: cluster west|Uninstall its east-west gateway, control plane, reader access and plug-in CA in mesh",
            "shouldprocess: cluster west|Disconnect it from east, north, then uninstall its east-west gateway, control plane, reader access and plug-in CA in mesh",
        }, host.Lines);
    }
}
