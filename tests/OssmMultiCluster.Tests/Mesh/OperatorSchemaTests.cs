using System.Text.Json.Nodes;
using k8s;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Mesh.Resources;
using OssmMultiCluster.Model;
using OssmMultiCluster.Tests.Support;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace OssmMultiCluster.Tests.Mesh;

/// <summary>
/// Every field of every custom resource the module writes, for both flavors, exists with the same type in the real
/// operator's schema (../shared/reference/upstream/crds: the OSSM 2.6 operator's and the Sail operator's CRDs), and
/// what the schema requires is there. The lab's own CRDs (tests/lab/crds) are the project's reading; these are theirs.
/// </summary>
public sealed class OperatorSchemaTests
{
    internal static readonly string Upstream = Path.Combine(RepoPaths.Root, "..", "shared", "reference", "upstream", "crds");

    public static TheoryData<string, string> Resources() => new()
    {
        { "ossm2", "ServiceMeshControlPlane" }, { "ossm2", "ServiceMeshControlPlane (mesh networks)" }, { "ossm2", "Gateway" },
        { "ossm2", "Gateway (istiod)" }, { "ossm2", "VirtualService" },
        { "ossm2", "ServiceMeshControlPlane (trust-domain aliases)" }, { "ossm3", "Istio (trust-domain aliases)" },
        { "ossm3", "Istio" }, { "ossm3", "Istio (mesh networks)" }, { "ossm3", "IstioCNI" }, { "ossm3", "PeerAuthentication" },
        { "ossm3", "Gateway" }, { "ossm3", "Gateway (istiod)" }, { "ossm3", "VirtualService" },
        { "ossm3", "Istio (remote)" }, { "ossm3", "Istio (external istiod)" },
    };

    [Theory]
    [MemberData(nameof(Resources))]
    public void Every_field_the_module_writes_is_in_the_real_schema_with_its_type(string set, string resource)
    {
        var obj = Written(set, resource);
        var schema = Schema(set, obj.Kind);
        var problems = new List<string>();
        Walk(JsonNode.Parse(KubernetesJson.Serialize(obj.Body))!.AsObject(), schema, obj.Kind.Kind, problems, top: true);
        Assert.True(problems.Count == 0, $"{set} {resource}:\n{string.Join("\n", problems)}");
    }

    [Fact]
    public void The_walk_reports_a_field_the_schema_lacks_and_a_wrong_type()
    {
        var schema = Schema("ossm3", KubeKind.Of<Istio>());
        var problems = new List<string>();
        Walk(JsonNode.Parse("{\"spec\":{\"version\":\"v1.28.10\",\"bogus\":1,\"values\":{\"global\":{\"meshID\":7}}}}")!.AsObject(), schema, "Istio", problems, top: true);
        Assert.Equal(new[] { "Istio.spec.bogus: not in the schema", "Istio.spec.values.global.meshID: the module writes integer, the schema says string" }, problems);
    }

    [Fact]
    public void Istio_and_IstioCNI_carry_the_version_the_Sail_schema_requires()
    {
        var istio = Written("ossm3", "Istio");
        var cni = Written("ossm3", "IstioCNI");
        foreach (var obj in new[] { istio, cni })
        {
            var required = Schema("ossm3", obj.Kind)["properties"]!["spec"]!["required"]!.AsArray().Select(r => r!.GetValue<string>()).ToList();
            var spec = JsonNode.Parse(KubernetesJson.Serialize(obj.Body))!["spec"]!.AsObject();
            Assert.Contains("version", required);
            Assert.All(required, field => Assert.True(spec.ContainsKey(field), $"{obj.Kind.Kind} lacks required spec.{field}"));
        }
    }

    [Fact]
    public void The_remote_Istio_uses_the_profile_the_Sail_schema_enumerates()
    {
        var profile = Schema("ossm3", KubeKind.Of<Istio>())["properties"]!["spec"]!["properties"]!["profile"]!;
        var written = JsonNode.Parse(KubernetesJson.Serialize(Written("ossm3", "Istio (remote)").Body))!["spec"]!["profile"]!.GetValue<string>();
        Assert.Contains(written, profile["enum"]!.AsArray().Select(e => e!.GetValue<string>()));
    }

    /// <summary>
    /// Why Install-MeshControlPlane -Remote refuses OSSM 2.6: the OSSM 2.6 operator's ServiceMeshControlPlane has no
    /// field anywhere in its schema for a remote profile, a remote pilot address, istiod-remote or an external istiod.
    /// </summary>
    [Fact]
    public void The_OSSM_2_6_control_plane_schema_has_no_field_for_a_remote()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        void Collect(JsonNode? node)
        {
            if (node is JsonObject obj)
            {
                if (obj["properties"] is JsonObject properties)
                {
                    names.UnionWith(properties.Select(p => p.Key));
                }

                foreach (var (_, child) in obj)
                {
                    Collect(child);
                }
            }
            else if (node is JsonArray array)
            {
                foreach (var item in array)
                {
                    Collect(item);
                }
            }
        }

        Collect(Schema("ossm2", KubeKind.Of<ServiceMeshControlPlane>()));
        Assert.Contains("multiCluster", names);
        Assert.Contains("meshNetworks", names);
        foreach (var field in new[] { "remotePilotAddress", "istiodRemote", "externalIstiod", "injectionPath", "remotePilotCreateSvcEndpoint" })
        {
            Assert.DoesNotContain(field, names);
        }
    }

    /// <summary>The object the module writes for a resource, built as the cmdlets build it.</summary>
    private static KubeObject Written(string set, string resource)
    {
        var west = TestClusters.Offline("west", "west-network");
        var flavor = set == "ossm2" ? MeshFlavor.Ossm2 : MeshFlavor.Ossm3;
        var controlPlane = ControlPlane.Objects(west, new ControlPlaneOptions { MeshId = "mesh", Flavor = flavor, Version = flavor == MeshFlavor.Ossm3 ? "v1.28.10" : "v2.6", TrustDomain = "west.example" });
        var gateway = EastWestGateway.Objects(west, new EastWestGatewayOptions { Flavor = flavor, ExposeIstiod = true });
        var networks = new Dictionary<string, MeshNetwork>
        {
            ["east-network"] = new() { Endpoints = { new MeshNetworkEndpoint { FromRegistry = "east" } }, Gateways = { new MeshNetworkGateway { Address = "east.example", Port = 15443 } } },
        };
        return resource switch
        {
            "ServiceMeshControlPlane" or "Istio" or "IstioCNI" or "PeerAuthentication" => controlPlane.Single(o => o.Kind.Kind == resource),
            "ServiceMeshControlPlane (mesh networks)" or "Istio (mesh networks)" =>
                MeshNetworks.Object(new ControlPlaneRef(flavor, "basic", "istio-system"), networks),
            "ServiceMeshControlPlane (trust-domain aliases)" or "Istio (trust-domain aliases)" =>
                TrustDomainAliases.Object(new ControlPlaneRef(flavor, "basic", "istio-system"), new[] { "east.example" }),
            "Gateway" => gateway.First(o => o.Kind == KubeKind.Of<Gateway>()),
            "Gateway (istiod)" => gateway.Last(o => o.Kind == KubeKind.Of<Gateway>()),
            "VirtualService" => gateway.Single(o => o.Kind == KubeKind.Of<VirtualService>()),
            "Istio (remote)" => RemoteControlPlane.Objects(TestClusters.Offline("east", "east-network"), new ControlPlaneOptions { MeshId = "mesh", Flavor = flavor, Version = "v1.28.10" },
                new MeshPrimary("west", "west-network", "default", "mesh", new MeshGatewayAddress("west", "west-network", "istio-system", "istio-eastwestgateway", "192.0.2.10", 15443, MeshGatewayAddressType.IP)))
                .Single(o => o.Kind == KubeKind.Of<Istio>()),
            "Istio (external istiod)" => ControlPlane.Objects(west, new ControlPlaneOptions { MeshId = "mesh", Flavor = flavor, Version = "v1.28.10", ExternalIstiod = true })
                .Single(o => o.Kind == KubeKind.Of<Istio>()),
            _ => throw new ArgumentOutOfRangeException(nameof(resource)),
        };
    }

    /// <summary>The openAPIV3Schema of a kind's version in one of the upstream CRD sets.</summary>
    private static JsonObject Schema(string set, KubeKind kind)
    {
        foreach (var file in Directory.GetFiles(Path.Combine(Upstream, set), "*.yaml"))
        {
            foreach (var crd in Documents(file))
            {
                if (crd["kind"]?.GetValue<string>() != "CustomResourceDefinition" || crd["spec"]!["group"]!.GetValue<string>() != kind.Group
                    || crd["spec"]!["names"]!["kind"]!.GetValue<string>() != kind.Kind)
                {
                    continue;
                }

                var version = crd["spec"]!["versions"]!.AsArray().FirstOrDefault(v => v!["name"]!.GetValue<string>() == kind.Version)
                    ?? throw new Xunit.Sdk.XunitException($"{set} {kind.Kind} does not serve {kind.Version}");
                Assert.True(IsTrue(version["served"]), $"{set} {kind.Kind} {kind.Version} is not served");
                return version["schema"]!["openAPIV3Schema"]!.AsObject();
            }
        }

        throw new Xunit.Sdk.XunitException($"no {kind.Kind}.{kind.Group} CRD in {set}");
    }

    internal static IEnumerable<JsonObject> Documents(string file)
    {
        var parser = new Parser(new StringReader(File.ReadAllText(file)));
        var deserializer = new DeserializerBuilder().Build();
        parser.Consume<StreamStart>();
        while (parser.Accept<DocumentStart>(out _))
        {
            if (ToNode(deserializer.Deserialize<object>(parser)) is JsonObject obj)
            {
                yield return obj;
            }
        }
    }

    /// <summary>YAML's untyped graph as JSON nodes; scalars stay strings (IsTrue reads booleans).</summary>
    private static JsonNode? ToNode(object? yaml) => yaml switch
    {
        IDictionary<object, object> map => new JsonObject(map.Select(kv => KeyValuePair.Create(kv.Key.ToString()!, ToNode(kv.Value)))),
        IList<object> list => new JsonArray(list.Select(ToNode).ToArray()),
        null => null,
        _ => JsonValue.Create(yaml.ToString()),
    };

    private static bool IsTrue(JsonNode? node) => node?.GetValue<string>() == "true";

    private static void Walk(JsonNode? value, JsonObject schema, string path, List<string> problems, bool top = false)
    {
        if (IsTrue(schema["x-kubernetes-preserve-unknown-fields"]) && schema["properties"] is null)
        {
            return;
        }

        var type = schema["type"]?.GetValue<string>();
        var actual = value switch
        {
            JsonObject => "object",
            JsonArray => "array",
            JsonValue v when v.TryGetValue<bool>(out _) => "boolean",
            JsonValue v when v.TryGetValue<long>(out _) => "integer",
            JsonValue v when v.TryGetValue<string>(out _) => "string",
            _ => "null",
        };
        var intOrString = IsTrue(schema["x-kubernetes-int-or-string"]) && actual is "integer" or "string";
        if (type is not null && type != actual && !intOrString && !(type == "number" && actual == "integer"))
        {
            problems.Add($"{path}: the module writes {actual}, the schema says {type}");
            return;
        }

        if (value is JsonObject obj)
        {
            foreach (var (name, child) in obj)
            {
                // apiVersion, kind and metadata are the API server's, not the CRD schema's.
                if (top && name is "apiVersion" or "kind" or "metadata")
                {
                    continue;
                }

                var childSchema = schema["properties"]?[name] as JsonObject ?? schema["additionalProperties"] as JsonObject;
                if (childSchema is null)
                {
                    if (!IsTrue(schema["x-kubernetes-preserve-unknown-fields"]))
                    {
                        problems.Add($"{path}.{name}: not in the schema");
                    }

                    continue;
                }

                Walk(child, childSchema, $"{path}.{name}", problems);
            }
        }
        else if (value is JsonArray array && schema["items"] is JsonObject items)
        {
            for (var i = 0; i < array.Count; i++)
            {
                Walk(array[i], items, $"{path}[{i}]", problems);
            }
        }
    }
}
