using System.Management.Automation;
using OssmMultiCluster.Mesh.Connectivity;
using OssmMultiCluster.Mesh.Status;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// The mesh as istiod sees it: for each cluster, every running istiod's list of remote clusters (debug/clusterz, what
/// 'istioctl remote-clusters' shows), set against the remote secrets there. Clusters are read in parallel; one that
/// cannot be read is an error record naming it, and the others go on.
/// </summary>
[Cmdlet(VerbsCommon.Get, "MeshRemoteCluster")]
[OutputType(typeof(MeshRemoteCluster))]
public sealed class GetMeshRemoteClusterCommand : MeshClusterCmdlet
{
    private protected override void End()
    {
        var exec = PodExecTransport.Create();
        Run(host => StatusReport.RemoteClustersAsync(host, Clusters, Namespace, exec));
    }
}
