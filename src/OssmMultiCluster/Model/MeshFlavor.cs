namespace OssmMultiCluster.Model;

/// <summary>Which OpenShift Service Mesh the control plane is.</summary>
public enum MeshFlavor
{
    /// <summary>OSSM 2.6: ServiceMeshControlPlane maistra.io/v2.</summary>
    Ossm2,

    /// <summary>OSSM 3 (Sail operator): Istio and IstioCNI sailoperator.io/v1.</summary>
    Ossm3,
}
