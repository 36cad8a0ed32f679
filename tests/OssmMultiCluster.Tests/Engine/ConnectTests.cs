using System.Management.Automation;
using System.Text;
using System.Text.Json.Nodes;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Engine;

/// <summary>Connect-MeshCluster, Disconnect-MeshCluster and New-MeshRemoteSecret on three lab clusters.</summary>
[Collection("lab")]
public sealed class ConnectTests
{
    private const string Ns = "mesh-connect";
    private readonly LabFixture _lab;

    public ConnectTests(LabFixture lab) => _lab = lab;

    private Dictionary<string, object?> Vars(params (string, object?)[] extra) => _lab.Variables(extra);

    private JsonNode? MeshNetworks(string cluster) =>
        JsonNode.Parse(_lab.Kubectl(cluster, "-n", Ns, "get", "smcp", "basic", "-o", "json"))!["spec"]!["cluster"]!["multiCluster"]!["meshNetworks"];

    private string[] RemoteSecrets(string cluster) =>
        _lab.Kubectl(cluster, "-n", Ns, "get", "secrets", "-l", "istio/multiCluster=true", "-o", "jsonpath={.items[*].metadata.name}")
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Order().ToArray();

    private string Kubeconfig(string cluster, string source) => Encoding.UTF8.GetString(Convert.FromBase64String(
        _lab.Kubectl(cluster, "-n", Ns, "get", "secret", $"istio-remote-secret-{source}", "-o", $"jsonpath={{.data.{source}}}")));

    [Fact]
    public void Three_clusters_connect_fully_rerun_unchanged_follow_a_gateway_change_and_disconnect_without_trace()
    {
        var setup = ModuleEngine.Run($$"""
            $c = Get-MeshCluster -Kubeconfig $west, $east, $north
            $null = $c | Install-MeshControlPlane -MeshId bookinfo-mesh -Namespace {{Ns}}
            $null = $c | Install-MeshEastWestGateway -Namespace {{Ns}} -Wait -Timeout 00:00:30
            """, Vars());
        setup.AssertNoErrors();

        var connect = $$"""
            $c = Get-MeshCluster -Kubeconfig $west, $east, $north
            Connect-MeshCluster -Cluster $c -Namespace {{Ns}} -CreateServiceAccount -Verbose | ForEach-Object { "$($_.Cluster)|$($_.Kind)|$($_.Name)|$($_.Action)" }
            """;
        var first = ModuleEngine.Run(connect, Vars());
        Assert.Null(first.Terminating);
        Assert.Empty(first.Errors);
        Assert.Equal(new[]
        {
            "west|Secret|istio-remote-secret-east|Created", "west|Secret|istio-remote-secret-north|Created", "west|ServiceMeshControlPlane|basic|Configured",
            "east|Secret|istio-remote-secret-west|Created", "east|Secret|istio-remote-secret-north|Created", "east|ServiceMeshControlPlane|basic|Configured",
            "north|Secret|istio-remote-secret-west|Created", "north|Secret|istio-remote-secret-east|Created", "north|ServiceMeshControlPlane|basic|Configured",
        }, first.Output.Select(o => o.ToString()));
        Assert.Contains(first.Warnings, w => w.Contains("loopback"));

        // Every secret: label, annotation, and a kubeconfig that works with kubectl as the reader account.
        foreach (var (cluster, source) in new[] { ("west", "east"), ("west", "north"), ("east", "west"), ("east", "north"), ("north", "west"), ("north", "east") })
        {
            var secret = JsonNode.Parse(_lab.Kubectl(cluster, "-n", Ns, "get", "secret", $"istio-remote-secret-{source}", "-o", "json"))!;
            Assert.Equal("true", (string?)secret["metadata"]!["labels"]!["istio/multiCluster"]);
            Assert.Equal(source, (string?)secret["metadata"]!["annotations"]!["networking.istio.io/cluster"]);
            using var dir = new TempDir();
            File.WriteAllText(dir["reader"], Kubeconfig(cluster, source));
            Assert.DoesNotContain("insecure-skip-tls-verify: true", File.ReadAllText(dir["reader"]));
            var services = Run("kubectl", "--kubeconfig", dir["reader"], "get", "services", "-A", "-o", "name");
            Assert.Equal(0, services.code);
            Assert.Contains("service/istio-eastwestgateway", services.output);
            var write = Run("kubectl", "--kubeconfig", dir["reader"], "create", "namespace", "reader-must-not-write");
            Assert.Contains("forbidden", write.output, StringComparison.OrdinalIgnoreCase);
        }

        var westAddress = _lab.Kubectl("west", "-n", Ns, "get", "svc", "istio-eastwestgateway", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}");
        var networks = MeshNetworks("north")!;
        Assert.Equal(new[] { "east-network", "west-network" }, networks.AsObject().Select(kv => kv.Key).Order());
        Assert.Equal(westAddress, (string?)networks["west-network"]!["gateways"]![0]!["address"]);
        Assert.Equal("west", (string?)networks["west-network"]!["endpoints"]![0]!["fromRegistry"]);
        Assert.Equal($"istio-eastwestgateway.{Ns}.east.elb.lab.test", (string?)networks["east-network"]!["gateways"]![0]!["address"]);
        Assert.Equal(15443, (int?)networks["east-network"]!["gateways"]![0]!["port"]);
        Assert.Equal("bookinfo-mesh", (string?)JsonNode.Parse(_lab.Kubectl("north", "-n", Ns, "get", "smcp", "basic", "-o", "json"))!["spec"]!["techPreview"]!["global"]!["meshID"]);

        // A re-run changes nothing; Install-MeshControlPlane again does not take the mesh networks away.
        var again = ModuleEngine.Run(connect, Vars());
        Assert.All(again.Output, o => Assert.EndsWith("|Unchanged", o.ToString()));
        var reinstall = ModuleEngine.Run($"Get-MeshCluster -Kubeconfig $north | Install-MeshControlPlane -MeshId bookinfo-mesh -Namespace {Ns} | ForEach-Object Action", Vars());
        Assert.Equal(new[] { "Unchanged", "Unchanged" }, reinstall.Output.Select(o => o.ToString()));
        Assert.NotNull(MeshNetworks("north")!["west-network"]);

        // East's load balancer changes its address: the next Connect picks it up everywhere, and only there.
        _lab.Kubectl("east", "-n", Ns, "patch", "service", "istio-eastwestgateway", "--subresource=status", "--type=merge",
            "-p", """{"status":{"loadBalancer":{"ingress":[{"hostname":"moved.east.elb.lab.test"}]}}}""");
        var moved = ModuleEngine.Run(connect, Vars());
        Assert.Equal(new[] { "west|ServiceMeshControlPlane|basic|Configured", "north|ServiceMeshControlPlane|basic|Configured" },
            moved.Output.Select(o => o.ToString()).Where(o => !o.EndsWith("|Unchanged", StringComparison.Ordinal)));
        Assert.Equal("moved.east.elb.lab.test", (string?)MeshNetworks("west")!["east-network"]!["gateways"]![0]!["address"]);

        // No token from any secret appears in anything the runs wrote.
        var tokens = new[] { ("west", "east"), ("east", "north"), ("north", "west") }
            .Select(p => Kubeconfig(p.Item1, p.Item2).Split('\n').Single(l => l.TrimStart().StartsWith("token:", StringComparison.Ordinal)).Split(':')[1].Trim()).ToList();
        Assert.All(tokens, t => Assert.True(t.Length > 20));
        foreach (var run in new[] { first, again, moved })
        {
            Assert.All(tokens, t => Assert.DoesNotContain(t, run.AllText));
        }

        // North leaves: no trace of it in west and east, and none of them in it.
        var leave = ModuleEngine.Run($$"""
            $c = Get-MeshCluster -Kubeconfig $west, $east, $north
            Disconnect-MeshCluster -Cluster $c[2] -From $c[0], $c[1] -Namespace {{Ns}} -Confirm:$false | ForEach-Object { "$($_.Cluster)|$($_.Name)|$($_.Action)" }
            """, Vars());
        leave.AssertNoErrors();
        Assert.Equal(new[] { "istio-remote-secret-east" }, RemoteSecrets("west"));
        Assert.Equal(new[] { "istio-remote-secret-west" }, RemoteSecrets("east"));
        Assert.Empty(RemoteSecrets("north"));
        Assert.Null(MeshNetworks("north"));
        Assert.Equal(new[] { "east-network" }, MeshNetworks("west")!.AsObject().Select(kv => kv.Key));
        Assert.DoesNotContain("north", MeshNetworks("east")!.ToJsonString());

        // North comes back: only what concerns it changes.
        var back = ModuleEngine.Run(connect, Vars());
        Assert.Empty(back.Errors);
        Assert.Equal(new[] { "west|Secret|istio-remote-secret-east|Unchanged", "east|Secret|istio-remote-secret-west|Unchanged" },
            back.Output.Select(o => o.ToString()).Where(o => o.EndsWith("|Unchanged", StringComparison.Ordinal)));
    }

    [Fact]
    public void OSSM3_gets_mesh_networks_only_when_asked()
    {
        const string ns = "mesh-ossm3";
        var run = ModuleEngine.Run($$"""
            $c = Get-MeshCluster -Kubeconfig $west, $east
            $null = $c | Install-MeshControlPlane -MeshId bookinfo-mesh -Flavor Ossm3 -Name m3 -Namespace {{ns}} -SkipCni
            $null = $c | Install-MeshEastWestGateway -Namespace {{ns}} -Flavor Ossm3 -Wait -Timeout 00:00:30
            (Connect-MeshCluster -Cluster $c -Namespace {{ns}} -CreateServiceAccount -WarningAction SilentlyContinue | ForEach-Object Kind | Sort-Object -Unique) -join ','
            (Connect-MeshCluster -Cluster $c -Namespace {{ns}} -MeshNetworks -WarningAction SilentlyContinue | Where-Object Kind -eq Istio | ForEach-Object Action) -join ','
            """, Vars());
        run.AssertNoErrors();
        Assert.Equal(new[] { "Secret", "Configured,Configured" }, run.Output.Select(o => o.ToString()));
        var istio = JsonNode.Parse(_lab.Kubectl("west", "get", "istios.sailoperator.io", "m3", "-o", "json"))!;
        var networks = istio["spec"]!["values"]!["global"]!["meshNetworks"]!;
        Assert.Equal("east", (string?)networks["east-network"]!["endpoints"]![0]!["fromRegistry"]);
        Assert.Equal($"istio-eastwestgateway.{ns}.east.elb.lab.test", (string?)networks["east-network"]!["gateways"]![0]!["address"]);
        Assert.Equal("west", (string?)istio["spec"]!["values"]!["global"]!["multiCluster"]!["clusterName"]);
    }

    [Fact]
    public void Rotating_tokens_updates_every_secret_restarts_istiod_and_revokes_the_old_token()
    {
        const string ns = "mesh-rotate";
        var setup = ModuleEngine.Run($$"""
            $c = Get-MeshCluster -Kubeconfig $west, $east
            $null = $c | Install-MeshControlPlane -MeshId bookinfo-mesh -Namespace {{ns}}
            $null = $c | Install-MeshEastWestGateway -Namespace {{ns}} -Wait -Timeout 00:00:30
            $null = Connect-MeshCluster -Cluster $c -Namespace {{ns}} -CreateServiceAccount -WarningAction SilentlyContinue
            """, Vars());
        setup.AssertNoErrors();
        // A stand-in for the operator's istiod Deployment (no pod runs in the lab; the restart is the template annotation).
        _lab.Kubectl("east", "-n", ns, "create", "deployment", "istiod-basic", "--image=registry.example/istiod:lab");
        _lab.Kubectl("east", "-n", ns, "label", "deployment", "istiod-basic", "app=istiod", "--overwrite");

        using var dir = new TempDir();
        var before = Encoding.UTF8.GetString(Convert.FromBase64String(
            _lab.Kubectl("east", "-n", ns, "get", "secret", "istio-remote-secret-west", "-o", "jsonpath={.data.west}")));
        File.WriteAllText(dir["old"], before);
        Assert.Equal(0, Run("kubectl", "--kubeconfig", dir["old"], "get", "services", "-n", ns).code);

        var run = ModuleEngine.Run($$"""
            $c = Get-MeshCluster -Kubeconfig $west, $east
            Update-MeshRemoteSecret -Cluster $c -Source west -Namespace {{ns}} -WarningAction SilentlyContinue |
                ForEach-Object { "$($_.Cluster)|$($_.Kind)|$($_.Action)" }
            """, Vars());
        run.AssertNoErrors();
        Assert.Equal(new[] { "east|Secret|Configured", "east|Deployment|Configured" }, run.Output.Take(2).Select(o => o.ToString()));
        Assert.Contains("west|Secret|Deleted", run.Output.Skip(2).Select(o => o.ToString()));

        var after = Encoding.UTF8.GetString(Convert.FromBase64String(
            _lab.Kubectl("east", "-n", ns, "get", "secret", "istio-remote-secret-west", "-o", "jsonpath={.data.west}")));
        Assert.NotEqual(before, after);
        File.WriteAllText(dir["new"], after);
        Assert.Equal(0, Run("kubectl", "--kubeconfig", dir["new"], "get", "services", "-n", ns).code);
        // The API server checks token secrets through its informer cache: the revocation lands within moments.
        var revoked = Run("kubectl", "--kubeconfig", dir["old"], "get", "services", "-n", ns);
        for (var i = 0; i < 40 && revoked.code == 0; i++)
        {
            Thread.Sleep(250);
            revoked = Run("kubectl", "--kubeconfig", dir["old"], "get", "services", "-n", ns);
        }

        Assert.NotEqual(0, revoked.code);
        Assert.Contains("Unauthorized", revoked.output);
        Assert.NotEmpty(_lab.Kubectl("east", "-n", ns, "get", "deployment", "istiod-basic", "-o", "jsonpath={.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}"));
        Assert.All(new[] { before, after }.Select(k => k.Split('\n').Single(l => l.TrimStart().StartsWith("token:", StringComparison.Ordinal)).Split(':')[1].Trim()),
            token => Assert.DoesNotContain(token, run.AllText));
    }

    [Fact]
    public void A_bound_token_warns_of_its_expiry_and_a_missing_reader_account_is_named()
    {
        var run = ModuleEngine.Run("""
            $c = Get-MeshCluster -Kubeconfig $west
            $null = & kubectl --kubeconfig $west create namespace mesh-bound
            $s = New-MeshRemoteSecret -Cluster $c -Namespace mesh-bound -CreateServiceAccount -TokenType Bound -TokenLifetime 01:00:00 -Server https://api.west.example.com:6443
            "$($s.Name)|$($s.SourceCluster)|$($s.TokenType)|$($s.Server)"
            [int]($s.ExpiresAt - [DateTime]::UtcNow).TotalMinutes
            $s | Out-String
            $null = & kubectl --kubeconfig $west create namespace mesh-no-reader
            New-MeshRemoteSecret -Cluster $c -Namespace mesh-no-reader
            """, Vars());
        Assert.Null(run.Terminating);
        Assert.Equal("istio-remote-secret-west|west|Bound|https://api.west.example.com:6443", run.Output[0].ToString());
        Assert.InRange(int.Parse(run.Output[1].ToString()!), 55, 60);
        Assert.Contains(run.Warnings, w => w.Contains("expires at"));
        Assert.DoesNotContain(run.Warnings, w => w.Contains("loopback"));
        var error = Assert.Single(run.Errors);
        Assert.Equal("ReaderAccountMissing,OssmMultiCluster.Commands.NewMeshRemoteSecretCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
    }

    private static (int code, string output) Run(string file, params string[] arguments)
    {
        var (code, stdout, stderr) = Processes.Run(file, arguments);
        return (code, stdout + stderr);
    }
}
