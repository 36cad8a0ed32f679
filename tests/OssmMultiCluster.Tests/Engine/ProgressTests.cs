using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Engine;

/// <summary>Waits show progress, and close it when done.</summary>
public sealed class ProgressTests
{
    [Fact]
    public void Key_generation_waits_show_progress_and_complete_it()
    {
        var run = ModuleEngine.Run("$null = New-MeshRootCA -KeySize 4096 | ForEach-Object { 'west', 'east' | New-MeshIntermediateCA -RootCA $_ -KeySize 4096 }");
        run.AssertNoErrors();
        // Three RSA 4096 keys take seconds on any machine: some of the waits outlast the 100 ms poll and show progress
        // (which ones depends on which key's prime search ends first).
        Assert.Contains(run.Progress, p => p.EndsWith("|Processing", StringComparison.Ordinal)
            && (p.StartsWith("Generating the root CA's RSA 4096 key|", StringComparison.Ordinal) || p.StartsWith("Issuing the intermediate CA of cluster '", StringComparison.Ordinal)));
        Assert.Contains(run.Progress, p => p.StartsWith("Issuing the intermediate CA of cluster 'west'|", StringComparison.Ordinal));
        foreach (var activity in run.Progress.Select(p => p.Split('|')[0]).Distinct())
        {
            Assert.EndsWith("|Completed", run.Progress.Last(p => p.StartsWith(activity + "|", StringComparison.Ordinal)), StringComparison.Ordinal);
        }
    }
}

/// <summary>Multi-cluster steps show progress per cluster.</summary>
[Collection("lab")]
public sealed class ClusterProgressTests
{
    private readonly LabFixture _lab;

    public ClusterProgressTests(LabFixture lab) => _lab = lab;

    [Fact]
    public void Multi_cluster_steps_show_which_cluster_they_wait_for()
    {
        var run = ModuleEngine.Run("$null = Get-MeshCluster -Kubeconfig $west, $east -Test", _lab.Variables());
        run.AssertNoErrors();
        Assert.Contains(run.Progress, p => p.StartsWith("Contacting API servers|west (1 of 2)", StringComparison.Ordinal));
        Assert.EndsWith("|Completed", run.Progress[^1], StringComparison.Ordinal);
    }
}
