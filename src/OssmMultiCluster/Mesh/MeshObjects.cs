using k8s.Models;
using OssmMultiCluster.Kube;

namespace OssmMultiCluster.Mesh;

/// <summary>Objects several install steps share.</summary>
public static class MeshObjects
{
    public const string NetworkLabel = "topology.istio.io/network";

    /// <summary>A namespace, labelled with the cluster's network when it is the control plane's.</summary>
    public static KubeObject Namespace(string name, string? network) => new(KubeKind.Namespace, null, name, new V1Namespace
    {
        ApiVersion = "v1",
        Kind = "Namespace",
        Metadata = new V1ObjectMeta
        {
            Name = name,
            Labels = network is null ? null : new Dictionary<string, string> { [NetworkLabel] = network },
        },
    });
}
