using System.Text.Json;
using k8s;
using k8s.Models;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh.Resources;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh;

/// <summary>What a remote's control plane takes from its primary, as read from the primary.</summary>
internal sealed record MeshPrimary(string Cluster, string Network, string ControlPlane, string? MeshId, MeshGatewayAddress Gateway)
{
    /// <summary>Where the remote's proxies and the primary's webhooks meet istiod: the primary's east-west gateway.</summary>
    public string PilotAddress => Gateway.Address;
}

/// <summary>
/// The primary-remote topology (OSSM 3 only): a remote cluster runs no istiod; its Istio resource has the remote
/// profile and points at the primary's istiod, which the primary exposes through its east-west gateway
/// (Install-MeshEastWestGateway -ExposeIstiod) and runs as an external istiod (Install-MeshControlPlane -ExternalIstiod).
/// The remote's control-plane namespace names its primary in an annotation, applied by a field manager of its own so
/// that the other install steps, which apply the same namespace without it, never remove it.
/// </summary>
internal static class RemoteControlPlane
{
    public const string FieldManager = "ossm-multicluster-remote";
    public const string Profile = "remote";
    public const string ControlPlaneClustersAnnotation = "topology.istio.io/controlPlaneClusters";

    /// <summary>The Gateway of Install-MeshEastWestGateway -ExposeIstiod.</summary>
    public const string IstiodGatewayName = "istiod-gateway";

    public static readonly IReadOnlyList<string> AnnotationField = new[] { "metadata", "annotations", ControlPlaneClustersAnnotation };

    /// <summary>The refusal on an OSSM 2.6 cluster: the ServiceMeshControlPlane has no remote profile, remote pilot address or external istiod.</summary>
    public static MeshException NotSupported(string cluster, string what) => new("RemoteTopologyNotSupported", MeshErrorKind.InvalidOperation,
        $"Cluster '{cluster}' runs OSSM 2.6 (ServiceMeshControlPlane {KubeKind.Of<ServiceMeshControlPlane>().ApiVersion}), whose operator cannot {what}: " +
        "its control plane has no remote profile, remote pilot address or external istiod, and its one multi-cluster topology is multi-primary.",
        cluster, "Use OSSM 3 (the Sail operator) for primary-remote, or make every OSSM 2.6 cluster a primary: Install-MeshControlPlane without -Remote, then Connect-MeshCluster.");

    public static IReadOnlyList<(KubeKind kind, string install)> RequiredApis(ControlPlaneOptions options) =>
        options.SkipCni
            ? new[] { (KubeKind.Of<Istio>(), ControlPlane.Ossm3Operator) }
            : new[] { (KubeKind.Of<Istio>(), ControlPlane.Ossm3Operator), (KubeKind.Of<IstioCni>(), ControlPlane.Ossm3Operator) };

    /// <summary>
    /// A remote's objects: its namespace (network label), the CNI, the Istio resource with the remote profile, and last
    /// the namespace's controlPlaneClusters annotation (a partial object, <see cref="IsAnnotation"/>).
    /// </summary>
    public static IReadOnlyList<KubeObject> Objects(MeshCluster cluster, ControlPlaneOptions options, MeshPrimary primary)
    {
        MeshNames.ValidateMeshId(options.MeshId);
        if (options.Flavor != MeshFlavor.Ossm3)
        {
            throw NotSupported(cluster.Name, "install a remote cluster");
        }

        var objects = ControlPlane.Objects(cluster, options with { DiscoverySelector = new Dictionary<string, string>() })
            .Where(o => o.Kind == KubeKind.Namespace || o.Kind == KubeKind.Of<IstioCni>()).ToList();
        objects.Add(KubeObject.Of(new Istio
        {
            Metadata = new V1ObjectMeta { Name = options.ResourceName },
            Spec = new IstioSpec
            {
                Version = options.Version,
                Namespace = options.Namespace,
                Profile = Profile,
                Values = new IstioValues
                {
                    Global = new IstioGlobal
                    {
                        MeshID = options.MeshId,
                        MultiCluster = new IstioMultiCluster { ClusterName = cluster.Name },
                        Network = cluster.Network,
                        RemotePilotAddress = primary.PilotAddress,
                    },
                    // The primary's istiod injects this cluster's pods at a path that names the cluster and its network.
                    IstiodRemote = new IstioRemote { InjectionPath = InjectionPath(cluster) },
                },
            },
        }));
        objects.Add(Annotation(options.Namespace, primary.Cluster));
        return objects;
    }

    public static string InjectionPath(MeshCluster cluster) => $"/inject/cluster/{cluster.Name}/net/{cluster.Network}";

    /// <summary>The partial namespace that sets only the annotation naming the primary (in an export, merged into the namespace's file).</summary>
    public static KubeObject Annotation(string ns, string primary) => KubeObject.Of(new V1Namespace
    {
        Metadata = new V1ObjectMeta { Name = ns, Annotations = new Dictionary<string, string> { [ControlPlaneClustersAnnotation] = primary } },
    }) with { SharedField = AnnotationField, Partial = true };

    public static bool IsAnnotation(KubeObject obj) => obj.Kind == KubeKind.Namespace && obj.Partial;

    /// <summary>Applies a remote's objects: all but the annotation as every install step does, then the annotation with its own field manager.</summary>
    public static async Task<InstallOutcome> InstallAsync(MeshCluster cluster, IReadOnlyList<KubeObject> objects, IReadOnlyList<(KubeKind kind, string install)> apis,
        bool force, CancellationToken cancellation)
    {
        var outcome = await ObjectInstaller.InstallAsync(cluster, objects.Where(o => !IsAnnotation(o)).ToList(), apis, force, cancellation).ConfigureAwait(false);
        var annotations = new ResourceApplier(cluster, FieldManager);
        var results = outcome.Results.ToList();
        foreach (var annotation in objects.Where(IsAnnotation))
        {
            results.Add(await annotations.ApplyAsync(annotation, force, cancellation).ConfigureAwait(false));
        }

        return InstallOutcome.Of(results);
    }

    /// <summary>
    /// Reads what a remote needs from <paramref name="primary"/> and refuses a primary that cannot serve one: not OSSM 3,
    /// itself a remote, istiod not external, istiod not exposed through the east-west gateway, or a gateway whose address
    /// a remote cannot reach istiod at (NodePort). Waits up to <paramref name="wait"/> for the gateway's address.
    /// </summary>
    public static async Task<MeshPrimary> ReadPrimaryAsync(MeshCluster primary, string ns, string gatewayName, TimeSpan wait, CancellationToken cancellation)
    {
        var controlPlane = await MeshNetworks.LocateAsync(primary, ns, cancellation).ConfigureAwait(false);
        if (controlPlane.Flavor == MeshFlavor.Ossm2)
        {
            throw NotSupported(primary.Name, "serve remote clusters");
        }

        var obj = await MeshNetworks.ReadObjectAsync(primary, controlPlane, cancellation).ConfigureAwait(false);
        if (IsRemote(obj))
        {
            throw new MeshException("PrimaryIsRemote", MeshErrorKind.InvalidOperation,
                $"Cluster '{primary.Name}' is itself a remote (its Istio '{controlPlane.Name}' has the remote profile): it runs no istiod for another remote to use.",
                primary.Name, "Name a cluster with its own istiod as -Primary.");
        }

        if (Read(obj, "spec", "values", "global", "externalIstiod") is not { ValueKind: JsonValueKind.True })
        {
            throw new MeshException("PrimaryNotExternalIstiod", MeshErrorKind.InvalidOperation,
                $"The istiod of cluster '{primary.Name}' (Istio '{controlPlane.Name}') does not serve remote clusters: values.global.externalIstiod is not true.",
                primary.Name, $"Install its control plane for remotes first: Install-MeshControlPlane -Cluster <{primary.Name}> -ExternalIstiod (with its -MeshId).");
        }

        var gateway = await new ResourceApplier(primary).ReadAsync(KubeKind.Of<Gateway>(), ns, IstiodGatewayName,
            $"reading gateway {ns}/{IstiodGatewayName}", cancellation).ConfigureAwait(false);
        if (gateway is null)
        {
            throw new MeshException("PrimaryIstiodNotExposed", MeshErrorKind.InvalidOperation,
                $"Cluster '{primary.Name}' does not expose istiod through its east-west gateway (no Gateway {ns}/{IstiodGatewayName}): a remote's proxies could not reach it.",
                primary.Name, $"Expose it first: Install-MeshEastWestGateway -Cluster <{primary.Name}> -ExposeIstiod.");
        }

        var address = await GatewayAddresses.WaitAsync(primary, ns, gatewayName, wait, cancellation).ConfigureAwait(false);
        if (address.AddressType == MeshGatewayAddressType.NodeIP)
        {
            throw new MeshException("PrimaryGatewayNodePort", MeshErrorKind.InvalidOperation,
                $"The east-west gateway {ns}/{gatewayName} of cluster '{primary.Name}' is a NodePort Service: a remote reaches istiod at the pilot address on port 15012, which a node port does not serve.",
                primary.Name, "Give the primary a LoadBalancer east-west gateway (Install-MeshEastWestGateway -ServiceType LoadBalancer -ExposeIstiod).");
        }

        return new MeshPrimary(primary.Name, primary.Network, controlPlane.Name, Read(obj, "spec", "values", "global", "meshID")?.GetString(), address);
    }

    /// <summary>
    /// The peers that are remotes of <paramref name="primary"/> (their namespace names it, their Istio has the remote
    /// profile), each as a sentence; a peer that cannot be read is left to the caller's other checks.
    /// </summary>
    public static async Task<IReadOnlyList<string>> RemotesOfAsync(MeshCluster primary, IReadOnlyList<MeshCluster> peers, string ns, CancellationToken cancellation)
    {
        var found = await Task.WhenAll(peers.Where(p => p.Name != primary.Name).Select(async peer =>
        {
            try
            {
                var nsObject = await new ResourceApplier(peer).ReadAsync((c, ct) => c.CoreV1.ReadNamespaceAsync(ns, cancellationToken: ct), $"reading namespace {ns}", cancellation)
                    .ConfigureAwait(false);
                var primaries = nsObject?.Metadata.Annotations?.TryGetValue(ControlPlaneClustersAnnotation, out var named) == true
                    ? named.Split(',', StringSplitOptions.TrimEntries)
                    : Array.Empty<string>();
                return primaries.Contains(primary.Name, StringComparer.Ordinal) && (await MeshNetworks.LocateAsync(peer, ns, cancellation).ConfigureAwait(false)).IsRemote
                    ? $"cluster '{peer.Name}' is a remote whose workloads use its istiod"
                    : null;
            }
            catch (MeshException)
            {
                return null;
            }
        })).ConfigureAwait(false);
        return found.OfType<string>().ToList();
    }

    /// <summary>Whether <paramref name="cluster"/>'s control plane for <paramref name="ns"/> is a remote; no control plane: not one.</summary>
    public static async Task<bool> IsRemoteClusterAsync(MeshCluster cluster, string ns, CancellationToken cancellation)
    {
        try
        {
            return (await MeshNetworks.LocateAsync(cluster, ns, cancellation).ConfigureAwait(false)).IsRemote;
        }
        catch (MeshException error) when (error.ErrorId == "ControlPlaneNotFound")
        {
            return false;
        }
    }

    /// <summary>Whether a control-plane resource (an Istio as read) has the remote profile.</summary>
    public static bool IsRemote(JsonElement controlPlane) =>
        Read(controlPlane, "spec", "profile") is { ValueKind: JsonValueKind.String } profile && profile.GetString() == Profile;

    /// <summary>The remote pilot address an Istio as read points at.</summary>
    public static string? PilotAddress(JsonElement controlPlane) =>
        Read(controlPlane, "spec", "values", "global", "remotePilotAddress") is { ValueKind: JsonValueKind.String } a ? a.GetString() : null;

    private static JsonElement? Read(JsonElement element, params string[] path)
    {
        foreach (var step in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(step, out element))
            {
                return null;
            }
        }

        return element;
    }
}
