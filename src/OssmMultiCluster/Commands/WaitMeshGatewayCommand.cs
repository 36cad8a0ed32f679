using System.Management.Automation;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Waits until each cluster's east-west gateway has an address (a load balancer's IP or hostname, or a node address and
/// node port) and outputs it.
/// </summary>
[Cmdlet(VerbsLifecycle.Wait, "MeshGateway")]
[OutputType(typeof(MeshGatewayAddress))]
public sealed class WaitMeshGatewayCommand : MeshClusterCmdlet
{
    [Parameter]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string Name { get; set; } = MeshNames.EastWestGatewayName;

    /// <summary>How long to wait for each gateway.</summary>
    [Parameter]
    [ValidateTimeout]
    public TimeSpan Timeout { get; set; } = MeshDefaults.ReadyTimeout;

    private protected override void End() => Run(host => EastWestGatewayInstall.WaitAsync(host, Clusters, Namespace, Name, Timeout));
}
