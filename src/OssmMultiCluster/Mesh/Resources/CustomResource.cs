using k8s;
using k8s.Models;
using OssmMultiCluster.Kube;

namespace OssmMultiCluster.Mesh.Resources;

/// <summary>
/// A custom resource as the module writes it: the usual envelope around a typed spec. Each kind is a class of its own
/// whose <see cref="KubernetesEntityAttribute"/> says where its API lives, and a new object starts with that apiVersion
/// and kind. Serialized by KubernetesClient's JSON and YAML serializers (camelCase, nulls left out), the same way for
/// apply and for GitOps export.
/// </summary>
internal abstract class CustomResource<TSpec> : IKubernetesObject<V1ObjectMeta>
    where TSpec : class
{
    protected CustomResource()
    {
        var kind = KubeKind.Of(GetType());
        ApiVersion = kind.ApiVersion;
        Kind = kind.Kind;
    }

    public string ApiVersion { get; set; }

    public string Kind { get; set; }

    public V1ObjectMeta Metadata { get; set; } = new();

    public TSpec? Spec { get; set; }
}

/// <summary>One network of a mesh and how to reach it (meshNetworks in the SMCP and in Istio's values).</summary>
internal sealed class MeshNetwork
{
    public List<MeshNetworkEndpoint> Endpoints { get; set; } = new();

    public List<MeshNetworkGateway> Gateways { get; set; } = new();
}

internal sealed class MeshNetworkEndpoint
{
    public string? FromRegistry { get; set; }
}

internal sealed class MeshNetworkGateway
{
    public string? Address { get; set; }

    public int? Port { get; set; }
}
