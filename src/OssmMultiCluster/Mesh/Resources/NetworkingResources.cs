namespace OssmMultiCluster.Mesh.Resources;

/// <summary>The spec of an Istio Gateway (networking.istio.io).</summary>
public sealed class GatewaySpec
{
    public Dictionary<string, string>? Selector { get; set; }
    public List<GatewayServer> Servers { get; set; } = new();
}

public sealed class GatewayServer
{
    public GatewayPort? Port { get; set; }
    public List<string> Hosts { get; set; } = new();
    public GatewayTls? Tls { get; set; }
}

public sealed class GatewayPort
{
    public int Number { get; set; }
    public string? Name { get; set; }
    public string? Protocol { get; set; }
}

public sealed class GatewayTls
{
    public string? Mode { get; set; }
}

/// <summary>The spec of an Istio VirtualService (networking.istio.io), the TLS routes -ExposeIstiod needs.</summary>
public sealed class VirtualServiceSpec
{
    public List<string> Hosts { get; set; } = new();
    public List<string> Gateways { get; set; } = new();
    public List<TlsRoute> Tls { get; set; } = new();
}

public sealed class TlsRoute
{
    public List<TlsMatch> Match { get; set; } = new();
    public List<RouteDestination> Route { get; set; } = new();
}

public sealed class TlsMatch
{
    public int? Port { get; set; }
    public List<string> SniHosts { get; set; } = new();
}

public sealed class RouteDestination
{
    public Destination? Destination { get; set; }
}

public sealed class Destination
{
    public string? Host { get; set; }
    public PortSelector? Port { get; set; }
}

public sealed class PortSelector
{
    public int Number { get; set; }
}

/// <summary>The spec of an Istio PeerAuthentication (security.istio.io): mesh-wide strict mTLS for OSSM 3.</summary>
public sealed class PeerAuthenticationSpec
{
    public PeerAuthenticationMtls? Mtls { get; set; }
}

public sealed class PeerAuthenticationMtls
{
    public string? Mode { get; set; }
}
