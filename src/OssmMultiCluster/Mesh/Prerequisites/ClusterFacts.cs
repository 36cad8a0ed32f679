using System.Diagnostics;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh.Prerequisites;

/// <summary>What the load-balancer probe saw: the address the throwaway Service got (null: none in time), or why it could not run.</summary>
internal sealed record LoadBalancerProbe(string? Address, TimeSpan Waited, string? Error);

/// <summary>
/// One read of a cluster for Test-MeshPrerequisite: its version and clock, which operator CRDs it serves in which
/// versions, which of the rights the steps use it denies, its LoadBalancer Services and node addresses. Facts, no
/// verdicts (those are <see cref="PrerequisiteChecker"/>'s); something that could not be read is recorded as such.
/// </summary>
internal sealed class ClusterFacts
{
    public const string ProbeName = "ossm-prerequisite-lb-probe";

    public required MeshCluster Cluster { get; init; }

    /// <summary>Why the API server could not be reached; then nothing else was read.</summary>
    public MeshException? Unreachable { get; init; }

    public string? GitVersion { get; init; }

    /// <summary>The API server's Date header, and the local time halfway through that request.</summary>
    public DateTimeOffset? ServerTime { get; init; }

    public DateTimeOffset LocalTime { get; init; }

    /// <summary>Per CRD name: the versions served, or null when the cluster does not have the CRD.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>?> Crds { get; init; } = new Dictionary<string, IReadOnlyList<string>?>();

    public string? CrdError { get; init; }

    public IReadOnlyList<PermissionNeed> Denied { get; init; } = Array.Empty<PermissionNeed>();

    public int PermissionsChecked { get; init; }

    public string? PermissionError { get; init; }

    /// <summary>Existing LoadBalancer Services ("namespace/name") and their address, null when they have none.</summary>
    public IReadOnlyList<(string service, string? address)> LoadBalancers { get; init; } = Array.Empty<(string, string?)>();

    public string? LoadBalancerError { get; init; }

    public LoadBalancerProbe? Probe { get; init; }

    /// <summary>Node addresses by type (ExternalIP, InternalIP); null when nodes could not be listed.</summary>
    public IReadOnlyList<(string type, string address)>? NodeAddresses { get; init; }

    public string? NodeError { get; init; }

    public static async Task<ClusterFacts> ReadAsync(MeshCluster cluster, PrerequisiteOptions options, CancellationToken cancellation)
    {
        var client = cluster.Client;
        string? gitVersion;
        DateTimeOffset? serverTime;
        DateTimeOffset localTime;
        try
        {
            var before = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            using var response = await client.Version.GetCodeWithHttpMessagesAsync(cancellationToken: cancellation).ConfigureAwait(false);
            localTime = before + clock.Elapsed / 2;
            gitVersion = response.Body.GitVersion;
            serverTime = response.Response.Headers.Date;
        }
        catch (Exception ex) when (KubeFailure.IsKubeFailure(ex) && !cancellation.IsCancellationRequested)
        {
            return new ClusterFacts { Cluster = cluster, Unreachable = KubeFailure.From(ex, cluster.Name, "reading its version"), LocalTime = DateTimeOffset.UtcNow };
        }

        var crds = ReadCrdsAsync(client, cancellation);
        var permissions = PermissionsForFlavorAsync(client, crds, options, cancellation);
        var loadBalancers = ReadLoadBalancersAsync(client, cancellation);
        var nodes = ReadNodesAsync(client, cancellation);
        var probe = options.ProbeLoadBalancer ? ProbeLoadBalancerAsync(client, options, cancellation) : Task.FromResult<LoadBalancerProbe?>(null);
        await Task.WhenAll(crds, permissions, loadBalancers, nodes, probe).ConfigureAwait(false);
        return new ClusterFacts
        {
            Cluster = cluster,
            GitVersion = gitVersion,
            ServerTime = serverTime,
            LocalTime = localTime,
            Crds = crds.Result.crds,
            CrdError = crds.Result.error,
            Denied = permissions.Result.denied,
            PermissionsChecked = permissions.Result.count,
            PermissionError = permissions.Result.error,
            LoadBalancers = loadBalancers.Result.services,
            LoadBalancerError = loadBalancers.Result.error,
            NodeAddresses = nodes.Result.addresses,
            NodeError = nodes.Result.error,
            Probe = probe.Result,
        };
    }

    /// <summary>The server's own account of an error (its status message), for facts that could not be read.</summary>
    private static string Describe(Exception ex) => ex is HttpOperationException http
        ? $"{(int)http.Response.StatusCode} {KubeFailure.ServerMessage(http)}"
        : ex.Message;

    private static async Task<(IReadOnlyDictionary<string, IReadOnlyList<string>?> crds, string? error)> ReadCrdsAsync(IKubernetes client, CancellationToken cancellation)
    {
        var crds = new Dictionary<string, IReadOnlyList<string>?>(StringComparer.Ordinal);
        try
        {
            foreach (var name in Requirements.AllCrdNames)
            {
                try
                {
                    var crd = await client.ApiextensionsV1.ReadCustomResourceDefinitionAsync(name, cancellationToken: cancellation).ConfigureAwait(false);
                    crds[name] = crd.Spec.Versions.Where(v => v.Served).Select(v => v.Name).ToList();
                }
                catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
                {
                    crds[name] = null;
                }
            }

            return (crds, null);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.Forbidden)
        {
            // Reading CRDs is often not granted; API discovery always is, and tells the versions each group serves.
            return await ReadCrdsByDiscoveryAsync(client, cancellation).ConfigureAwait(false);
        }
        catch (Exception ex) when (KubeFailure.IsKubeFailure(ex) && !cancellation.IsCancellationRequested)
        {
            return (crds, Describe(ex));
        }
    }

    private static async Task<(IReadOnlyDictionary<string, IReadOnlyList<string>?> crds, string? error)> ReadCrdsByDiscoveryAsync(IKubernetes client, CancellationToken cancellation)
    {
        var crds = new Dictionary<string, IReadOnlyList<string>?>(StringComparer.Ordinal);
        try
        {
            var groups = await client.Apis.GetAPIVersionsAsync(cancellation).ConfigureAwait(false);
            foreach (var name in Requirements.AllCrdNames)
            {
                var group = name[(name.IndexOf('.') + 1)..];
                var served = groups.Groups.FirstOrDefault(g => g.Name == group);
                crds[name] = served?.Versions.Select(v => v.Version).ToList();
            }

            return (crds, null);
        }
        catch (Exception ex) when (KubeFailure.IsKubeFailure(ex) && !cancellation.IsCancellationRequested)
        {
            return (crds, Describe(ex));
        }
    }

    /// <summary>The rights of the flavour asked for, or else of the one the CRDs show (both when they show none or both).</summary>
    private static async Task<(IReadOnlyList<PermissionNeed> denied, int count, string? error)> PermissionsForFlavorAsync(IKubernetes client,
        Task<(IReadOnlyDictionary<string, IReadOnlyList<string>?> crds, string? error)> crds, PrerequisiteOptions options, CancellationToken cancellation)
    {
        var flavor = options.Flavor;
        if (flavor is null)
        {
            var served = (await crds.ConfigureAwait(false)).crds;
            var ossm2 = served.GetValueOrDefault(Requirements.SmcpCrd) is not null;
            var ossm3 = served.GetValueOrDefault(Requirements.IstioCrd) is not null;
            flavor = ossm2 == ossm3 ? null : ossm2 ? MeshFlavor.Ossm2 : MeshFlavor.Ossm3;
        }

        return await ReadPermissionsAsync(client, Requirements.Permissions(flavor), options, cancellation).ConfigureAwait(false);
    }

    private static async Task<(IReadOnlyList<PermissionNeed> denied, int count, string? error)> ReadPermissionsAsync(IKubernetes client,
        IReadOnlyList<PermissionNeed> needs, PrerequisiteOptions options, CancellationToken cancellation)
    {
        try
        {
            var reviews = await Task.WhenAll(needs.Select(need => client.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(new V1SelfSubjectAccessReview
            {
                ApiVersion = "authorization.k8s.io/v1",
                Kind = "SelfSubjectAccessReview",
                Spec = new V1SelfSubjectAccessReviewSpec
                {
                    ResourceAttributes = new V1ResourceAttributes
                    {
                        Verb = need.Verb,
                        Group = need.Group,
                        Resource = need.Resource,
                        NamespaceProperty = need.Namespaced ? options.Namespace : null,
                    },
                },
            }, cancellationToken: cancellation))).ConfigureAwait(false);
            var denied = needs.Zip(reviews).Where(p => p.Second.Status?.Allowed != true).Select(p => p.First).ToList();
            return (denied, needs.Count, null);
        }
        catch (Exception ex) when (KubeFailure.IsKubeFailure(ex) && !cancellation.IsCancellationRequested)
        {
            return (Array.Empty<PermissionNeed>(), 0, Describe(ex));
        }
    }

    private static async Task<(IReadOnlyList<(string, string?)> services, string? error)> ReadLoadBalancersAsync(IKubernetes client, CancellationToken cancellation)
    {
        try
        {
            var services = await client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: cancellation).ConfigureAwait(false);
            return (services.Items.Where(s => s.Spec?.Type == "LoadBalancer")
                .Select(s => ($"{s.Metadata.NamespaceProperty}/{s.Metadata.Name}", Address(s)))
                .ToList(), null);
        }
        catch (Exception ex) when (KubeFailure.IsKubeFailure(ex) && !cancellation.IsCancellationRequested)
        {
            return (Array.Empty<(string, string?)>(), Describe(ex));
        }
    }

    private static string? Address(V1Service service) =>
        service.Status?.LoadBalancer?.Ingress?.Select(i => i.Ip ?? i.Hostname).FirstOrDefault(a => !string.IsNullOrEmpty(a));

    private static async Task<(IReadOnlyList<(string, string)>? addresses, string? error)> ReadNodesAsync(IKubernetes client, CancellationToken cancellation)
    {
        try
        {
            var nodes = await client.CoreV1.ListNodeAsync(cancellationToken: cancellation).ConfigureAwait(false);
            return (nodes.Items.SelectMany(n => n.Status?.Addresses ?? new List<V1NodeAddress>())
                .Where(a => a.Type is "ExternalIP" or "InternalIP").Select(a => (a.Type, a.Address)).ToList(), null);
        }
        catch (Exception ex) when (KubeFailure.IsKubeFailure(ex) && !cancellation.IsCancellationRequested)
        {
            return (null, Describe(ex));
        }
    }

    /// <summary>
    /// Creates a throwaway LoadBalancer Service (a name of its own, labelled as the module's), waits up to the probe
    /// timeout for an address, and deletes it whatever happened, even after Ctrl+C.
    /// </summary>
    private static async Task<LoadBalancerProbe?> ProbeLoadBalancerAsync(IKubernetes client, PrerequisiteOptions options, CancellationToken cancellation)
    {
        var name = $"{ProbeName}-{Guid.NewGuid().ToString("n")[..6]}";
        var service = new V1Service
        {
            ApiVersion = "v1",
            Kind = "Service",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = options.ProbeNamespace,
                Labels = new Dictionary<string, string> { [MeshObjects.ManagedByLabel] = MeshObjects.ManagedBy, ["app"] = ProbeName },
            },
            Spec = new V1ServiceSpec
            {
                Type = "LoadBalancer",
                Selector = new Dictionary<string, string> { ["app"] = ProbeName },
                Ports = new List<V1ServicePort> { new() { Name = "tls", Port = EastWestGateway.TlsPort, TargetPort = EastWestGateway.TlsPort, Protocol = "TCP" } },
            },
        };
        var clock = Stopwatch.StartNew();
        try
        {
            await client.CoreV1.CreateNamespacedServiceAsync(service, options.ProbeNamespace, cancellationToken: cancellation).ConfigureAwait(false);
        }
        catch (Exception ex) when (KubeFailure.IsKubeFailure(ex) && !cancellation.IsCancellationRequested)
        {
            return new LoadBalancerProbe(null, TimeSpan.Zero, $"could not create a LoadBalancer Service in {options.ProbeNamespace}: {Describe(ex)}");
        }

        LoadBalancerProbe result;
        string? leftBehind = null;
        try
        {
            result = await WaitForAddressAsync(client, options, name, clock, cancellation).ConfigureAwait(false);
        }
        finally
        {
            // Deleted even when the wait was cancelled (Ctrl+C), with a time limit of its own.
            using var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await client.CoreV1.DeleteNamespacedServiceAsync(name, options.ProbeNamespace, cancellationToken: cleanup.Token).ConfigureAwait(false);
            }
            catch (System.Text.Json.JsonException)
            {
                // Servers before 1.21 answer a Service deletion with a Status, not the Service: the deletion succeeded.
            }
            catch (Exception ex) when (KubeFailure.IsKubeFailure(ex) || ex is OperationCanceledException)
            {
                leftBehind = $"the probe Service {options.ProbeNamespace}/{name} could not be deleted ({Describe(ex)}): delete it by hand";
            }
        }

        return leftBehind is null ? result : result with { Error = result.Error is null ? leftBehind : $"{result.Error}; {leftBehind}" };
    }

    private static async Task<LoadBalancerProbe> WaitForAddressAsync(IKubernetes client, PrerequisiteOptions options, string name, Stopwatch clock, CancellationToken cancellation)
    {
        try
        {
            while (true)
            {
                var current = await client.CoreV1.ReadNamespacedServiceAsync(name, options.ProbeNamespace, cancellationToken: cancellation).ConfigureAwait(false);
                if (Address(current) is { } address)
                {
                    return new LoadBalancerProbe(address, clock.Elapsed, null);
                }

                if (clock.Elapsed >= options.ProbeTimeout)
                {
                    return new LoadBalancerProbe(null, clock.Elapsed, null);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellation).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (KubeFailure.IsKubeFailure(ex) && !cancellation.IsCancellationRequested)
        {
            return new LoadBalancerProbe(null, clock.Elapsed, $"reading the probe Service: {Describe(ex)}");
        }
    }
}
