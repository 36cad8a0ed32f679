using System.Diagnostics;
using k8s;
using k8s.Models;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh;

/// <summary>Reads, and waits for, the address at which other networks reach a cluster's east-west gateway.</summary>
internal static class GatewayAddresses
{
    /// <summary>The gateway's address, or null while the cloud (or the nodes) has not given it one yet.</summary>
    public static async Task<MeshGatewayAddress?> ReadAsync(MeshCluster cluster, string ns, string name, CancellationToken cancellation) =>
        (await ReadServiceAsync(cluster, ns, name, cancellation).ConfigureAwait(false)).address;

    /// <summary>
    /// Waits until the gateway has an address; a timeout is an error that says what to check. A LoadBalancer Service is
    /// read once and then watched (one request that the server answers when the cloud writes the address, rather than a
    /// read every half second); a watch that ends early is resumed from a fresh read, and one the server refuses (no
    /// watch permission, a proxy that cuts streams) falls back to reading every half second.
    /// </summary>
    public static async Task<MeshGatewayAddress> WaitAsync(MeshCluster cluster, string ns, string name, TimeSpan timeout, CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + timeout;
        var watchable = true;
        while (true)
        {
            var (service, address) = await ReadServiceAsync(cluster, ns, name, cancellation).ConfigureAwait(false);
            if (address is not null)
            {
                return address;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new MeshException("GatewayAddressTimeout", MeshErrorKind.OperationTimeout,
                    $"The east-west gateway {ns}/{name} of cluster '{cluster.Name}' got no address within {timeout.TotalSeconds:0} s.", cluster.Name,
                    $"Check 'kubectl -n {ns} describe service {name}' for load-balancer events (quota, annotations, subnets). " +
                    "Clusters without a cloud load balancer need -ServiceType NodePort; a slow cloud needs a longer -Timeout.");
            }

            var watched = Stopwatch.StartNew();
            var (outcome, changed) = watchable && service.Spec.Type != "NodePort"
                ? await WatchForAddressAsync(cluster, service, left, cancellation).ConfigureAwait(false)
                : (WatchOutcome.Refused, null);
            watchable &= outcome != WatchOutcome.Refused;
            if (changed is not null && LoadBalancerAddress(cluster, changed) is { } watchedAddress)
            {
                return watchedAddress;
            }

            // Polling, or a watch that ended without news at once (a proxy cutting streams): no more than a read per interval.
            var pause = PollInterval - watched.Elapsed;
            if (outcome != WatchOutcome.Changed && pause > TimeSpan.Zero)
            {
                await Task.Delay(pause < left ? pause : left, cancellation).ConfigureAwait(false);
            }
        }
    }

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    private enum WatchOutcome
    {
        /// <summary>The Service got an address (the event carries it) or was deleted (read it again now).</summary>
        Changed,

        /// <summary>The watch ended without news (its time ran out, or the server closed it).</summary>
        Ended,

        /// <summary>The server refused the watch: poll instead.</summary>
        Refused,
    }

    /// <summary>
    /// Watches the Service from the version read until it changes in a way that may give it an address, is deleted, or
    /// <paramref name="left"/> runs out; the caller then reads it again.
    /// </summary>
    private static async Task<(WatchOutcome outcome, V1Service? changed)> WatchForAddressAsync(MeshCluster cluster, V1Service service, TimeSpan left, CancellationToken cancellation)
    {
        using var expiry = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        expiry.CancelAfter(left);
        try
        {
            var events = cluster.Client.CoreV1.WatchListNamespacedServiceAsync(service.Metadata.NamespaceProperty,
                fieldSelector: $"metadata.name={service.Metadata.Name}", resourceVersion: service.Metadata.ResourceVersion,
                timeoutSeconds: (int)Math.Ceiling(left.TotalSeconds), cancellationToken: expiry.Token);
            await foreach (var (type, changed) in events.ConfigureAwait(false))
            {
                if (type is WatchEventType.Deleted)
                {
                    return (WatchOutcome.Changed, null);
                }

                if (type is WatchEventType.Modified or WatchEventType.Added && IngressOf(changed) is not null)
                {
                    return (WatchOutcome.Changed, changed);
                }
            }

            return (WatchOutcome.Ended, null);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            // -Timeout ran out while watching: the caller's read decides.
            return (WatchOutcome.Ended, null);
        }
        catch (Exception ex) when (KubeFailure.IsKubeFailure(ex) && !cancellation.IsCancellationRequested)
        {
            ApiLog.Write($"{cluster.Name}: watching service {service.Metadata.NamespaceProperty}/{service.Metadata.Name} failed ({ex.Message.Split('\n')[0]}); reading it every {PollInterval.TotalMilliseconds:0} ms instead");
            return (WatchOutcome.Refused, null);
        }
    }

    private static async Task<(V1Service service, MeshGatewayAddress? address)> ReadServiceAsync(MeshCluster cluster, string ns, string name, CancellationToken cancellation)
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
            return (service, address is null || tls?.NodePort is not { } nodePort
                ? null
                : new MeshGatewayAddress(cluster.Name, cluster.Network, ns, name, address, nodePort, MeshGatewayAddressType.NodeIP));
        }

        return (service, LoadBalancerAddress(cluster, service));
    }

    /// <summary>A LoadBalancer Service's address, from its status; null while it has none.</summary>
    private static MeshGatewayAddress? LoadBalancerAddress(MeshCluster cluster, V1Service service)
    {
        if (IngressOf(service) is not { } ingress)
        {
            return null;
        }

        var (ns, name) = (service.Metadata.NamespaceProperty, service.Metadata.Name);
        var port = service.Spec.Ports?.FirstOrDefault(p => p.Port == EastWestGateway.TlsPort)?.Port ?? EastWestGateway.TlsPort;
        return string.IsNullOrEmpty(ingress.Ip)
            ? new MeshGatewayAddress(cluster.Name, cluster.Network, ns, name, ingress.Hostname, port, MeshGatewayAddressType.Hostname)
            : new MeshGatewayAddress(cluster.Name, cluster.Network, ns, name, ingress.Ip, port, MeshGatewayAddressType.IP);
    }

    private static V1LoadBalancerIngress? IngressOf(V1Service? service) =>
        service?.Status?.LoadBalancer?.Ingress?.FirstOrDefault(i => !string.IsNullOrEmpty(i.Ip) || !string.IsNullOrEmpty(i.Hostname));

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
