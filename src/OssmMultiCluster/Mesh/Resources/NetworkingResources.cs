using k8s.Models;

namespace OssmMultiCluster.Mesh.Resources;

/// <summary>An Istio Gateway: the east-west gateway's, and istiod's when it is exposed.</summary>
[KubernetesEntity(Group = "networking.istio.io", ApiVersion = "v1beta1", Kind = "Gateway", PluralName = "gateways")]
internal sealed class Gateway : CustomResource<GatewaySpec>
{
}

/// <summary>An Istio VirtualService: istiod's routes through the east-west gateway.</summary>
[KubernetesEntity(Group = "networking.istio.io", ApiVersion = "v1beta1", Kind = "VirtualService", PluralName = "virtualservices")]
internal sealed class VirtualService : CustomResource<VirtualServiceSpec>
{
}

/// <summary>An Istio PeerAuthentication: OSSM 3's mesh-wide strict mTLS.</summary>
[KubernetesEntity(Group = "security.istio.io", ApiVersion = "v1beta1", Kind = "PeerAuthentication", PluralName = "peerauthentications")]
internal sealed class PeerAuthentication : CustomResource<PeerAuthenticationSpec>
{
}

/// <summary>The spec of an Istio Gateway.</summary>
internal sealed class GatewaySpec
{
    public Dictionary<string, string>? Selector { get; set; }
    public List<GatewayServer> Servers { get; set; } = new();
}

internal sealed class GatewayServer
{
    public GatewayPort? Port { get; set; }
    public List<string> Hosts { get; set; } = new();
    public GatewayTls? Tls { get; set; }
}

internal sealed class GatewayPort
{
    public int Number { get; set; }
    public string? Name { get; set; }
    public string? Protocol { get; set; }
}

internal sealed class GatewayTls
{
    public string? Mode { get; set; }
}

/// <summary>The spec of an Istio VirtualService, the TLS routes -ExposeIstiod needs.</summary>
internal sealed class VirtualServiceSpec
{
    public List<string> Hosts { get; set; } = new();
    public List<string> Gateways { get; set; } = new();
    public List<TlsRoute> Tls { get; set; } = new();
}

internal sealed class TlsRoute
{
    public List<TlsMatch> Match { get; set; } = new();
    public List<RouteDestination> Route { get; set; } = new();
}

internal sealed class TlsMatch
{
    public int? Port { get; set; }
    public List<string> SniHosts { get; set; } = new();
}

internal sealed class RouteDestination
{
    public Destination? Destination { get; set; }
}

internal sealed class Destination
{
    public string? Host { get; set; }
    public PortSelector? Port { get; set; }
}

internal sealed class PortSelector
{
    public int Number { get; set; }
}

/// <summary>The spec of an Istio PeerAuthentication: mesh-wide strict mTLS for OSSM 3.</summary>
internal sealed class PeerAuthenticationSpec
{
    public PeerAuthenticationMtls? Mtls { get; set; }
}

internal sealed class PeerAuthenticationMtls
{
    public string? Mode { get; set; }
}
