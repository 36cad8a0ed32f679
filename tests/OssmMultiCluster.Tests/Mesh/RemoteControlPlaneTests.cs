using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Mesh.Resources;
using OssmMultiCluster.Model;
using OssmMultiCluster.Tests.Support;
using YamlDotNet.Serialization;

namespace OssmMultiCluster.Tests.Mesh;

/// <summary>
/// The primary-remote topology's objects (Install-MeshControlPlane -Remote / -ExternalIstiod) and what Connect-MeshCluster
/// gives a remote, against the Sail operator's own primary-remote, multi-network instructions
/// (../shared/reference/upstream/sail/multicluster.adoc).
/// </summary>
public sealed class RemoteControlPlaneTests
{
    private static readonly MeshGatewayAddress WestGateway = new("west", "west-network", "istio-system", "istio-eastwestgateway", "192.0.2.10", 15443, MeshGatewayAddressType.IP);
    private static readonly MeshPrimary West = new("west", "west-network", "default", "mesh1", WestGateway);
    private static readonly ControlPlaneOptions Options = new() { MeshId = "mesh1", Flavor = MeshFlavor.Ossm3, Version = "v1.28.10" };

    private static JsonNode Json(KubeObject obj) => JsonNode.Parse(KubernetesJson.Serialize(obj.Body))!;

    [Fact]
    public void The_remote_Istio_holds_every_field_of_the_Sail_docs_remote_with_the_primarys_gateway_as_pilot_address()
    {
        var east = TestClusters.Offline("east", "east-network");
        var istio = Json(RemoteControlPlane.Objects(east, Options, West).Single(o => o.Kind == KubeKind.Of<Istio>()));

        // The docs' Istio for cluster2: its version and the primary gateway's address filled in as their shell does.
        var text = File.ReadAllText(Path.Combine(RepoPaths.Root, "..", "shared", "reference", "upstream", "sail", "multicluster.adoc"));
        var section = text[text.IndexOf("=== Primary-Remote - Multi-Network", StringComparison.Ordinal)..];
        var block = section[..section.IndexOf("profile: remote", StringComparison.Ordinal)];
        block = section[block.LastIndexOf("<<EOF", StringComparison.Ordinal)..];
        block = block[(block.IndexOf('\n') + 1)..block.IndexOf("\nEOF", StringComparison.Ordinal)];
        block = block.Replace("v${ISTIO_VERSION}", "v1.28.10", StringComparison.Ordinal);
        block = System.Text.RegularExpressions.Regex.Replace(block, @"\$\(kubectl[^\n]*\)", "192.0.2.10");
        block = block.Replace("/inject/cluster/remote/net/network2", "/inject/cluster/east/net/east-network", StringComparison.Ordinal);
        var docs = ToNode(new DeserializerBuilder().Build().Deserialize<object>(block))!;

        AssertHolds(docs, istio, "Istio");
        // What the docs leave to the injection path, written out as Istio's own primary-remote guide does.
        Assert.Equal("east", istio["spec"]!["values"]!["global"]!["multiCluster"]!["clusterName"]!.GetValue<string>());
        Assert.Equal("east-network", istio["spec"]!["values"]!["global"]!["network"]!.GetValue<string>());
        Assert.Equal("mesh1", istio["spec"]!["values"]!["global"]!["meshID"]!.GetValue<string>());
        Assert.Null(istio["spec"]!["values"]!["meshConfig"]);
    }

    [Fact]
    public void A_remote_gets_its_namespace_the_CNI_the_Istio_and_last_the_annotation_naming_its_primary_no_PeerAuthentication()
    {
        var objects = RemoteControlPlane.Objects(TestClusters.Offline("east", "east-network"), Options, West);
        Assert.Equal(new[] { "Namespace/istio-system", "Namespace/istio-cni", "IstioCNI/default", "Istio/default", "Namespace/istio-system" },
            objects.Select(o => $"{o.Kind.Kind}/{o.Name}"));
        var annotation = objects[^1];
        Assert.True(RemoteControlPlane.IsAnnotation(annotation));
        Assert.Equal(new[] { "metadata", "annotations", "topology.istio.io/controlPlaneClusters" }, annotation.SharedField);
        var meta = ((V1Namespace)annotation.Body).Metadata;
        Assert.Equal("west", meta.Annotations["topology.istio.io/controlPlaneClusters"]);
        Assert.Null(meta.Labels);
        Assert.Equal("east-network", ((V1Namespace)objects[0].Body).Metadata.Labels["topology.istio.io/network"]);
        Assert.False(RemoteControlPlane.IsAnnotation(objects[0]));

        var skipCni = RemoteControlPlane.Objects(TestClusters.Offline("east", "east-network"), Options with { SkipCni = true }, West);
        Assert.Equal(new[] { "Namespace", "Istio", "Namespace" }, skipCni.Select(o => o.Kind.Kind));
        Assert.Equal(new[] { KubeKind.Of<Istio>() }, RemoteControlPlane.RequiredApis(Options with { SkipCni = true }).Select(a => a.kind));
    }

    [Fact]
    public void OSSM_2_6_is_refused_for_a_remote_and_for_an_external_istiod()
    {
        var east = TestClusters.Offline("east", "east-network");
        var remote = Assert.Throws<MeshException>(() => RemoteControlPlane.Objects(east, Options with { Flavor = MeshFlavor.Ossm2 }, West));
        Assert.Equal("RemoteTopologyNotSupported", remote.ErrorId);
        Assert.Equal(MeshErrorKind.InvalidOperation, remote.Kind);
        Assert.Equal("east", remote.Target);
        Assert.Contains("OSSM 3", remote.RecommendedAction);

        var external = Assert.Throws<MeshException>(() => ControlPlane.Objects(east, Options with { Flavor = MeshFlavor.Ossm2, ExternalIstiod = true }));
        Assert.Equal("RemoteTopologyNotSupported", external.ErrorId);
    }

    [Fact]
    public void The_primary_serving_remotes_writes_externalIstiod_and_only_then()
    {
        var west = TestClusters.Offline("west", "west-network");
        var global = (bool external) => Json(ControlPlane.Objects(west, Options with { ExternalIstiod = external }).Single(o => o.Kind == KubeKind.Of<Istio>()))["spec"]!["values"]!["global"]!.AsObject();
        Assert.True(global(true)["externalIstiod"]!.GetValue<bool>());
        Assert.False(global(false).ContainsKey("externalIstiod"));
    }

    [Fact]
    public void Connect_gives_a_remote_nothing_and_its_primary_the_remotes_secret_and_networks()
    {
        var west = TestClusters.Offline("west", "west-network");
        var east = TestClusters.Offline("east", "east-network");
        var primary = new ControlPlaneRef(MeshFlavor.Ossm3, "default", "istio-system");
        var remote = primary with { IsRemote = true };
        var options = new ConnectOptions { MeshNetworks = true };
        var addresses = new[] { WestGateway, new MeshGatewayAddress("east", "east-network", "istio-system", "istio-eastwestgateway", "192.0.2.20", 15443, MeshGatewayAddressType.IP) };
        var secrets = new[] { Secret(west), Secret(east) };

        Assert.Empty(MeshConnector.Objects(east, secrets, remote, addresses, options));
        Assert.False(MeshConnector.NeedsMeshNetworks(remote, options));
        Assert.False(MeshConnector.NeedsMeshNetworks(remote with { Flavor = MeshFlavor.Ossm2 }, options));
        Assert.Equal(new[] { "Secret/istio-remote-secret-east", "Istio/default" },
            MeshConnector.Objects(west, secrets, primary, addresses, options).Select(o => $"{o.Kind.Kind}/{o.Name}"));

        // Whose secret is rendered: only what a cluster other than a remote reads.
        var pair = new (MeshCluster, ControlPlaneRef?)[] { (west, primary), (east, remote) };
        Assert.True(MeshConnector.SecretNeeded(east, pair));
        Assert.False(MeshConnector.SecretNeeded(west, pair));
        var north = TestClusters.Offline("north", "north-network");
        var three = pair.Append((north, primary)).ToArray();
        Assert.True(MeshConnector.SecretNeeded(west, three));
        Assert.True(MeshConnector.SecretNeeded(north, three));
        // A cluster whose control plane is not known yet (an export before its tree is applied) counts as a primary.
        Assert.True(MeshConnector.SecretNeeded(west, new (MeshCluster, ControlPlaneRef?)[] { (west, primary), (east, null) }));
    }

    [Fact]
    public void An_export_keeps_the_annotation_naming_the_primary_when_another_step_rewrites_the_namespace()
    {
        using var dir = new TempDir();
        var east = TestClusters.Offline("east", "east-network");
        var exporter = new ManifestExporter();
        var gateway = EastWestGateway.Objects(east, new EastWestGatewayOptions { Flavor = MeshFlavor.Ossm3 });
        exporter.Export(dir.Path, "east", gateway, excludeSecrets: false);
        exporter.Export(dir.Path, "east", RemoteControlPlane.Objects(east, Options with { SkipCni = true }, West), excludeSecrets: false);
        exporter.Export(dir.Path, "east", gateway, excludeSecrets: false);

        var ns = KubernetesYaml.Deserialize<V1Namespace>(File.ReadAllText(dir["east/_cluster/namespace-istio-system.yaml"]));
        Assert.Equal("west", ns.Metadata.Annotations["topology.istio.io/controlPlaneClusters"]);
        Assert.Equal("east-network", ns.Metadata.Labels["topology.istio.io/network"]);
    }

    private static MeshRemoteSecret Secret(MeshCluster source) => new(source, source.Server, "istio-reader-service-account", MeshTokenType.Secret, null,
        new V1Secret { Metadata = new V1ObjectMeta { Name = RemoteSecrets.SecretName(source.Name), NamespaceProperty = "istio-system" } }, Array.Empty<string>());

    /// <summary>Every field of <paramref name="expected"/> is in <paramref name="actual"/> with the same value (scalars compared as text).</summary>
    private static void AssertHolds(JsonNode expected, JsonNode? actual, string path)
    {
        if (expected is JsonObject obj)
        {
            Assert.True(actual is JsonObject, $"{path} is not an object");
            foreach (var (name, child) in obj)
            {
                AssertHolds(child!, actual![name], $"{path}.{name}");
            }

            return;
        }

        Assert.True(actual is JsonValue, $"{path} is missing");
        Assert.Equal(expected.ToString(), actual!.ToString());
    }

    private static JsonNode? ToNode(object? yaml) => yaml switch
    {
        IDictionary<object, object> map => new JsonObject(map.Select(kv => KeyValuePair.Create(kv.Key.ToString()!, ToNode(kv.Value)))),
        IList<object> list => new JsonArray(list.Select(ToNode).ToArray()),
        null => null,
        _ => JsonValue.Create(yaml.ToString()),
    };
}
