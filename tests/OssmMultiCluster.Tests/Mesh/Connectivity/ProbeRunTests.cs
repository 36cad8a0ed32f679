using OssmMultiCluster.Mesh.Connectivity;
using OssmMultiCluster.Model;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Mesh.Connectivity;

/// <summary>Sending requests as Test-MeshConnectivity and Test-MeshFailover do: input refused before any pod is touched, each probe written as it comes.</summary>
public sealed class ProbeRunTests
{
    private static ProbeOptions Options(int count = 3, TimeSpan? timeout = null) => new("sleep", "app=sleep", null, count, null, timeout ?? TimeSpan.FromSeconds(10));

    [Fact]
    public void A_timeout_that_is_not_positive_or_a_bad_url_is_refused_before_any_exec()
    {
        var exec = new ScriptedPodExec(Array.Empty<PodExecResult>());
        Assert.Equal("TimeoutInvalid", Assert.Throws<MeshException>(() => ProbeRun.CreateTester(Options(timeout: TimeSpan.Zero), "h/x", exec)).ErrorId);
        Assert.Equal("UrlInvalid", Assert.Throws<MeshException>(() => ProbeRun.CreateTester(Options(), "-o /etc/passwd", exec)).ErrorId);
        Assert.Empty(exec.Calls);
    }

    [Fact]
    public async Task Each_probe_is_written_as_it_comes_back_with_progress_per_request()
    {
        var host = new RecordingHost();
        var exec = new ScriptedPodExec(new[] { "v1", "v2", "v1" }.Select(v => ScriptedPodExec.Helloworld(v)));
        var tester = ProbeRun.CreateTester(Options(), "helloworld.sample:5000/hello", exec);
        var probes = await ProbeRun.SendAsync(host, tester, Options(), ScriptedPodExec.Cluster(), ScriptedPodExec.SleepPod, "helloworld.sample:5000/hello");

        Assert.Equal(new[] { 1, 2, 3 }, probes.Select(p => p.Index));
        Assert.Equal(probes, host.Objects.Cast<MeshConnectivityProbe>());
        var activity = "Sending requests to helloworld.sample:5000/hello from cluster 'east'";
        Assert.Equal(new[] { $"{activity}|Request 1 of 3", $"{activity}|Request 2 of 3", $"{activity}|Request 3 of 3", $"{activity}|Completed" }, host.Of("progress"));
        Assert.Equal("Sending 3 request(s) to helloworld.sample:5000/hello from pod sleep/sleep-5c6f6f6d7b-abcde, container sleep, of cluster 'east'.",
            Assert.Single(host.Of("verbose")));
        Assert.Equal(new[] { "output", "output", "output" }, host.Lines.Where(l => !l.StartsWith("progress", StringComparison.Ordinal) && !l.StartsWith("verbose", StringComparison.Ordinal))
            .Select(l => l.Split(':')[0]));
    }
}
