using k8s.Models;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh.Resources;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh;

internal sealed record EastWestGatewayOptions
{
    public const string AwsNlbAnnotation = "service.beta.kubernetes.io/aws-load-balancer-type";

    /// <summary>
    /// Istio takes a NodePort Service as a network's gateway only when it carries this annotation (a JSON label
    /// selector of the nodes whose addresses are the gateway's); '{}' selects every node.
    /// </summary>
    public const string NodeSelectorAnnotation = "traffic.istio.io/nodeSelector";

    public string Namespace { get; init; } = MeshNames.ControlPlaneNamespace;
    public string Name { get; init; } = MeshNames.EastWestGatewayName;
    public GatewayServiceType ServiceType { get; init; } = GatewayServiceType.LoadBalancer;

    /// <summary>Service annotations for the cloud's load balancer; the walkthrough's AWS NLB by default.</summary>
    public IReadOnlyDictionary<string, string> LoadBalancerAnnotations { get; init; } = new Dictionary<string, string> { [AwsNlbAnnotation] = "nlb" };

    public int Replicas { get; init; } = 1;
    public V1ResourceRequirements? Resources { get; init; }

    /// <summary>Also route istiod's ports (15012, 15017) through the gateway, for primary-remote clusters.</summary>
    public bool ExposeIstiod { get; init; }

    public MeshFlavor Flavor { get; init; } = MeshFlavor.Ossm2;

    /// <summary>istiod's Service; null: istiod-basic (OSSM 2, SMCP 'basic') or istiod (OSSM 3).</summary>
    public string? IstiodService { get; init; }

    internal string IstiodHost => $"{IstiodService ?? (Flavor == MeshFlavor.Ossm2 ? "istiod-basic" : "istiod")}.{Namespace}.svc.cluster.local";
}

/// <summary>
/// Walkthrough step 8: the east-west gateway's Service, Deployment and Gateway (and, when asked, a
/// PodDisruptionBudget and istiod's exposure). The Deployment sets no user id, so OpenShift's restricted SCC admits it.
/// </summary>
internal static class EastWestGateway
{
    public const string GatewayLabel = "eastwestgateway";
    public const int TlsPort = 15443;

    public static IReadOnlyList<(KubeKind kind, string install)> RequiredApis(EastWestGatewayOptions options) =>
        options.ExposeIstiod
            ? new[] { (KubeKind.Of<Gateway>(), "OpenShift Service Mesh"), (KubeKind.Of<VirtualService>(), "OpenShift Service Mesh") }
            : new[] { (KubeKind.Of<Gateway>(), "OpenShift Service Mesh") };

    /// <summary>The cluster's objects; <paramref name="pdbVersion"/> is the policy API version the cluster serves.</summary>
    public static IReadOnlyList<KubeObject> Objects(MeshCluster cluster, EastWestGatewayOptions options, string pdbVersion = "v1")
    {
        var selector = new Dictionary<string, string> { ["istio"] = GatewayLabel };
        var objects = new List<KubeObject>
        {
            MeshObjects.Namespace(options.Namespace, cluster.Network),
            KubeObject.Of(Service(cluster, options, selector)),
            KubeObject.Of(Deployment(cluster, options, selector)),
        };
        if (options.Replicas > 1)
        {
            // With one replica a PDB would block every node drain; with more it keeps one gateway serving.
            objects.Add(KubeObject.Of(new V1PodDisruptionBudget
            {
                ApiVersion = $"policy/{pdbVersion}",
                Metadata = Meta(options.Name, options.Namespace, null),
                Spec = new V1PodDisruptionBudgetSpec { MinAvailable = 1, Selector = new V1LabelSelector { MatchLabels = selector } },
            }));
        }

        objects.Add(Gateway(options.Name, options.Namespace, selector, new GatewayServer
        {
            Port = new GatewayPort { Number = TlsPort, Name = "tls", Protocol = "TLS" },
            Hosts = new List<string> { "*.local" },
            Tls = new GatewayTls { Mode = "AUTO_PASSTHROUGH" },
        }));
        if (options.ExposeIstiod)
        {
            objects.Add(Gateway("istiod-gateway", options.Namespace, selector,
                new GatewayServer { Port = new GatewayPort { Number = 15012, Name = "tls-istiod", Protocol = "tls" }, Hosts = new List<string> { "*" }, Tls = new GatewayTls { Mode = "PASSTHROUGH" } },
                new GatewayServer { Port = new GatewayPort { Number = 15017, Name = "tls-istiodwebhook", Protocol = "tls" }, Hosts = new List<string> { "*" }, Tls = new GatewayTls { Mode = "PASSTHROUGH" } }));
            objects.Add(KubeObject.Of(new VirtualService
            {
                Metadata = Meta("istiod-vs", options.Namespace, null),
                Spec = new VirtualServiceSpec
                {
                    Hosts = new List<string> { "*" },
                    Gateways = new List<string> { "istiod-gateway" },
                    Tls = new List<TlsRoute> { IstiodRoute(options, 15012, 15012), IstiodRoute(options, 15017, 443) },
                },
            }));
        }

        return objects;
    }

    private static V1ObjectMeta Meta(string name, string ns, IDictionary<string, string>? labels) =>
        new() { Name = name, NamespaceProperty = ns, Labels = labels };

    private static V1Service Service(MeshCluster cluster, EastWestGatewayOptions options, Dictionary<string, string> selector)
    {
        var metadata = Meta(options.Name, options.Namespace, new Dictionary<string, string>
        {
            ["istio"] = GatewayLabel,
            ["app"] = options.Name,
            [MeshObjects.NetworkLabel] = cluster.Network,
        });
        if (options.ServiceType == GatewayServiceType.LoadBalancer && options.LoadBalancerAnnotations.Count > 0)
        {
            metadata.Annotations = new Dictionary<string, string>(options.LoadBalancerAnnotations);
        }
        else if (options.ServiceType == GatewayServiceType.NodePort)
        {
            // Without it the network has no gateway unless mesh networks name one.
            metadata.Annotations = new Dictionary<string, string> { [EastWestGatewayOptions.NodeSelectorAnnotation] = "{}" };
        }

        return new V1Service
        {
            ApiVersion = "v1",
            Kind = "Service",
            Metadata = metadata,
            Spec = new V1ServiceSpec
            {
                Type = options.ServiceType.ToString(),
                Selector = selector,
                Ports = new List<V1ServicePort>
                {
                    Port("status-port", 15021),
                    Port("tls", TlsPort),
                    Port("tls-istiod", 15012),
                    Port("tls-webhook", 15017),
                },
            },
        };
    }

    private static V1ServicePort Port(string name, int port) => new() { Name = name, Port = port, TargetPort = port, Protocol = "TCP" };

    private static V1Deployment Deployment(MeshCluster cluster, EastWestGatewayOptions options, Dictionary<string, string> selector) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "Deployment",
        Metadata = Meta(options.Name, options.Namespace, new Dictionary<string, string> { ["istio"] = GatewayLabel, ["app"] = options.Name }),
        Spec = new V1DeploymentSpec
        {
            Replicas = options.Replicas,
            Selector = new V1LabelSelector { MatchLabels = selector },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta
                {
                    Annotations = new Dictionary<string, string> { ["inject.istio.io/templates"] = "gateway" },
                    Labels = new Dictionary<string, string> { ["istio"] = GatewayLabel, ["sidecar.istio.io/inject"] = "true" },
                },
                Spec = new V1PodSpec
                {
                    SecurityContext = new V1PodSecurityContext { SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" } },
                    Containers = new List<V1Container>
                    {
                        new()
                        {
                            Name = "istio-proxy",
                            Image = "auto",
                            Env = new List<V1EnvVar> { new() { Name = "ISTIO_META_REQUESTED_NETWORK_VIEW", Value = cluster.Network } },
                            Resources = options.Resources,
                            SecurityContext = new V1SecurityContext
                            {
                                AllowPrivilegeEscalation = false,
                                RunAsNonRoot = true,
                                Capabilities = new V1Capabilities { Drop = new List<string> { "ALL" } },
                            },
                        },
                    },
                },
            },
        },
    };

    private static KubeObject Gateway(string name, string ns, Dictionary<string, string> selector, params GatewayServer[] servers) =>
        KubeObject.Of(new Gateway
        {
            Metadata = Meta(name, ns, null),
            Spec = new GatewaySpec { Selector = selector, Servers = servers.ToList() },
        });

    private static TlsRoute IstiodRoute(EastWestGatewayOptions options, int port, int targetPort) => new()
    {
        Match = new List<TlsMatch> { new() { Port = port, SniHosts = new List<string> { "*" } } },
        Route = new List<RouteDestination> { new() { Destination = new Destination { Host = options.IstiodHost, Port = new PortSelector { Number = targetPort } } } },
    };
}
