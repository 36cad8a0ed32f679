using k8s.Models;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh.Resources;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh;

internal sealed record ControlPlaneOptions
{
    public required string MeshId { get; init; }
    public MeshFlavor Flavor { get; init; } = MeshFlavor.Ossm2;

    /// <summary>The control plane resource's name; null: basic (SMCP) or default (Istio).</summary>
    public string? Name { get; init; }

    public string Namespace { get; init; } = MeshNames.ControlPlaneNamespace;

    /// <summary>
    /// spec.version (e.g. v2.6 for an SMCP, v1.24.3 for Istio); null: the operator's default (an SMCP leaves it out;
    /// Sail's schema requires it, so Install-MeshControlPlane reads the default from the cluster's CRD first).
    /// </summary>
    public string? Version { get; init; }

    /// <summary>meshConfig.discoverySelectors matchLabels; empty: no selectors (the control plane sees every namespace).</summary>
    public IReadOnlyDictionary<string, string> DiscoverySelector { get; init; } = new Dictionary<string, string> { ["istio-injection"] = "enabled" };

    public bool SkipCni { get; init; }

    /// <summary>The trust domain of the workloads' SPIFFE identities; null: the operator's default (cluster.local).</summary>
    public string? TrustDomain { get; init; }

    public string CniNamespace { get; init; } = "istio-cni";

    /// <summary>OSSM 3: this primary's istiod also serves remote clusters (values.global.externalIstiod).</summary>
    public bool ExternalIstiod { get; init; }

    public string ResourceName => Name ?? (Flavor == MeshFlavor.Ossm2 ? "basic" : "default");
}

/// <summary>
/// Walkthrough step 7 for either flavour: the objects a cluster's control plane consists of, derived from the cluster
/// (name, network) and the options, with the walkthrough's values as defaults.
/// </summary>
internal static class ControlPlane
{
    public const string Ossm2Operator = "the Red Hat OpenShift Service Mesh 2 operator";
    public const string Ossm3Operator = "the Red Hat OpenShift Service Mesh 3 operator (Sail)";

    public static IReadOnlyList<(KubeKind kind, string install)> RequiredApis(ControlPlaneOptions options) => options.Flavor == MeshFlavor.Ossm2
        ? new[] { (KubeKind.Of<ServiceMeshControlPlane>(), Ossm2Operator) }
        : new[] { (KubeKind.Of<Istio>(), Ossm3Operator), (KubeKind.Of<PeerAuthentication>(), Ossm3Operator) }
            .Concat(options.SkipCni ? Array.Empty<(KubeKind, string)>() : new[] { (KubeKind.Of<IstioCni>(), Ossm3Operator) }).ToArray();

    public static IReadOnlyList<KubeObject> Objects(MeshCluster cluster, ControlPlaneOptions options)
    {
        MeshNames.ValidateMeshId(options.MeshId);
        var objects = new List<KubeObject> { MeshObjects.Namespace(options.Namespace, cluster.Network) };
        if (options.Flavor == MeshFlavor.Ossm2)
        {
            if (options.ExternalIstiod)
            {
                throw RemoteControlPlane.NotSupported(cluster.Name, "serve remote clusters (-ExternalIstiod)");
            }

            objects.Add(Smcp(cluster, options) with { SharedField = MeshNetworks.FieldPath(MeshFlavor.Ossm2), KeptFields = new[] { TrustDomainAliases.FieldPath(MeshFlavor.Ossm2) } });
            return objects;
        }

        if (!options.SkipCni)
        {
            objects.Add(MeshObjects.Namespace(options.CniNamespace, null));
            objects.Add(KubeObject.Of(new IstioCni
            {
                Metadata = new V1ObjectMeta { Name = "default" },
                Spec = new IstioCniSpec { Version = options.Version, Namespace = options.CniNamespace },
            }));
        }

        objects.Add(Istio(cluster, options) with { SharedField = MeshNetworks.FieldPath(MeshFlavor.Ossm3), KeptFields = new[] { TrustDomainAliases.FieldPath(MeshFlavor.Ossm3) } });
        objects.Add(KubeObject.Of(new PeerAuthentication
        {
            Metadata = new V1ObjectMeta { Name = "default", NamespaceProperty = options.Namespace },
            Spec = new PeerAuthenticationSpec { Mtls = new PeerAuthenticationMtls { Mode = "STRICT" } },
        }));
        return objects;
    }

    private static List<V1LabelSelector>? Selectors(ControlPlaneOptions options) => options.DiscoverySelector.Count == 0
        ? null
        : new List<V1LabelSelector> { new() { MatchLabels = new Dictionary<string, string>(options.DiscoverySelector) } };

    /// <summary>
    /// OSSM 3's selectors: the user's, and always the control plane's own namespace (and the CNI's), selected by name.
    /// Istio filters out every namespace no selector matches, its own included: without this it would not see the
    /// east-west gateway's Service and Gateway, nor write istio-ca-root-cert there.
    /// </summary>
    private static List<V1LabelSelector>? SailSelectors(ControlPlaneOptions options)
    {
        if (Selectors(options) is not { } selectors)
        {
            return null;
        }

        foreach (var ns in options.SkipCni ? new[] { options.Namespace } : new[] { options.Namespace, options.CniNamespace })
        {
            selectors.Add(new V1LabelSelector { MatchLabels = new Dictionary<string, string> { [MeshObjects.NamespaceNameLabel] = ns } });
        }

        return selectors;
    }

    private static KubeObject Smcp(MeshCluster cluster, ControlPlaneOptions options) =>
        KubeObject.Of(new ServiceMeshControlPlane
        {
            Metadata = new V1ObjectMeta { Name = options.ResourceName, NamespaceProperty = options.Namespace },
            Spec = new SmcpSpec
            {
                Version = options.Version,
                Addons = new SmcpAddons { Kiali = new SmcpToggle { Enabled = false } },
                Cluster = new SmcpCluster
                {
                    Name = cluster.Name,
                    Network = cluster.Network,
                    MultiCluster = new SmcpMultiCluster { Enabled = true },
                },
                General = new SmcpGeneral { Logging = new SmcpLogging { ComponentLevels = new Dictionary<string, string> { ["default"] = "info" } } },
                Mode = "ClusterWide",
                MeshConfig = Selectors(options) is { } selectors ? new SmcpMeshConfig { DiscoverySelectors = selectors } : null,
                Proxy = new SmcpProxy { AccessLogging = new SmcpAccessLogging { File = new SmcpAccessLogFile { Name = "/dev/stdout" } } },
                Security = new SmcpSecurity
                {
                    DataPlane = new SmcpDataPlane { Mtls = true },
                    Identity = new SmcpIdentity { Type = "ThirdParty" },
                    ManageNetworkPolicy = false,
                    Trust = options.TrustDomain is { } domain ? new SmcpTrust { Domain = domain } : null,
                },
                TechPreview = new SmcpTechPreview { Global = new SmcpTechPreviewGlobal { MeshID = options.MeshId } },
                Tracing = new SmcpTracing { Type = "None" },
            },
        });

    private static KubeObject Istio(MeshCluster cluster, ControlPlaneOptions options) =>
        KubeObject.Of(new Istio
        {
            Metadata = new V1ObjectMeta { Name = options.ResourceName },
            Spec = new IstioSpec
            {
                Version = options.Version,
                Namespace = options.Namespace,
                Values = new IstioValues
                {
                    Global = new IstioGlobal
                    {
                        MeshID = options.MeshId,
                        MultiCluster = new IstioMultiCluster { ClusterName = cluster.Name },
                        Network = cluster.Network,
                        ExternalIstiod = options.ExternalIstiod ? true : null,
                    },
                    MeshConfig = new IstioMeshConfig { DiscoverySelectors = SailSelectors(options), AccessLogFile = "/dev/stdout", TrustDomain = options.TrustDomain },
                },
            },
        });
}
