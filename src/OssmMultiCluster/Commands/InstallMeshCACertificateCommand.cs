using System.Management.Automation;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Installs each cluster's intermediate CA as istiod's plug-in CA (walkthrough step 6): the control-plane namespace
/// labelled with the cluster's network, and the cacerts secret. Clusters are done concurrently.
/// </summary>
[Cmdlet(VerbsLifecycle.Install, "MeshCACertificate", SupportsShouldProcess = true)]
[OutputType(typeof(MeshResourceResult), typeof(MeshManifestFile))]
public sealed class InstallMeshCACertificateCommand : MeshExportCmdlet
{
    private readonly List<MeshCertificateAuthority> _authorities = new();

    /// <summary>Intermediate CAs, from New-MeshIntermediateCA or Import-MeshCA.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [Alias("InputObject")]
    [ValidateNotNull]
    [ArgumentCompleter(typeof(CertificateAuthorityCompleter))]
    public MeshCertificateAuthority[] CertificateAuthority { get; set; } = Array.Empty<MeshCertificateAuthority>();

    /// <summary>The clusters, matched to the CAs by name; needed for CAs that do not carry their cluster (imported ones).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(MeshClusterCompleter))]
    public MeshCluster[]? Cluster { get; set; }

    /// <summary>The control plane's namespace.</summary>
    [Parameter]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string Namespace { get; set; } = MeshNames.ControlPlaneNamespace;

    private protected override void Process() => _authorities.AddRange(CertificateAuthority);

    private protected override void End()
    {
        var delivery = Delivery;
        Run(host => CACertificateInstaller.RunAsync(host, _authorities, Cluster, Namespace, Force, delivery));
    }
}
