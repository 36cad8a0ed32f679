using k8s.Models;
using OssmMultiCluster.Kube;

namespace OssmMultiCluster.Mesh;

/// <summary>Objects several install steps share.</summary>
public static class MeshObjects
{
    public const string NetworkLabel = "topology.istio.io/network";
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedBy = "ossm-multicluster";

    /// <summary>
    /// A namespace marked as managed by the module, and labelled with the cluster's network when it is the control
    /// plane's. The mark matters beyond bookkeeping: an apply that owns no field at all makes the API server rewrite
    /// managedFields on every run, so an unlabelled namespace would never read as unchanged.
    /// </summary>
    public static KubeObject Namespace(string name, string? network)
    {
        var labels = new Dictionary<string, string> { [ManagedByLabel] = ManagedBy };
        if (network is not null)
        {
            labels[NetworkLabel] = network;
        }

        return new KubeObject(KubeKind.Namespace, null, name, new V1Namespace
        {
            ApiVersion = "v1",
            Kind = "Namespace",
            Metadata = new V1ObjectMeta { Name = name, Labels = labels },
        });
    }
}
