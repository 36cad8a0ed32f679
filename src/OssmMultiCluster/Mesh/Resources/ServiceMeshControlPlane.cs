using k8s.Models;

namespace OssmMultiCluster.Mesh.Resources;

/// <summary>An OSSM 2 control plane.</summary>
[KubernetesEntity(Group = "maistra.io", ApiVersion = "v2", Kind = "ServiceMeshControlPlane", PluralName = "servicemeshcontrolplanes")]
internal sealed class ServiceMeshControlPlane : CustomResource<SmcpSpec>
{
}

/// <summary>The spec of an OSSM 2 ServiceMeshControlPlane, the fields the module sets.</summary>
internal sealed class SmcpSpec
{
    public string? Version { get; set; }
    public SmcpAddons? Addons { get; set; }
    public SmcpCluster? Cluster { get; set; }
    public SmcpGeneral? General { get; set; }
    public string? Mode { get; set; }
    public SmcpMeshConfig? MeshConfig { get; set; }
    public SmcpProxy? Proxy { get; set; }
    public SmcpRuntime? Runtime { get; set; }
    public SmcpSecurity? Security { get; set; }
    public SmcpTechPreview? TechPreview { get; set; }
    public SmcpTracing? Tracing { get; set; }
}

internal sealed class SmcpAddons
{
    public SmcpToggle? Kiali { get; set; }
}

internal sealed class SmcpToggle
{
    public bool? Enabled { get; set; }
}

internal sealed class SmcpCluster
{
    public string? Name { get; set; }
    public string? Network { get; set; }
    public SmcpMultiCluster? MultiCluster { get; set; }
}

internal sealed class SmcpMultiCluster
{
    public bool? Enabled { get; set; }

    /// <summary>Owned by Connect-MeshCluster (its own field manager), never set by Install-MeshControlPlane.</summary>
    public Dictionary<string, MeshNetwork>? MeshNetworks { get; set; }
}

internal sealed class SmcpGeneral
{
    public SmcpLogging? Logging { get; set; }
}

internal sealed class SmcpLogging
{
    public Dictionary<string, string>? ComponentLevels { get; set; }
}

internal sealed class SmcpMeshConfig
{
    public List<V1LabelSelector>? DiscoverySelectors { get; set; }
}

internal sealed class SmcpProxy
{
    public SmcpAccessLogging? AccessLogging { get; set; }

    /// <summary>Written only by Update-MeshCACertificate (its own field manager): the proxies' environment.</summary>
    public SmcpComponentRuntime? Runtime { get; set; }
}

internal sealed class SmcpAccessLogging
{
    public SmcpAccessLogFile? File { get; set; }
}

internal sealed class SmcpAccessLogFile
{
    public string? Name { get; set; }
}

internal sealed class SmcpSecurity
{
    public SmcpDataPlane? DataPlane { get; set; }
    public SmcpIdentity? Identity { get; set; }
    public bool? ManageNetworkPolicy { get; set; }
    public SmcpTrust? Trust { get; set; }
}

/// <summary>spec.security.trust: the trust domain (Install-MeshControlPlane -TrustDomain).</summary>
internal sealed class SmcpTrust
{
    public string? Domain { get; set; }

    /// <summary>Written only by Connect-MeshCluster (its own field manager): the other clusters' trust domains.</summary>
    public List<string>? AdditionalDomains { get; set; }
}

internal sealed class SmcpDataPlane
{
    public bool? Mtls { get; set; }
}

internal sealed class SmcpIdentity
{
    public string? Type { get; set; }
}

internal sealed class SmcpTechPreview
{
    public SmcpTechPreviewGlobal? Global { get; set; }
}

internal sealed class SmcpTechPreviewGlobal
{
    public string? MeshID { get; set; }
}

internal sealed class SmcpTracing
{
    public string? Type { get; set; }
}

/// <summary>spec.runtime: per-component runtime settings; written only by Update-MeshCACertificate (istiod's environment).</summary>
internal sealed class SmcpRuntime
{
    public Dictionary<string, SmcpComponentRuntime>? Components { get; set; }
}

internal sealed class SmcpComponentRuntime
{
    public SmcpContainer? Container { get; set; }
}

internal sealed class SmcpContainer
{
    public Dictionary<string, string>? Env { get; set; }
}
