using System.Text.Json.Nodes;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Engine;

/// <summary>
/// Faults on real lab API servers: retried transient failures (a real 503, dropped connections), permanent ones
/// reported at once, -Verbose naming each call, conflicts with another field manager, and a cluster whose API server
/// dies between steps and comes back.
/// </summary>
[Collection("lab")]
public sealed class FaultTests
{
    private readonly LabFixture _lab;

    public FaultTests(LabFixture lab) => _lab = lab;

    private static int Count(IEnumerable<string> lines, string text) => lines.Count(l => l.Contains(text, StringComparison.Ordinal));

    [Fact]
    public void Verbose_names_every_API_call_and_its_cluster()
    {
        const string ns = "fault-verbose";
        var run = ModuleEngine.Run($$"""
            $c = Get-MeshCluster -Kubeconfig $west, $east
            $null = $c | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048) -KeySize 2048 | Install-MeshCACertificate -Namespace {{ns}} -Verbose
            """, _lab.Variables());
        run.AssertNoErrors();
        foreach (var cluster in new[] { "west", "east" })
        {
            Assert.Contains(run.Verbose, v => v.StartsWith($"{cluster}: GET /api/v1/namespaces/{ns}/secrets/cacerts -> 404", StringComparison.Ordinal));
            Assert.Contains(run.Verbose, v => v.StartsWith($"{cluster}: PATCH /api/v1/namespaces/{ns}/secrets/cacerts?", StringComparison.Ordinal)
                                              && v.Contains("fieldManager=ossm-multicluster", StringComparison.Ordinal) && v.Contains("-> 201", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void A_real_503_is_retried_to_the_bound_then_reported_with_cluster_object_and_server_message()
    {
        // An aggregated API whose service does not exist: the API server itself answers 503 for maistra.io/v2.
        const string ns = "fault-503";
        using var dir = new TempDir();
        var ca = Convert.ToBase64String(File.ReadAllBytes(Path.Combine(_lab.Directory, "bare", "pki", "ca.crt")));
        File.WriteAllText(dir["apiservice.yaml"], $$"""
            apiVersion: apiregistration.k8s.io/v1
            kind: APIService
            metadata:
              name: v2.maistra.io
            spec:
              group: maistra.io
              version: v2
              groupPriorityMinimum: 1000
              versionPriority: 15
              caBundle: {{ca}}
              service:
                name: nothing-here
                namespace: default
            """);
        _lab.Kubectl("bare", "apply", "-f", dir["apiservice.yaml"]);
        try
        {
            WaitFor(() => _lab.TryKubectl("bare", "get", "--raw", "/apis/maistra.io/v2/servicemeshcontrolplanes").output.Contains("ServiceUnavailable", StringComparison.Ordinal));
            var run = ModuleEngine.Run($"Get-MeshCluster -Kubeconfig $bare | Install-MeshControlPlane -Namespace {ns} -MeshId m -Verbose", _lab.Variables());
            Assert.Null(run.Terminating);
            var error = Assert.Single(run.Errors);
            Assert.StartsWith("ClusterError,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
            Assert.Equal("bare", error.TargetObject);
            Assert.Contains("ServiceMeshControlPlane", error.ToString(), StringComparison.Ordinal);
            Assert.Contains("(503)", error.ToString(), StringComparison.Ordinal);
            Assert.Contains("(503): service unavailable", error.ToString(), StringComparison.Ordinal);
            Assert.Equal(4, Count(run.Verbose, "bare: GET /apis/maistra.io/v2/servicemeshcontrolplanes?limit=1&watch=false -> 503 Service Unavailable"));
            Assert.Equal(3, Count(run.Verbose, "retrying"));
            Assert.Contains("NotFound", _lab.TryKubectl("bare", "get", "namespace", ns).output, StringComparison.Ordinal);
        }
        finally
        {
            _lab.Kubectl("bare", "delete", "apiservice", "v2.maistra.io");
        }
    }

    [Fact]
    public void Forbidden_is_not_retried_and_names_cluster_object_and_server_message()
    {
        var run = ModuleEngine.Run("""
            Get-MeshCluster -Kubeconfig $nobody -Name west | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048) -KeySize 2048 |
                Install-MeshCACertificate -Namespace fault-forbidden -Verbose
            """, _lab.Variables(("nobody", _lab.NobodyKubeconfig("west"))));
        Assert.Null(run.Terminating);
        var error = Assert.Single(run.Errors);
        Assert.StartsWith("ClusterForbidden,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal("west", error.TargetObject);
        Assert.Contains("secret fault-forbidden/cacerts", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("cannot get resource \"secrets\"", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, Count(run.Verbose, "-> 403"));
        Assert.Equal(0, Count(run.Verbose, "retrying"));
    }

    [Fact]
    public void Dropped_connections_are_retried_and_a_server_that_keeps_dropping_is_reported_unreachable()
    {
        var server = new Uri(ServerOf(_lab.Kubeconfigs["west"]));
        using var dir = new TempDir();
        using (var flaky = new DroppingProxy(server, drop: 2))
        {
            var run = ModuleEngine.Run("Get-MeshCluster -Kubeconfig $flaky -Name west -Test -Verbose | ForEach-Object Name",
                _lab.Variables(("flaky", flaky.Kubeconfig(_lab.Kubeconfigs["west"], dir["flaky"]))));
            run.AssertNoErrors();
            Assert.Equal("west", Assert.Single(run.Output).ToString());
            Assert.Equal(2, Count(run.Verbose, "retrying"));
            Assert.True(flaky.Accepted >= 3);
        }

        using var dead = new DroppingProxy(server, drop: int.MaxValue);
        var failed = ModuleEngine.Run("Get-MeshCluster -Kubeconfig $dead -Name west -Test -Verbose",
            _lab.Variables(("dead", dead.Kubeconfig(_lab.Kubeconfigs["west"], dir["dead"]))));
        var error = Assert.Single(failed.Errors);
        Assert.StartsWith("ClusterUnreachable,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal("west", error.TargetObject);
        Assert.Equal(3, Count(failed.Verbose, "retrying"));
        Assert.Equal(1, Count(failed.Verbose, "giving up"));
        Assert.Equal(4, dead.Accepted);
    }

    [Fact]
    public void A_field_someone_else_changed_is_not_overwritten_and_Force_takes_it_over_saying_so()
    {
        const string ns = "fault-conflict";
        const string install = $"Get-MeshCluster -Kubeconfig $west | Install-MeshControlPlane -Namespace {ns} -MeshId conflict-mesh";
        const string lines = " | ForEach-Object { \"$($_.Kind)|$($_.Action)|$($_.OwnershipTaken -ne $null)\" }";
        ModuleEngine.Run(install, _lab.Variables()).AssertNoErrors();
        _lab.Kubectl("west", "-n", ns, "patch", "smcp", "basic", "--type", "merge", "-p", """{"spec":{"tracing":{"type":"Jaeger"}}}""");

        var refused = ModuleEngine.Run(install + lines, _lab.Variables());
        var error = Assert.Single(refused.Errors);
        Assert.StartsWith("FieldConflict,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal("west", error.TargetObject);
        Assert.Contains(".spec.tracing.type", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("-Force", error.ErrorDetails.RecommendedAction, StringComparison.Ordinal);
        Assert.Equal("Jaeger", Tracing());

        var forced = ModuleEngine.Run(install + " -Force" + lines, _lab.Variables());
        forced.AssertNoErrors();
        Assert.Contains("ServiceMeshControlPlane|Configured|True", forced.Output.Select(o => o.ToString()));
        var warning = Assert.Single(forced.Warnings);
        Assert.Contains("took ownership", warning, StringComparison.Ordinal);
        Assert.Contains($"ServiceMeshControlPlane {ns}/basic", warning, StringComparison.Ordinal);
        Assert.Contains("kubectl-patch", warning, StringComparison.Ordinal);
        Assert.Contains(".spec.tracing.type", warning, StringComparison.Ordinal);
        Assert.Equal("None", Tracing());

        var again = ModuleEngine.Run(install + " -Force" + lines, _lab.Variables());
        again.AssertNoErrors();
        Assert.Empty(again.Warnings);
        Assert.All(again.Output, o => Assert.EndsWith("|Unchanged|False", o.ToString(), StringComparison.Ordinal));

        string Tracing() => (string)JsonNode.Parse(_lab.Kubectl("west", "-n", ns, "get", "smcp", "basic", "-o", "json"))!["spec"]!["tracing"]!["type"]!;
    }

    [Fact]
    public void A_cluster_whose_API_server_dies_mid_run_fails_alone_and_a_rerun_after_restart_converges()
    {
        const string ns = "fault-phoenix";
        const string steps = $$"""
            $ca | Install-MeshCACertificate -Namespace {{ns}} | ForEach-Object { "$step|$($_.Cluster)|$($_.Kind)|$($_.Action)" }
            $c | Install-MeshControlPlane -Namespace {{ns}} -MeshId phoenix | ForEach-Object { "$step|$($_.Cluster)|$($_.Kind)|$($_.Action)" }
            $c | Install-MeshEastWestGateway -Namespace {{ns}} | ForEach-Object { "$step|$($_.Cluster)|$($_.Kind)|$($_.Action)" }
            Connect-MeshCluster -Cluster $c -Namespace {{ns}} -CreateServiceAccount -Timeout 00:00:30 | ForEach-Object { "$step|$($_.Cluster)|$($_.Kind)|$($_.Action)" }
            """;
        var stopped = false;
        try
        {
            var run = ModuleEngine.Run($$"""
                $c = Get-MeshCluster -Kubeconfig $west, $north
                $ca = $c | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048) -KeySize 2048
                $step = 1
                $ca | Install-MeshCACertificate -Namespace {{ns}} | ForEach-Object { "$step|$($_.Cluster)|$($_.Kind)|$($_.Action)" }
                $stop.Invoke()
                $step = 2
                {{steps.Split('\n', 2)[1]}}
                $start.Invoke()
                $step = 3
                {{steps}}
                $step = 4
                {{steps}}
                """, _lab.Variables(
                ("stop", (Action)(() => { _lab.StopApiServer("north"); stopped = true; })),
                ("start", (Action)(() => { _lab.StartApiServer("north"); stopped = false; }))));
            Assert.Null(run.Terminating);
            var output = run.Output.Select(o => o.ToString()!).ToList();

            // While north was down: each step said north failed, once; west went on, its mesh networks left alone
            // (they would have lacked north's gateway). Nothing failed after the restart.
            Assert.Equal(new[]
            {
                "ClusterUnreachable|north|InstallMeshControlPlaneCommand", "ClusterUnreachable|north|InstallMeshEastWestGatewayCommand",
                "ClusterUnreachable|north|ConnectMeshClusterCommand", "MeshNetworksIncomplete|west|ConnectMeshClusterCommand",
            }, run.Errors.Select(e => $"{e.FullyQualifiedErrorId.Split(',')[0]}|{e.TargetObject}|{e.FullyQualifiedErrorId.Split('.')[^1]}"));
            Assert.Contains("2|west|ServiceMeshControlPlane|Created", output);
            Assert.Contains("2|west|Service|Created", output);
            Assert.DoesNotContain(output, l => l.StartsWith("2|north|", StringComparison.Ordinal));

            // After the restart: north catches up, west has nothing to redo but the connection; then nothing changes.
            Assert.Contains("3|west|ServiceMeshControlPlane|Unchanged", output);
            Assert.Contains("3|north|ServiceMeshControlPlane|Created", output);
            Assert.Contains("3|north|Service|Created", output);
            Assert.Contains("3|west|Secret|Created", output);
            Assert.Contains("3|north|Secret|Created", output);
            Assert.All(output.Where(l => l.StartsWith("4|", StringComparison.Ordinal)), l => Assert.EndsWith("|Unchanged", l, StringComparison.Ordinal));
            Assert.Contains(output, l => l.StartsWith("4|north|", StringComparison.Ordinal));

            // No duplicates, no orphans: exactly the objects one clean run makes.
            foreach (var (cluster, other) in new[] { ("west", "north"), ("north", "west") })
            {
                Assert.Equal(new[] { $"istio-remote-secret-{other}" }, Names(cluster, "secrets", "-l", "istio/multiCluster=true"));
                Assert.Equal(new[] { "basic" }, Names(cluster, "smcp"));
                Assert.Equal(new[] { "istio-eastwestgateway" }, Names(cluster, "services"));
                Assert.Equal(new[] { "cacerts" }, Names(cluster, "secrets", "-l", "!istio/multiCluster", "--field-selector", "type=Opaque"));
                var readerTokens = Names(cluster, "secrets", "--field-selector", "type=kubernetes.io/service-account-token")
                    .Where(n => n.StartsWith("istio-reader", StringComparison.Ordinal)).ToList();
                // The token controller's own secret (…-token-xxxxx), and the module's only if it asked before the
                // controller made one (a race on a fresh account): never more, however often it runs.
                Assert.InRange(readerTokens.Count(n => n.StartsWith("istio-reader-service-account-token-", StringComparison.Ordinal)), 0, 1);
                Assert.All(readerTokens.Where(n => !n.StartsWith("istio-reader-service-account-token-", StringComparison.Ordinal)),
                    n => Assert.Equal("istio-reader-service-account-istio-remote-secret-token", n));
                Assert.InRange(readerTokens.Count, 1, 2);
                var networks = JsonNode.Parse(_lab.Kubectl(cluster, "-n", ns, "get", "smcp", "basic", "-o", "json"))!["spec"]!["cluster"]!["multiCluster"]!["meshNetworks"]!;
                Assert.Equal(new[] { $"{other}-network" }, networks.AsObject().Select(kv => kv.Key));
            }
        }
        finally
        {
            if (stopped)
            {
                _lab.StartApiServer("north");
            }
        }
    }

    private string[] Names(string cluster, params string[] what) =>
        _lab.Kubectl(cluster, new[] { "-n", "fault-phoenix", "get" }.Concat(what).Concat(new[] { "-o", "jsonpath={.items[*].metadata.name}" }).ToArray())
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Order().ToArray();

    private static string ServerOf(string kubeconfig) =>
        File.ReadLines(kubeconfig).Select(l => l.Trim()).First(l => l.StartsWith("server: ", StringComparison.Ordinal))["server: ".Length..];

    private static void WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in 30 s");
            Thread.Sleep(200);
        }
    }
}
