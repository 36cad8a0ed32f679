using System.Management.Automation;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// What the Uninstall cmdlets share: clusters from the pipeline, the control plane's namespace, confirmation per
/// cluster (ConfirmImpact High), clusters done concurrently, and a verbose line for a cluster with nothing to delete.
/// </summary>
public abstract class MeshUninstallCmdlet : MeshClusterCmdlet
{
    /// <summary>Asks for each cluster, then runs the confirmed clusters' uninstall concurrently and writes what each did.</summary>
    private protected void Uninstall(string activity, string description, Func<MeshCluster, CancellationToken, Task<InstallOutcome>> uninstall) =>
        Run(host => UninstallStep.RunAsync(host, Clusters, activity, description, uninstall));
}
