using System.Management.Automation;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Deletes what Install-MeshEastWestGateway made on each cluster (istiod's exposure, Gateway, PodDisruptionBudget,
/// Deployment, Service), if the module made it; anything else is left and reported Retained.
/// </summary>
[Cmdlet(VerbsLifecycle.Uninstall, "MeshEastWestGateway", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(MeshResourceResult))]
public sealed class UninstallMeshEastWestGatewayCommand : MeshUninstallCmdlet
{
    [Parameter]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string Name { get; set; } = MeshNames.EastWestGatewayName;

    private protected override void End()
    {
        var targets = MeshUninstaller.GatewayTargets(Namespace, Name);
        Uninstall("Uninstalling east-west gateways", $"Delete east-west gateway {Namespace}/{Name} (Service, Deployment, Gateway)",
            (cluster, ct) => MeshUninstaller.UninstallAsync(cluster, targets, ct));
    }
}
