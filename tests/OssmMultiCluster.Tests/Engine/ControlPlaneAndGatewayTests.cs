using System.Management.Automation;
using System.Text.Json.Nodes;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Engine;

/// <summary>Install-MeshControlPlane, Install-MeshEastWestGateway, Wait-MeshGateway and GitOps export on the lab.</summary>
[Collection("lab")]
public sealed class ControlPlaneAndGatewayTests
{
    private readonly LabFixture _lab;

    public ControlPlaneAndGatewayTests(LabFixture lab) => _lab = lab;

    private Dictionary<string, object?> Vars(params (string, object?)[] extra) => _lab.Variables(extra);

    private JsonNode Get(string cluster, params string[] what) => JsonNode.Parse(_lab.Kubectl(cluster, what.Concat(new[] { "-o", "json" }).ToArray()))!;

    [Fact]
    public void Both_flavours_are_accepted_read_back_as_sent_and_a_rerun_is_Unchanged()
    {
        var run = ModuleEngine.Run("""
            $clusters = Get-MeshCluster -Kubeconfig $west, $east -Network west-network, east-network
            $first = $clusters | Install-MeshControlPlane -MeshId bookinfo-mesh -Namespace cp-ossm2
            $first += $clusters | Install-MeshControlPlane -MeshId bookinfo-mesh -Flavor Ossm3 -Name flavour-test -Namespace cp-ossm3 -Version v1.24.3
            ($first | ForEach-Object { "$($_.Cluster)|$($_.Kind)|$($_.Action)" }) -join ','
            $again = $clusters | Install-MeshControlPlane -MeshId bookinfo-mesh -Namespace cp-ossm2
            $again += $clusters | Install-MeshControlPlane -MeshId bookinfo-mesh -Flavor Ossm3 -Name flavour-test -Namespace cp-ossm3 -Version v1.24.3
            ($again | ForEach-Object Action | Sort-Object -Unique) -join ','
            """, Vars());
        run.AssertNoErrors();
        Assert.Equal(
            "west|Namespace|Created,west|ServiceMeshControlPlane|Created,east|Namespace|Created,east|ServiceMeshControlPlane|Created," +
            "west|Namespace|Created,west|Namespace|Created,west|IstioCNI|Created,west|Istio|Created,west|PeerAuthentication|Created," +
            "east|Namespace|Created,east|Namespace|Created,east|IstioCNI|Created,east|Istio|Created,east|PeerAuthentication|Created",
            run.Output[0].ToString());
        Assert.Equal("Unchanged", run.Output[1].ToString());

        var expected = WalkthroughText.Manifests("${cluster}-config/smcp.yaml", "east").Single();
        expected["spec"]!["cluster"]!["multiCluster"]!.AsObject().Remove("meshNetworks");
        expected["spec"]!["cluster"]!["name"] = "east";
        var smcp = Get("east", "-n", "cp-ossm2", "get", "smcp", "basic");
        Assert.True(JsonNode.DeepEquals(WalkthroughText.Normalize(expected["spec"]), WalkthroughText.Normalize(smcp["spec"])), smcp["spec"]!.ToJsonString());
        Assert.Equal("east-network", (string?)Get("east", "get", "ns", "cp-ossm2")["metadata"]!["labels"]!["topology.istio.io/network"]);

        var istio = Get("west", "get", "istios.sailoperator.io", "flavour-test");
        Assert.Equal("cp-ossm3", (string?)istio["spec"]!["namespace"]);
        Assert.Equal("west", (string?)istio["spec"]!["values"]!["global"]!["multiCluster"]!["clusterName"]);
        Assert.Equal("STRICT", (string?)Get("west", "-n", "cp-ossm3", "get", "peerauthentications.security.istio.io", "default")["spec"]!["mtls"]!["mode"]);
    }

    [Fact]
    public void A_cluster_without_the_operator_gets_a_clear_error_and_is_left_untouched()
    {
        var run = ModuleEngine.Run("""
            Get-MeshCluster -Kubeconfig $bare, $west | Install-MeshControlPlane -MeshId bookinfo-mesh -Namespace cp-missing-crd |
                ForEach-Object { "$($_.Cluster)|$($_.Kind)" }
            """, Vars());
        Assert.Equal(new[] { "west|Namespace", "west|ServiceMeshControlPlane" }, run.Output.Select(o => o.ToString()));
        var error = Assert.Single(run.Errors);
        Assert.Equal("CrdMissing,OssmMultiCluster.Commands.InstallMeshControlPlaneCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.NotInstalled, error.CategoryInfo.Category);
        Assert.Equal("bare", error.TargetObject);
        Assert.Contains("Service Mesh 2 operator", error.ErrorDetails.RecommendedAction);
        Assert.NotEqual(0, _lab.TryKubectl("bare", "get", "ns", "cp-missing-crd").code);
    }

    [Fact]
    public void WhatIf_creates_nothing()
    {
        var run = ModuleEngine.Run("""
            $c = Get-MeshCluster -Kubeconfig $west
            $c | Install-MeshControlPlane -MeshId bookinfo-mesh -Namespace cp-whatif -WhatIf
            $c | Install-MeshEastWestGateway -Namespace cp-whatif -WhatIf -Wait
            """, Vars());
        run.AssertNoErrors();
        Assert.Empty(run.Output);
        Assert.NotEqual(0, _lab.TryKubectl("west", "get", "ns", "cp-whatif").code);
    }

    [Fact]
    public void Gateways_get_addresses_in_ip_and_hostname_form_and_a_rerun_is_Unchanged()
    {
        var run = ModuleEngine.Run("""
            $clusters = Get-MeshCluster -Kubeconfig $west, $east
            $out = $clusters | Install-MeshEastWestGateway -Namespace gw-lb -Replicas 2 -Wait -Timeout 00:00:30
            ($out | Where-Object { $_.PSObject.TypeNames[0] -eq 'OssmMultiCluster.Model.MeshResourceResult' } | ForEach-Object { "$($_.Cluster)|$($_.Kind)|$($_.Action)" }) -join ','
            $out | Where-Object { $_.PSObject.TypeNames[0] -eq 'OssmMultiCluster.Model.MeshGatewayAddress' } | ForEach-Object { "$($_.Cluster)|$($_.AddressType)|$($_.Address)|$($_.Port)" }
            ($clusters | Install-MeshEastWestGateway -Namespace gw-lb -Replicas 2 | ForEach-Object Action | Sort-Object -Unique) -join ','
            ($clusters | Wait-MeshGateway -Namespace gw-lb | ForEach-Object Address) -join ','
            """, Vars());
        run.AssertNoErrors();
        Assert.Equal("west|Namespace|Created,west|Service|Created,west|Deployment|Created,west|PodDisruptionBudget|Created,west|Gateway|Created," +
                     "east|Namespace|Created,east|Service|Created,east|Deployment|Created,east|PodDisruptionBudget|Created,east|Gateway|Created", run.Output[0].ToString());
        Assert.Matches(@"^west\|IP\|127\.100\.0\.\d+\|15443$", run.Output[1].ToString());
        Assert.Equal("east|Hostname|istio-eastwestgateway.gw-lb.east.elb.lab.test|15443", run.Output[2].ToString());
        Assert.Equal("Unchanged", run.Output[3].ToString());
        Assert.Equal($"{run.Output[1].ToString()!.Split('|')[2]},istio-eastwestgateway.gw-lb.east.elb.lab.test", run.Output[4].ToString());
        Assert.Equal("policy/v1beta1", (string?)Get("west", "-n", "gw-lb", "get", "pdb", "istio-eastwestgateway")["apiVersion"]);
    }

    [Fact]
    public void A_gateway_that_never_gets_an_address_times_out_with_what_to_check()
    {
        var run = ModuleEngine.Run("""
            $c = Get-MeshCluster -Kubeconfig $west
            $null = $c | Install-MeshEastWestGateway -Namespace gw-never -LoadBalancerAnnotation @{ 'ossm-lab/ingress' = 'none' }
            $c | Wait-MeshGateway -Namespace gw-never -Timeout 00:00:02
            """, Vars());
        Assert.Empty(run.Output);
        var error = Assert.Single(run.Errors);
        Assert.Equal("GatewayAddressTimeout,OssmMultiCluster.Commands.WaitMeshGatewayCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.OperationTimeout, error.CategoryInfo.Category);
        Assert.Contains("describe service", error.ErrorDetails.RecommendedAction);
        Assert.Contains("NodePort", error.ErrorDetails.RecommendedAction);
    }

    [Fact]
    public void A_NodePort_gateway_is_reached_at_a_ready_nodes_address_and_its_node_port()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["node.yaml"], "apiVersion: v1\nkind: Node\nmetadata:\n  name: lab-node-1\n");
        _lab.Kubectl("east", "apply", "-f", dir["node.yaml"]);
        _lab.Kubectl("east", "patch", "node", "lab-node-1", "--subresource=status", "--type=merge", "-p",
            """{"status":{"addresses":[{"type":"InternalIP","address":"127.0.0.42"}],"conditions":[{"type":"Ready","status":"True","reason":"LabNode","message":"stand-in node","lastHeartbeatTime":"2026-01-01T00:00:00Z","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}""");
        var run = ModuleEngine.Run("""
            Get-MeshCluster -Kubeconfig $east | Install-MeshEastWestGateway -Namespace gw-nodeport -ServiceType NodePort -Wait -Timeout 00:00:10 |
                Where-Object { $_.PSObject.TypeNames[0] -eq 'OssmMultiCluster.Model.MeshGatewayAddress' } | ForEach-Object { "$($_.AddressType)|$($_.Address)|$($_.Port)" }
            """, Vars());
        run.AssertNoErrors();
        var nodePort = _lab.Kubectl("east", "-n", "gw-nodeport", "get", "svc", "istio-eastwestgateway", "-o", "jsonpath={.spec.ports[?(@.port==15443)].nodePort}");
        Assert.Equal($"NodeIP|127.0.0.42|{nodePort}", Assert.Single(run.Output).ToString());
    }

    [Fact]
    public void An_exported_tree_applied_with_kubectl_gives_the_same_objects_as_the_cmdlets()
    {
        using var dir = new TempDir();
        var run = ModuleEngine.Run("""
            $west = Get-MeshCluster -Kubeconfig $west
            $ca = $west | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048 -PregenerateKeys 0)
            foreach ($target in @{}, @{ OutputPath = $out }) {
                $null = $ca | Install-MeshCACertificate -Namespace gitops @target
                $null = $west | Install-MeshControlPlane -MeshId bookinfo-mesh -Namespace gitops @target
                # One replica: no PodDisruptionBudget, whose exported policy/v1 the lab's Kubernetes 1.20 does not serve.
                $null = $west | Install-MeshEastWestGateway -Namespace gitops @target
            }
            ($ca | Install-MeshCACertificate -Namespace gitops -OutputPath "$out-nosecrets" -ExcludeSecrets | ForEach-Object Kind) -join ','
            """, Vars(("out", dir["tree"])));
        Assert.Null(run.Terminating);
        Assert.Empty(run.Errors);
        Assert.Contains(run.Warnings, w => w.Contains("Secrets with private keys"));
        Assert.Equal("Namespace", run.Output.Single().ToString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dir["tree/west/gitops/secret-cacerts.yaml"]));

        // The tree, applied by kubectl to another cluster, must produce what the cmdlets produced on west.
        var apply = _lab.Kubectl("east", "apply", "-f", dir["tree/west"], "--recursive");
        Assert.Contains("servicemeshcontrolplane.maistra.io/basic", apply);
        foreach (var what in new[] { new[] { "ns", "gitops" }, new[] { "-n", "gitops", "secret", "cacerts" }, new[] { "-n", "gitops", "smcp", "basic" },
                     new[] { "-n", "gitops", "svc", "istio-eastwestgateway" }, new[] { "-n", "gitops", "deploy", "istio-eastwestgateway" },
                     new[] { "-n", "gitops", "gateways.networking.istio.io", "istio-eastwestgateway" } })
        {
            var onWest = Comparable(Get("west", new[] { "get" }.Concat(what).ToArray()));
            var onEast = Comparable(Get("east", new[] { "get" }.Concat(what).ToArray()));
            Assert.True(JsonNode.DeepEquals(onWest, onEast), $"{string.Join(' ', what)} differs:\nwest {onWest?.ToJsonString()}\neast {onEast?.ToJsonString()}");
        }
    }

    /// <summary>What both clusters set from the manifests: server-assigned fields (ids, times, IPs, ports) removed.</summary>
    private static JsonNode? Comparable(JsonNode node)
    {
        var copy = JsonNode.Parse(node.ToJsonString())!.AsObject();
        copy.Remove("status");
        var metadata = copy["metadata"]!.AsObject();
        foreach (var key in new[] { "uid", "resourceVersion", "creationTimestamp", "managedFields", "generation", "selfLink" })
        {
            metadata.Remove(key);
        }

        metadata["annotations"]?.AsObject().Remove("kubectl.kubernetes.io/last-applied-configuration");
        metadata["annotations"]?.AsObject().Remove("deployment.kubernetes.io/revision");
        if (metadata["annotations"] is JsonObject { Count: 0 })
        {
            metadata.Remove("annotations");
        }

        if (copy["spec"] is JsonObject spec)
        {
            spec.Remove("clusterIP");
            spec.Remove("clusterIPs");
            foreach (var port in (spec["ports"] as JsonArray ?? new JsonArray()).OfType<JsonObject>())
            {
                port.Remove("nodePort");
            }
        }

        return copy;
    }
}
