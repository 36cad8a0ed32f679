using System.Text.Json;
using k8s;
using k8s.Models;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh.Resources;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh;

/// <summary>A cluster's control plane as found on it: which flavour, which resource.</summary>
internal sealed record ControlPlaneRef(MeshFlavor Flavor, string Name, string Namespace)
{
    public KubeKind Kind => Flavor == MeshFlavor.Ossm2 ? KubeKind.Of<ServiceMeshControlPlane>() : KubeKind.Of<Istio>();

    /// <summary>An OSSM 3 remote (Istio with the remote profile): it runs no istiod, so it reads no other cluster.</summary>
    public bool IsRemote { get; init; }
}

/// <summary>
/// Mesh networks: for every other network, its clusters' registries and gateway addresses. Written with a field
/// manager of their own, so Install-MeshControlPlane (which never sets them) and Connect-MeshCluster (which only sets
/// them) never take fields from each other; a network dropped from the map is removed by server-side apply.
/// </summary>
internal static class MeshNetworks
{
    public const string FieldManager = "ossm-multicluster-connect";

    /// <summary>
    /// Finds the control plane Install-MeshControlPlane put in <paramref name="ns"/>: an SMCP, else an Istio resource;
    /// a caller that knows the cluster does not serve one of the two says so, and it is not looked for.
    /// </summary>
    public static async Task<ControlPlaneRef> LocateAsync(MeshCluster cluster, string ns, CancellationToken cancellation, bool ossm2 = true, bool ossm3 = true)
    {
        const string what = "looking for the control plane";
        var reads = new ResourceApplier(cluster);
        var smcps = !ossm2 ? Array.Empty<JsonElement>() : await reads.ListAsync(KubeKind.Of<ServiceMeshControlPlane>(), ns, what, cancellation).ConfigureAwait(false);
        if (smcps.Count > 0)
        {
            return new ControlPlaneRef(MeshFlavor.Ossm2, smcps[0].GetProperty("metadata").GetProperty("name").GetString()!, ns);
        }

        var istios = !ossm3 ? Array.Empty<JsonElement>() : await reads.ListAsync(KubeKind.Of<Istio>(), null, what, cancellation).ConfigureAwait(false);
        var istio = istios.FirstOrDefault(i => i.TryGetProperty("spec", out var spec) && spec.TryGetProperty("namespace", out var n) && n.GetString() == ns);
        if (istio.ValueKind == JsonValueKind.Object)
        {
            return new ControlPlaneRef(MeshFlavor.Ossm3, istio.GetProperty("metadata").GetProperty("name").GetString()!, ns) { IsRemote = RemoteControlPlane.IsRemote(istio) };
        }

        throw new MeshException("ControlPlaneNotFound", MeshErrorKind.ObjectNotFound,
            $"Cluster '{cluster.Name}' has no control plane for namespace {ns} (neither a ServiceMeshControlPlane nor an Istio resource).", cluster.Name,
            "Install it first: Install-MeshControlPlane.");
    }

    /// <summary>The mesh networks <paramref name="target"/> needs: every other network, with its clusters and gateways.</summary>
    public static Dictionary<string, MeshNetwork> For(MeshCluster target, IEnumerable<MeshGatewayAddress> others)
    {
        var networks = new Dictionary<string, MeshNetwork>(StringComparer.Ordinal);
        foreach (var address in others.Where(a => a.Network != target.Network && a.Cluster != target.Name).OrderBy(a => a.Cluster, StringComparer.Ordinal))
        {
            if (!networks.TryGetValue(address.Network, out var network))
            {
                networks[address.Network] = network = new MeshNetwork();
            }

            network.Endpoints.Add(new MeshNetworkEndpoint { FromRegistry = address.Cluster });
            network.Gateways.Add(new MeshNetworkGateway { Address = address.Address, Port = address.Port });
        }

        return networks;
    }

    /// <summary>Where a flavour keeps its mesh networks.</summary>
    public static IReadOnlyList<string> FieldPath(ControlPlaneRef controlPlane) => FieldPath(controlPlane.Flavor);

    public static IReadOnlyList<string> FieldPath(MeshFlavor flavor) => flavor == MeshFlavor.Ossm2
        ? new[] { "spec", "cluster", "multiCluster", "meshNetworks" }
        : new[] { "spec", "values", "global", "meshNetworks" };

    /// <summary>The partial control-plane object that sets exactly the mesh networks.</summary>
    public static KubeObject Object(ControlPlaneRef controlPlane, Dictionary<string, MeshNetwork> networks) => ObjectOf(controlPlane, networks) with
    {
        SharedField = FieldPath(controlPlane),
        Partial = true,
    };

    private static KubeObject ObjectOf(ControlPlaneRef controlPlane, Dictionary<string, MeshNetwork> networks) => controlPlane.Flavor == MeshFlavor.Ossm2
        ? KubeObject.Of(new ServiceMeshControlPlane
        {
            Metadata = new V1ObjectMeta { Name = controlPlane.Name, NamespaceProperty = controlPlane.Namespace },
            Spec = new SmcpSpec { Cluster = new SmcpCluster { MultiCluster = new SmcpMultiCluster { MeshNetworks = networks } } },
        })
        : KubeObject.Of(new Istio
        {
            Metadata = new V1ObjectMeta { Name = controlPlane.Name },
            Spec = new IstioSpec { Values = new IstioValues { Global = new IstioGlobal { MeshNetworks = networks } } },
        });

    /// <summary>The mesh networks a control plane has now.</summary>
    public static async Task<Dictionary<string, MeshNetwork>> ReadAsync(MeshCluster cluster, ControlPlaneRef controlPlane, CancellationToken cancellation) =>
        Of(controlPlane, await ReadObjectAsync(cluster, controlPlane, cancellation).ConfigureAwait(false));

    /// <summary>The control-plane resource itself, as the server has it.</summary>
    public static async Task<JsonElement> ReadObjectAsync(MeshCluster cluster, ControlPlaneRef controlPlane, CancellationToken cancellation)
    {
        var kind = controlPlane.Kind;
        try
        {
            return (JsonElement)(kind.Namespaced
                ? await cluster.Client.CustomObjects.GetNamespacedCustomObjectAsync(kind.Group, kind.Version, controlPlane.Namespace, kind.Plural, controlPlane.Name, cancellation).ConfigureAwait(false)
                : await cluster.Client.CustomObjects.GetClusterCustomObjectAsync(kind.Group, kind.Version, kind.Plural, controlPlane.Name, cancellation).ConfigureAwait(false));
        }
        catch (Exception ex) when (KubeFailure.IsKubeFailure(ex) && !cancellation.IsCancellationRequested)
        {
            throw KubeFailure.From(ex, cluster.Name, $"reading {kind.Kind} {controlPlane.Name}");
        }
    }

    /// <summary>The mesh networks in a control-plane resource already read.</summary>
    public static Dictionary<string, MeshNetwork> Of(ControlPlaneRef controlPlane, JsonElement obj)
    {
        var element = obj;
        foreach (var step in FieldPath(controlPlane))
        {
            if (!element.TryGetProperty(step, out element))
            {
                return new Dictionary<string, MeshNetwork>(StringComparer.Ordinal);
            }
        }

        return KubernetesJson.Deserialize<Dictionary<string, MeshNetwork>>(element.GetRawText());
    }
}
