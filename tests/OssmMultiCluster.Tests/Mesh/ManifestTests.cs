using OssmMultiCluster.Model;
using System.Text.Json.Nodes;
using k8s;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Mesh;

/// <summary>The objects the Install cmdlets build, compared with the walkthrough's own manifests, field for field.</summary>
public sealed class ManifestTests
{
    private static JsonNode Json(KubeObject obj) => JsonNode.Parse(KubernetesJson.Serialize(obj.Body))!;

    [Fact]
    public void The_OSSM2_control_plane_is_the_walkthroughs_smcp_field_for_field_except_mesh_networks()
    {
        var west = TestClusters.Offline("west-cluster", "west-network");
        var objects = ControlPlane.Objects(west, new ControlPlaneOptions { MeshId = "bookinfo-mesh" });
        Assert.Equal(new[] { "Namespace", "ServiceMeshControlPlane" }, objects.Select(o => o.Kind.Kind));

        var expected = WalkthroughText.Manifests("${cluster}-config/smcp.yaml", "west").Single();
        // Mesh networks belong to Connect-MeshCluster; the walkthrough's are placeholders anyway. Applied with -n istio-system.
        expected["spec"]!["cluster"]!["multiCluster"]!.AsObject().Remove("meshNetworks");
        expected["metadata"]!["namespace"] = "istio-system";
        var ours = Json(objects[1]);
        Assert.True(JsonNode.DeepEquals(WalkthroughText.Normalize(expected), WalkthroughText.Normalize(ours)),
            $"expected {expected.ToJsonString()}\nactual   {ours.ToJsonString()}");
    }

    [Fact]
    public void The_OSSM3_control_plane_carries_the_same_intent_in_Istio_IstioCNI_and_strict_mTLS()
    {
        var east = TestClusters.Offline("east", "east-network");
        var objects = ControlPlane.Objects(east, new ControlPlaneOptions { MeshId = "bookinfo-mesh", Flavor = MeshFlavor.Ossm3, Version = "v1.24.3" });
        Assert.Equal(new[] { "Namespace", "Namespace", "IstioCNI", "Istio", "PeerAuthentication" }, objects.Select(o => o.Kind.Kind));
        var istio = Json(objects[3]);
        Assert.Equal("sailoperator.io/v1", (string?)istio["apiVersion"]);
        Assert.Equal("istio-system", (string?)istio["spec"]!["namespace"]);
        Assert.Equal("v1.24.3", (string?)istio["spec"]!["version"]);
        var global = istio["spec"]!["values"]!["global"]!;
        Assert.Equal("bookinfo-mesh", (string?)global["meshID"]);
        Assert.Equal("east", (string?)global["multiCluster"]!["clusterName"]);
        Assert.Equal("east-network", (string?)global["network"]);
        Assert.Null(global["meshNetworks"]);
        Assert.Equal("enabled", (string?)istio["spec"]!["values"]!["meshConfig"]!["discoverySelectors"]![0]!["matchLabels"]!["istio-injection"]);
        Assert.Equal("istio-cni", (string?)Json(objects[2])["spec"]!["namespace"]);
        Assert.Equal("STRICT", (string?)Json(objects[4])["spec"]!["mtls"]!["mode"]);

        var withoutCni = ControlPlane.Objects(east, new ControlPlaneOptions { MeshId = "bookinfo-mesh", Flavor = MeshFlavor.Ossm3, SkipCni = true });
        Assert.DoesNotContain(withoutCni, o => o.Kind.Kind == "IstioCNI" || o.Name == "istio-cni");
    }

    [Fact]
    public void The_east_west_gateway_holds_every_field_of_the_walkthroughs_and_runs_under_restricted_SCC()
    {
        var west = TestClusters.Offline("west-cluster", "west-network");
        var objects = EastWestGateway.Objects(west, new EastWestGatewayOptions());
        Assert.Equal(new[] { "Namespace", "Service", "Deployment", "Gateway" }, objects.Select(o => o.Kind.Kind));
        var walkthrough = WalkthroughText.Manifests("${cluster}-config/eastwest-gateway.yaml", "west");
        Assert.Equal(new[] { "Service", "Deployment", "Gateway" }, walkthrough.Select(d => (string?)d["kind"]));
        for (var i = 0; i < 3; i++)
        {
            WalkthroughText.AssertContains(walkthrough[i], Json(objects[i + 1]), (string?)walkthrough[i]["kind"] ?? "?");
        }

        var deployment = KubernetesJson.Serialize(objects[2].Body);
        Assert.DoesNotContain("runAsUser", deployment);
        Assert.DoesNotContain("privileged", deployment);
        Assert.Contains("\"allowPrivilegeEscalation\":false", deployment);
    }

    [Fact]
    public void Gateway_options_shape_the_objects()
    {
        var west = TestClusters.Offline("west", "west-network");
        var options = new EastWestGatewayOptions
        {
            ServiceType = GatewayServiceType.NodePort,
            Replicas = 3,
            ExposeIstiod = true,
            Flavor = MeshFlavor.Ossm3,
            Resources = new k8s.Models.V1ResourceRequirements { Limits = new Dictionary<string, k8s.Models.ResourceQuantity> { ["memory"] = new("1Gi") } },
        };
        var objects = EastWestGateway.Objects(west, options, pdbVersion: "v1beta1");
        Assert.Equal(new[] { "Namespace", "Service", "Deployment", "PodDisruptionBudget", "Gateway", "Gateway", "VirtualService" }, objects.Select(o => o.Kind.Kind));
        var service = Json(objects[1]);
        Assert.Equal("NodePort", (string?)service["spec"]!["type"]);
        // No load-balancer annotation; the node selector without which Istio takes no NodePort Service as a gateway.
        Assert.Equal("{}", (string?)service["metadata"]!["annotations"]!["traffic.istio.io/nodeSelector"]);
        Assert.Single(service["metadata"]!["annotations"]!.AsObject());
        Assert.Equal(3, (int?)Json(objects[2])["spec"]!["replicas"]);
        Assert.Equal("1Gi", (string?)Json(objects[2])["spec"]!["template"]!["spec"]!["containers"]![0]!["resources"]!["limits"]!["memory"]);
        Assert.Equal("policy/v1beta1", (string?)Json(objects[3])["apiVersion"]);
        Assert.Equal("istiod.istio-system.svc.cluster.local", (string?)Json(objects[6])["spec"]!["tls"]![0]!["route"]![0]!["destination"]!["host"]);
        Assert.Equal(443, (int?)Json(objects[6])["spec"]!["tls"]![1]!["route"]![0]!["destination"]!["port"]!["number"]);

        var ossm2 = EastWestGateway.Objects(west, options with { Flavor = MeshFlavor.Ossm2 });
        Assert.Equal("istiod-basic.istio-system.svc.cluster.local", (string?)Json(ossm2[^1])["spec"]!["tls"]![0]!["route"]![0]!["destination"]!["host"]);
    }

    [Fact]
    public void Exported_manifests_are_one_document_per_object_in_the_gitops_layout_with_secrets_0600()
    {
        using var dir = new TempDir();
        var west = TestClusters.Offline("west", "west-network");
        var files = new ManifestExporter().Export(dir.Path, "west", EastWestGateway.Objects(west, new EastWestGatewayOptions()), excludeSecrets: false);
        Assert.Equal(new[] { "west/_cluster/namespace-istio-system.yaml", "west/istio-system/service-istio-eastwestgateway.yaml",
                "west/istio-system/deployment-istio-eastwestgateway.yaml", "west/istio-system/gateway-istio-eastwestgateway.yaml" },
            files.Select(f => Path.GetRelativePath(dir.Path, f.Path)));
        Assert.Contains("sidecar.istio.io/inject: \"true\"", File.ReadAllText(files[2].Path));
        Assert.All(files, f => Assert.Equal(OssmMultiCluster.Model.MeshFileAction.Created, f.Action));
        Assert.All(new ManifestExporter().Export(dir.Path, "west", EastWestGateway.Objects(west, new EastWestGatewayOptions()), false),
            f => Assert.Equal(OssmMultiCluster.Model.MeshFileAction.Unchanged, f.Action));
    }
}
