using System.Management.Automation;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Deletes the control plane Install-MeshControlPlane made on each cluster (the SMCP, or Istio, IstioCNI and the
/// strict PeerAuthentication), if the module made it. Refused for a cluster still connected to the mesh unless -Force.
/// </summary>
[Cmdlet(VerbsLifecycle.Uninstall, "MeshControlPlane", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(MeshResourceResult))]
public sealed class UninstallMeshControlPlaneCommand : MeshUninstallCmdlet
{
    /// <summary>Only this flavour's objects; default: whichever the cluster has.</summary>
    [Parameter]
    public MeshFlavor? Flavor { get; set; }

    /// <summary>The control plane resource's name; default basic (SMCP) or default (Istio).</summary>
    [Parameter]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string? Name { get; set; }

    /// <summary>The other clusters of the mesh, checked for remote secrets that still point at the clusters uninstalled.</summary>
    [Parameter]
    [ValidateNotNull]
    [ArgumentCompleter(typeof(MeshClusterCompleter))]
    public MeshCluster[] Peer { get; set; } = Array.Empty<MeshCluster>();

    /// <summary>Uninstall even while other clusters' remote secrets still point at the cluster.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    private protected override void End()
    {
        var targets = MeshUninstaller.ControlPlaneTargets(Flavor, Namespace, Name);
        var known = Clusters.Concat(Peer).GroupBy(c => c.Name).Select(g => g.First()).ToList();
        var what = Flavor switch
        {
            MeshFlavor.Ossm2 => "ServiceMeshControlPlane",
            MeshFlavor.Ossm3 => "Istio, IstioCNI, PeerAuthentication",
            _ => "ServiceMeshControlPlane or Istio, IstioCNI, PeerAuthentication",
        };
        Uninstall("Uninstalling control planes", $"Delete the control plane in {Namespace} ({what})",
            (cluster, ct) => MeshUninstaller.UninstallControlPlaneAsync(cluster, known, Namespace, targets, Force, ct));
    }
}
