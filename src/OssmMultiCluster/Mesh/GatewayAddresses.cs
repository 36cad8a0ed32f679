using k8s;
using k8s.Models;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh;

/// <summary>Reads, and waits for, the address at which other networks reach a cluster's east-west gateway.</summary>
internal static class GatewayAddresses
{
    /// <summary>The gateway's address, or null while the cloud (or the nodes) has not given it one yet.</summary>
    public static async Task<MeshGatewayAddress?> ReadAsync(MeshCluster cluster, string ns, string name, CancellationToken cancellation)
    {
        var applier = new ResourceApplier(cluster);
        var service = await applier.ReadAsync((client, ct) => client.CoreV1.ReadNamespacedServiceAsync(name, ns, cancellationToken: ct),
            $"reading service {ns}/{name}", cancellation).ConfigureAwait(false);
        if (service is null)
        {
            throw new MeshException("GatewayNotFound", MeshErrorKind.ObjectNotFound,
                $"Cluster '{cluster.Name}' has no east-west gateway service {ns}/{name}.", cluster.Name,
                "Install it first: Install-MeshEastWestGateway.");
        }

        var tls = service.Spec.Ports?.FirstOrDefault(p => p.Port == EastWestGateway.TlsPort);
        if (service.Spec.Type == "NodePort")
        {
            var nodes = await applier.ReadAsync((client, ct) => client.CoreV1.ListNodeAsync(cancellationToken: ct), "listing nodes", cancellation).ConfigureAwait(false);
            var address = NodeAddress(nodes?.Items ?? new List<V1Node>());
            return address is null || tls?.NodePort is not { } nodePort
                ? null
                : new MeshGatewayAddress(cluster.Name, cluster.Network, ns, name, address, nodePort, MeshGatewayAddressType.NodeIP);
        }

        var ingress = service.Status?.LoadBalancer?.Ingress?.FirstOrDefault(i => !string.IsNullOrEmpty(i.Ip) || !string.IsNullOrEmpty(i.Hostname));
        if (ingress is null)
        {
            return null;
        }

        var port = tls?.Port ?? EastWestGateway.TlsPort;
        return string.IsNullOrEmpty(ingress.Ip)
            ? new MeshGatewayAddress(cluster.Name, cluster.Network, ns, name, ingress.Hostname, port, MeshGatewayAddressType.Hostname)
            : new MeshGatewayAddress(cluster.Name, cluster.Network, ns, name, ingress.Ip, port, MeshGatewayAddressType.IP);
    }

    /// <summary>Polls until the gateway has an address; a timeout is an error that says what to check.</summary>
    public static async Task<MeshGatewayAddress> WaitAsync(MeshCluster cluster, string ns, string name, TimeSpan timeout, CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await ReadAsync(cluster, ns, name, cancellation).ConfigureAwait(false) is { } address)
            {
                return address;
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new MeshException("GatewayAddressTimeout", MeshErrorKind.OperationTimeout,
                    $"The east-west gateway {ns}/{name} of cluster '{cluster.Name}' got no address within {timeout.TotalSeconds:0} s.", cluster.Name,
                    $"Check 'kubectl -n {ns} describe service {name}' for load-balancer events (quota, annotations, subnets). " +
                    "Clusters without a cloud load balancer need -ServiceType NodePort; a slow cloud needs a longer -Timeout.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>A ready node's external address, else its internal one; nodes taken in name order for a stable answer.</summary>
    private static string? NodeAddress(IEnumerable<V1Node> nodes)
    {
        foreach (var node in nodes.OrderBy(n => n.Metadata.Name, StringComparer.Ordinal))
        {
            var ready = node.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.Status == "True";
            var addresses = node.Status?.Addresses ?? new List<V1NodeAddress>();
            var address = addresses.FirstOrDefault(a => a.Type == "ExternalIP") ?? addresses.FirstOrDefault(a => a.Type == "InternalIP");
            if (ready && address is not null)
            {
                return address.Address;
            }
        }

        return null;
    }
}
