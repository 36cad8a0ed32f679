using System.Collections;
using OssmMultiCluster.Mesh.Connectivity;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Tests.Mesh.Connectivity;

/// <summary>ConnectivityTester against the scripted stand-in for pod exec: command, parsing, distribution, verdict, errors.</summary>
public sealed class ConnectivityTesterTests
{
    private static (IReadOnlyList<MeshConnectivityProbe> probes, MeshConnectivityResult result) Run(ScriptedPodExec exec, int count,
        int minClusters = 2, string? pattern = null, string url = "helloworld.sample:5000/hello") =>
        new ConnectivityTester(exec, pattern).RunAsync(ScriptedPodExec.Cluster(), ScriptedPodExec.SleepPod, url, count, minClusters,
            TimeSpan.FromSeconds(10), CancellationToken.None).GetAwaiter().GetResult();

    [Fact]
    public void The_command_is_curl_as_argv_with_the_status_line_and_max_time_and_runs_in_the_chosen_container()
    {
        var exec = new ScriptedPodExec(new[] { ScriptedPodExec.Helloworld("v1") });
        Run(exec, 1, minClusters: 1, url: "productpage.bookinfo:9080/productpage");
        var call = Assert.Single(exec.Calls);
        Assert.Equal(("east", "sleep", "sleep-5c6f6f6d7b-abcde", "sleep"), (call.cluster, call.ns, call.pod, call.container));
        Assert.Equal(new[] { "curl", "-sS", "-o", "-", "-w", @"\n%{http_code} %{time_total}", "--max-time", "10", "http://productpage.bookinfo:9080/productpage" },
            call.command);
        Assert.Equal("https://h:8443/x", ConnectivityTester.CurlCommand("https://h:8443/x", TimeSpan.FromSeconds(2.5))[^1]);
        Assert.Equal("3", ConnectivityTester.CurlCommand("h/x", TimeSpan.FromSeconds(2.5))[^2]);
    }

    [Theory]
    [InlineData("-o /etc/passwd")]
    [InlineData("--config=/x")]
    [InlineData("ftp://host/file")]
    [InlineData("host/with space")]
    public void A_url_that_is_not_http_or_could_be_read_as_an_option_is_refused(string url)
    {
        var error = Assert.Throws<MeshException>(() => ConnectivityTester.NormalizeUrl(url));
        Assert.Equal("UrlInvalid", error.ErrorId);
        Assert.Equal(MeshErrorKind.InvalidArgument, error.Kind);
    }

    [Fact]
    public void Helloworld_replies_give_status_time_version_and_a_passing_verdict_across_two_versions()
    {
        var exec = new ScriptedPodExec(new[] { "v1", "v2", "v2", "v1", "v2" }.Select(v => ScriptedPodExec.Helloworld(v, 0.0125)));
        var (probes, result) = Run(exec, 5);
        Assert.Equal(new[] { 1, 2, 3, 4, 5 }, probes.Select(p => p.Index));
        Assert.All(probes, p => Assert.Equal((200, 12.5, "east", "sleep/sleep-5c6f6f6d7b-abcde", (string?)null), (p.StatusCode, p.TimeMs, p.Cluster, p.Pod, p.Detail)));
        Assert.Equal(new[] { "v1", "v2", "v2", "v1", "v2" }, probes.Select(p => p.ServedBy));
        Assert.True(result.Passed, result.Detail);
        Assert.Equal(("east", "helloworld.sample:5000/hello", 5, 5, 2), (result.From, result.Url, result.Requests, result.Succeeded, result.DistinctServers));
        Assert.Equal(new[] { "v1=2", "v2=3" }, result.Distribution.Cast<DictionaryEntry>().Select(e => $"{e.Key}={e.Value}"));
        Assert.Equal("v1=2, v2=3", result.DistributionText);
        Assert.Equal("5 of 5 requests succeeded; served by v1=2, v2=3.", result.Detail);
    }

    [Fact]
    public void One_server_only_fails_MinClusters_2_and_says_what_to_check_but_passes_MinClusters_1()
    {
        var replies = Enumerable.Repeat(ScriptedPodExec.Helloworld("v2"), 4).ToList();
        var (_, strict) = Run(new ScriptedPodExec(replies), 4);
        Assert.False(strict.Passed);
        Assert.Equal(1, strict.DistinctServers);
        Assert.Contains("fewer than -MinClusters 2", strict.Detail);
        Assert.Contains("Connect-MeshCluster", strict.Detail);
        Assert.True(Run(new ScriptedPodExec(replies), 4, minClusters: 1).result.Passed);
    }

    [Fact]
    public void Responses_that_do_not_say_who_served_them_have_no_ServedBy_and_pass_only_with_MinClusters_0()
    {
        var page = ScriptedPodExec.Http(200, "<html><title>Simple Bookstore App</title></html>");
        var (probes, result) = Run(new ScriptedPodExec(new[] { page, page }), 2, url: "productpage.bookinfo:9080/productpage");
        Assert.All(probes, p => Assert.Null(p.ServedBy));
        Assert.False(result.Passed);
        Assert.Equal(0, result.DistinctServers);
        Assert.Contains("2 response(s) did not say who served them", result.Detail);
        Assert.True(Run(new ScriptedPodExec(new[] { page, page }), 2, minClusters: 0).result.Passed);
    }

    [Fact]
    public void Pattern_reads_the_first_capture_group_of_the_body()
    {
        var replies = new[] { "west", "east", "west" }.Select(c => ScriptedPodExec.Http(200, $"<p>served from cluster: {c}-cluster</p>")).ToList();
        var (probes, result) = Run(new ScriptedPodExec(replies), 3, pattern: @"cluster: (\w+)-cluster");
        Assert.Equal(new[] { "west", "east", "west" }, probes.Select(p => p.ServedBy));
        Assert.Equal("east=1, west=2", result.DistributionText);
        Assert.True(result.Passed, result.Detail);
    }

    [Fact]
    public void An_invalid_pattern_is_an_InvalidArgument_error()
    {
        var error = Assert.Throws<MeshException>(() => new ConnectivityTester(new ScriptedPodExec(Array.Empty<PodExecResult>()), "(unclosed"));
        Assert.Equal("PatternInvalid", error.ErrorId);
        Assert.Equal(MeshErrorKind.InvalidArgument, error.Kind);
    }

    [Fact]
    public void A_failed_request_is_a_probe_with_status_0_and_curls_error_and_fails_the_verdict()
    {
        var exec = new ScriptedPodExec(new[] { ScriptedPodExec.Helloworld("v1"), ScriptedPodExec.ConnectFailed(), ScriptedPodExec.Helloworld("v2") });
        var (probes, result) = Run(exec, 3);
        var failed = probes[1];
        Assert.Equal(0, failed.StatusCode);
        Assert.Null(failed.ServedBy);
        Assert.Equal(1.0, failed.TimeMs);
        Assert.StartsWith("curl: (7) Failed to connect", failed.Detail);
        Assert.False(result.Passed);
        Assert.Equal((3, 2, 2), (result.Requests, result.Succeeded, result.DistinctServers));
        Assert.StartsWith("1 of 3 requests failed: curl: (7) Failed to connect", result.Detail);
    }

    [Fact]
    public void A_non_2xx_answer_fails_the_verdict_and_is_counted_by_status()
    {
        var unavailable = ScriptedPodExec.Http(503, "no healthy upstream");
        var exec = new ScriptedPodExec(new[] { ScriptedPodExec.Helloworld("v1"), unavailable, unavailable, ScriptedPodExec.Helloworld("v2") });
        var (probes, result) = Run(exec, 4);
        Assert.Equal(new[] { 200, 503, 503, 200 }, probes.Select(p => p.StatusCode));
        Assert.Null(probes[1].Detail);
        Assert.False(result.Passed);
        Assert.Equal("2 of 4 requests failed: HTTP 503 (×2); served by v1=1, v2=1.", result.Detail);
    }

    [Fact]
    public void Output_curl_could_not_have_written_is_a_failed_probe_not_a_crash()
    {
        var (probes, result) = Run(new ScriptedPodExec(new[] { new PodExecResult("garbage", string.Empty, 0) }), 1, minClusters: 0);
        Assert.Equal(0, probes[0].StatusCode);
        Assert.Contains("no status line", probes[0].Detail);
        Assert.False(result.Passed);
    }

    [Theory]
    [InlineData(126)]
    [InlineData(127)]
    public void A_client_without_curl_is_a_CurlMissing_error_that_names_pod_and_container(int exitCode)
    {
        var reply = new PodExecResult(string.Empty, "sh: curl: not found", exitCode);
        var error = Assert.Throws<MeshException>(() => Run(new ScriptedPodExec(new[] { reply }), 3));
        Assert.Equal("CurlMissing", error.ErrorId);
        Assert.Equal(MeshErrorKind.NotInstalled, error.Kind);
        Assert.Equal("east", error.Target);
        Assert.Contains("'sleep' of pod sleep/sleep-5c6f6f6d7b-abcde", error.Message);
        Assert.Contains("sleep sample", error.RecommendedAction);
    }

    [Fact]
    public void The_API_servers_executable_not_found_is_CurlMissing_too()
    {
        var error = Assert.Throws<MeshException>(() => Run(new ScriptedPodExec(new[] { ScriptedPodExec.NoCurl() }), 1));
        Assert.Equal("CurlMissing", error.ErrorId);
        Assert.Contains("executable file not found", error.Message);
    }

    [Fact]
    public void No_token_reaches_commands_probes_results_or_errors()
    {
        var exec = new ScriptedPodExec(new[] { ScriptedPodExec.Helloworld("v1"), ScriptedPodExec.ConnectFailed(), ScriptedPodExec.Http(503, "x") });
        var (probes, result) = Run(exec, 3);
        var error = Assert.Throws<MeshException>(() => Run(new ScriptedPodExec(new[] { ScriptedPodExec.NoCurl() }), 1));
        var text = string.Join("\n", exec.Calls.SelectMany(c => c.command)
            .Concat(probes.SelectMany(p => new[] { p.ToString(), p.Detail, p.ServedBy, p.Pod, p.Url }))
            .Concat(new[] { result.ToString(), result.Detail, error.Message, error.RecommendedAction }));
        Assert.DoesNotContain(ScriptedPodExec.Token, text);
        Assert.DoesNotContain("lab-token", text);
    }
}
