using k8s.Models;
using OssmMultiCluster.Kube;

namespace OssmMultiCluster.Mesh.Resources;

/// <summary>An OSSM 3 control plane (the Sail operator's Istio).</summary>
[KubernetesEntity(Group = "sailoperator.io", ApiVersion = "v1", Kind = "Istio", PluralName = "istios")]
[ClusterScoped]
internal sealed class Istio : CustomResource<IstioSpec>
{
}

/// <summary>OSSM 3's CNI node agent.</summary>
[KubernetesEntity(Group = "sailoperator.io", ApiVersion = "v1", Kind = "IstioCNI", PluralName = "istiocnis")]
[ClusterScoped]
internal sealed class IstioCni : CustomResource<IstioCniSpec>
{
}

/// <summary>The spec of an OSSM 3 Istio resource, the fields the module sets.</summary>
internal sealed class IstioSpec
{
    public string? Version { get; set; }
    public string? Namespace { get; set; }

    /// <summary>Install-MeshControlPlane -Remote: 'remote', a cluster whose istiod runs on its primary; null otherwise.</summary>
    public string? Profile { get; set; }

    public IstioValues? Values { get; set; }
}

internal sealed class IstioValues
{
    public IstioGlobal? Global { get; set; }
    public IstioMeshConfig? MeshConfig { get; set; }

    /// <summary>Written only by Update-MeshCACertificate (its own field manager): istiod's environment.</summary>
    public IstioPilot? Pilot { get; set; }

    /// <summary>Install-MeshControlPlane -Remote: the path of the primary's injection webhook for this cluster.</summary>
    public IstioRemote? IstiodRemote { get; set; }
}

internal sealed class IstioRemote
{
    public string? InjectionPath { get; set; }
}

internal sealed class IstioGlobal
{
    public string? MeshID { get; set; }
    public IstioMultiCluster? MultiCluster { get; set; }
    public string? Network { get; set; }

    /// <summary>Written only by Connect-MeshCluster -MeshNetworks: OSSM 3 discovers gateways by their network label.</summary>
    public Dictionary<string, MeshNetwork>? MeshNetworks { get; set; }

    /// <summary>Install-MeshControlPlane -Remote: where the remote's proxies reach istiod (the primary's east-west gateway).</summary>
    public string? RemotePilotAddress { get; set; }

    /// <summary>Install-MeshControlPlane -ExternalIstiod: this primary's istiod also serves remote clusters.</summary>
    public bool? ExternalIstiod { get; set; }
}

internal sealed class IstioMultiCluster
{
    public string? ClusterName { get; set; }
}

internal sealed class IstioMeshConfig
{
    public List<V1LabelSelector>? DiscoverySelectors { get; set; }
    public string? AccessLogFile { get; set; }

    /// <summary>Install-MeshControlPlane -TrustDomain; null: the default, cluster.local.</summary>
    public string? TrustDomain { get; set; }

    /// <summary>Written only by Connect-MeshCluster (its own field manager): the other clusters' trust domains.</summary>
    public List<string>? TrustDomainAliases { get; set; }

    /// <summary>Written only by Update-MeshCACertificate (its own field manager): the proxies' metadata.</summary>
    public IstioProxyConfig? DefaultConfig { get; set; }
}

/// <summary>The spec of an OSSM 3 IstioCNI resource.</summary>
internal sealed class IstioCniSpec
{
    public string? Version { get; set; }
    public string? Namespace { get; set; }
}

internal sealed class IstioPilot
{
    public Dictionary<string, string>? Env { get; set; }
}

internal sealed class IstioProxyConfig
{
    public Dictionary<string, string>? ProxyMetadata { get; set; }
}
