using System.Management.Automation;
using OssmMultiCluster.Mesh.Connectivity;
using OssmMultiCluster.Mesh.Status;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Checks the mesh across its clusters (trust, network, control plane, gateway, remote secrets, mesh networks) and
/// outputs one object per check, then a verdict. Clusters are read in parallel; a cluster that is down is one Error.
/// </summary>
[Cmdlet(VerbsCommon.Get, "MeshStatus")]
[OutputType(typeof(MeshStatusCheck), typeof(MeshStatusSummary))]
public sealed class GetMeshStatusCommand : MeshClusterCmdlet
{
    [Parameter]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string GatewayName { get; set; } = MeshNames.EastWestGatewayName;

    /// <summary>Also ask each cluster's istiod which remote clusters it has synced (Get-MeshRemoteCluster), one check per remote cluster.</summary>
    [Parameter]
    public SwitchParameter IstiodView { get; set; }

    private protected override void End()
    {
        var istiodView = IstiodView ? PodExecTransport.Create() : null;
        Run(host => StatusReport.RunAsync(host, Clusters, Namespace, GatewayName, istiodView));
    }
}
