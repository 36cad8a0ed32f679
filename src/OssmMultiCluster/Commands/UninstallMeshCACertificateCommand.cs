using System.Management.Automation;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Deletes the plug-in CA secret cacerts that Install-MeshCACertificate made on each cluster, if the module made it.
/// The namespace and its network label stay.
/// </summary>
[Cmdlet(VerbsLifecycle.Uninstall, "MeshCACertificate", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(MeshResourceResult))]
public sealed class UninstallMeshCACertificateCommand : MeshUninstallCmdlet
{
    private protected override void End()
    {
        var targets = MeshUninstaller.CACertificateTargets(Namespace);
        Uninstall("Uninstalling plug-in CAs", $"Delete the plug-in CA secret {Namespace}/{CACertificateInstaller.SecretName}",
            (cluster, ct) => MeshUninstaller.UninstallAsync(cluster, targets, ct));
    }
}
