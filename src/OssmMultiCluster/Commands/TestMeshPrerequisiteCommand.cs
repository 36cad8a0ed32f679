using System.Management.Automation;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Mesh.Prerequisites;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Checks, before anything is installed, what the setup needs of each cluster (API, version, clock, identity, the
/// operator's CRDs, the user's rights, load balancer or NodePort) and outputs one object per check with the fix, then
/// a verdict. Clusters are read in parallel; only -ProbeLoadBalancer changes anything (a throwaway Service).
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "MeshPrerequisite", SupportsShouldProcess = true)]
[OutputType(typeof(MeshPrerequisiteCheck), typeof(MeshPrerequisiteSummary))]
public sealed class TestMeshPrerequisiteCommand : MeshClusterCmdlet
{
    /// <summary>The flavour to be installed; default: the one each cluster's CRDs show.</summary>
    [Parameter]
    public MeshFlavor? Flavor { get; set; }

    /// <summary>CAs to be installed (root, intermediates): their validity is checked against each cluster's clock.</summary>
    [Parameter]
    [ValidateNotNull]
    [ArgumentCompleter(typeof(CertificateAuthorityCompleter))]
    public MeshCertificateAuthority[] CertificateAuthority { get; set; } = Array.Empty<MeshCertificateAuthority>();

    /// <summary>Create a throwaway LoadBalancer Service per cluster to see whether it gets an address; it is deleted at once.</summary>
    [Parameter]
    public SwitchParameter ProbeLoadBalancer { get; set; }

    /// <summary>With -ProbeLoadBalancer: where the throwaway Service is created.</summary>
    [Parameter]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string ProbeNamespace { get; set; } = "default";

    /// <summary>With -ProbeLoadBalancer: how long to wait for an address.</summary>
    [Parameter]
    public TimeSpan ProbeTimeout { get; set; } = MeshDefaults.ProbeTimeout;

    private protected override void End()
    {
        var options = new PrerequisiteOptions { Flavor = Flavor, Namespace = Namespace, ProbeNamespace = ProbeNamespace, ProbeTimeout = ProbeTimeout };
        Run(host => PrerequisiteReport.RunAsync(host, Clusters, options, ProbeLoadBalancer, CertificateAuthority));
    }
}
