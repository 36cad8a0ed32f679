namespace OssmMultiCluster.Model;

public enum MeshGatewayAddressType
{
    /// <summary>A load balancer's IP (GCP, Azure, most on-premises load balancers).</summary>
    IP,

    /// <summary>A load balancer's DNS name (AWS).</summary>
    Hostname,

    /// <summary>A node's address with the gateway's node port (bare metal, no load balancer).</summary>
    NodeIP,
}

/// <summary>Where other networks reach a cluster's east-west gateway: what mesh networks list for it.</summary>
public sealed class MeshGatewayAddress
{
    internal MeshGatewayAddress(string cluster, string network, string @namespace, string service, string address, int port, MeshGatewayAddressType addressType)
    {
        Cluster = cluster;
        Network = network;
        Namespace = @namespace;
        Service = service;
        Address = address;
        Port = port;
        AddressType = addressType;
    }

    public string Cluster { get; }

    public string Network { get; }

    public string Namespace { get; }

    public string Service { get; }

    public string Address { get; }

    public int Port { get; }

    public MeshGatewayAddressType AddressType { get; }

    public override string ToString() => $"{Address}:{Port}";
}
