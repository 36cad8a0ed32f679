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
        var plans = new List<ClusterPlan>();
        var installer = new CACertificateInstaller();
        foreach (var ca in _authorities)
        {
            var cluster = ca.MeshCluster ?? Cluster?.FirstOrDefault(c => c.Name == ca.Cluster);
            try
            {
                if (cluster is null)
                {
                    throw new MeshException("ClusterUnknown", MeshErrorKind.InvalidArgument,
                        $"No cluster is known for the CA '{ca}'.", ca.Cluster ?? ca.Subject,
                        "Pipe Get-MeshCluster's clusters into New-MeshIntermediateCA, or pass them with -Cluster (matched by name).");
                }

                CACertificateInstaller.Validate(cluster, ca);
            }
            catch (MeshException error)
            {
                WriteMeshError(error);
                continue;
            }

            var objects = CACertificateInstaller.Objects(cluster, ca, Namespace);
            plans.Add(new ClusterPlan(cluster, objects,
                $"Install plug-in CA '{ca.Subject}' as secret {Namespace}/{CACertificateInstaller.SecretName}, label namespace with network {cluster.Network}",
                ct => installer.InstallAsync(cluster, objects, Namespace, Force, ct)));
        }

        Deliver("Installing plug-in CAs", plans);
    }
}
