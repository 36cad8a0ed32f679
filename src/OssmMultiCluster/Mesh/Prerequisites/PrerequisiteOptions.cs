using OssmMultiCluster.Model;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh.Resources;

namespace OssmMultiCluster.Mesh.Prerequisites;

internal sealed record PrerequisiteOptions
{
    /// <summary>The flavour to check for; null: the one the cluster's CRDs show.</summary>
    public MeshFlavor? Flavor { get; init; }

    /// <summary>The control plane's namespace, where the install steps write.</summary>
    public string Namespace { get; init; } = MeshNames.ControlPlaneNamespace;

    /// <summary>Create a throwaway LoadBalancer Service to see whether it gets an address.</summary>
    public bool ProbeLoadBalancer { get; init; }

    public string ProbeNamespace { get; init; } = "default";

    public TimeSpan ProbeTimeout { get; init; } = MeshDefaults.ProbeTimeout;
}

/// <summary>One right an install or connect step uses: a verb on a resource, cluster-wide or in the control plane's namespace.</summary>
internal sealed record PermissionNeed(string Verb, string Group, string Resource, bool Namespaced, string Step)
{
    public string Describe(string ns) => $"{Verb} {(Group.Length == 0 ? Resource : Resource + "." + Group)}{(Namespaced ? " in " + ns : " (cluster-wide)")}";
}

/// <summary>A CRD the flavour's install steps need, and the API version the module uses.</summary>
internal sealed record OperatorCrd(string Name, string Kind, string Version)
{
    /// <summary>The CRD that defines <paramref name="kind"/> (its name is plural.group).</summary>
    public static OperatorCrd Of(KubeKind kind) => new($"{kind.Plural}.{kind.Group}", kind.Kind, kind.Version);
}

/// <summary>What the module's steps need of a cluster, per flavour: CRDs and rights.</summary>
internal static class Requirements
{
    public static readonly string SmcpCrd = OperatorCrd.Of(KubeKind.Of<ServiceMeshControlPlane>()).Name;
    public static readonly string IstioCrd = OperatorCrd.Of(KubeKind.Of<Istio>()).Name;

    public static IReadOnlyList<OperatorCrd> Crds(MeshFlavor flavor) => flavor == MeshFlavor.Ossm2
        ? new[] { OperatorCrd.Of(KubeKind.Of<ServiceMeshControlPlane>()), OperatorCrd.Of(KubeKind.Of<Gateway>()) }
        : new[]
        {
            OperatorCrd.Of(KubeKind.Of<Istio>()), OperatorCrd.Of(KubeKind.Of<IstioCni>()), OperatorCrd.Of(KubeKind.Of<PeerAuthentication>()),
            OperatorCrd.Of(KubeKind.Of<Gateway>()),
        };

    /// <summary>Every CRD either flavour needs: what is read from each cluster.</summary>
    public static IReadOnlyList<string> AllCrdNames { get; } =
        Crds(MeshFlavor.Ossm2).Concat(Crds(MeshFlavor.Ossm3)).Select(c => c.Name).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>
    /// The rights the install and connect steps use (reads, server-side apply patches, deletes of remote secrets), for
    /// <paramref name="flavor"/>, or for both when it is unknown.
    /// </summary>
    public static IReadOnlyList<PermissionNeed> Permissions(MeshFlavor? flavor)
    {
        var needs = new List<PermissionNeed>
        {
            new("get", "", "namespaces", false, "Install-MeshCACertificate"),
            new("patch", "", "namespaces", false, "Install-MeshCACertificate"),
            new("get", "", "secrets", true, "Install-MeshCACertificate"),
            new("patch", "", "secrets", true, "Install-MeshCACertificate, Connect-MeshCluster"),
            new("list", "", "secrets", true, "New-MeshRemoteSecret, Get-MeshStatus"),
            new("delete", "", "secrets", true, "Disconnect-MeshCluster, Update-MeshRemoteSecret"),
            new("get", "", "serviceaccounts", true, "New-MeshRemoteSecret"),
            new("get", "", "services", true, "Install-MeshEastWestGateway"),
            new("patch", "", "services", true, "Install-MeshEastWestGateway"),
            new("get", "apps", "deployments", true, "Install-MeshEastWestGateway"),
            new("patch", "apps", "deployments", true, "Install-MeshEastWestGateway"),
            new("get", "policy", "poddisruptionbudgets", true, "Install-MeshEastWestGateway -Replicas"),
            new("patch", "policy", "poddisruptionbudgets", true, "Install-MeshEastWestGateway -Replicas"),
            new("list", "networking.istio.io", "gateways", false, "Install-MeshEastWestGateway"),
            new("get", "networking.istio.io", "gateways", true, "Install-MeshEastWestGateway"),
            new("patch", "networking.istio.io", "gateways", true, "Install-MeshEastWestGateway"),
            new("list", "", "nodes", false, "Wait-MeshGateway (NodePort)"),
        };
        if (flavor is null or MeshFlavor.Ossm2)
        {
            needs.Add(new("list", "maistra.io", "servicemeshcontrolplanes", false, "Install-MeshControlPlane"));
            needs.Add(new("get", "maistra.io", "servicemeshcontrolplanes", true, "Install-MeshControlPlane"));
            needs.Add(new("patch", "maistra.io", "servicemeshcontrolplanes", true, "Install-MeshControlPlane, Connect-MeshCluster"));
        }

        if (flavor is null or MeshFlavor.Ossm3)
        {
            needs.Add(new("list", "sailoperator.io", "istios", false, "Install-MeshControlPlane"));
            needs.Add(new("get", "sailoperator.io", "istios", false, "Install-MeshControlPlane"));
            needs.Add(new("patch", "sailoperator.io", "istios", false, "Install-MeshControlPlane, Connect-MeshCluster (-MeshNetworks, trust-domain aliases)"));
            needs.Add(new("get", "sailoperator.io", "istiocnis", false, "Install-MeshControlPlane"));
            needs.Add(new("patch", "sailoperator.io", "istiocnis", false, "Install-MeshControlPlane"));
            needs.Add(new("get", "security.istio.io", "peerauthentications", true, "Install-MeshControlPlane"));
            needs.Add(new("patch", "security.istio.io", "peerauthentications", true, "Install-MeshControlPlane"));
        }

        return needs;
    }
}
