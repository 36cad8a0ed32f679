using k8s.Models;
using OssmMultiCluster.Kube;

namespace OssmMultiCluster.Mesh;

/// <summary>Objects several install steps share.</summary>
internal static class MeshObjects
{
    public const string NetworkLabel = "topology.istio.io/network";
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedBy = "ossm-multicluster";

    /// <summary>The namespace's own name as a label: set by Kubernetes 1.21 and later, by the module on older servers too.</summary>
    public const string NamespaceNameLabel = "kubernetes.io/metadata.name";

    /// <summary>
    /// A namespace marked as managed by the module, and labelled with the cluster's network when it is the control
    /// plane's. The mark matters beyond bookkeeping: an apply that owns no field at all makes the API server rewrite
    /// managedFields on every run, so an unlabelled namespace would never read as unchanged.
    /// </summary>
    public static KubeObject Namespace(string name, string? network)
    {
        // The name label lets a discovery selector pick the namespace by name (OSSM 3 selects its own namespace so).
        var labels = new Dictionary<string, string> { [ManagedByLabel] = ManagedBy, [NamespaceNameLabel] = name };
        if (network is not null)
        {
            labels[NetworkLabel] = network;
        }

        // In an export, the annotation naming a remote's primary (Install-MeshControlPlane -Remote) is kept from the file.
        return KubeObject.Of(new V1Namespace
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = labels },
        }) with { SharedField = RemoteControlPlane.AnnotationField };
    }
}
