using System.Management.Automation;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Rotates the mesh's plug-in CAs without downtime: moves every cluster to a new root in three steps run one at a time
/// (-Step TrustBoth, IssueFromNewRoot, RemoveOldRoot), or renews the intermediates under the same root (-Renew).
/// Each step reads every cluster's cacerts first, refuses to run out of order, changes nothing where it is already
/// done, and restarts istiod where cacerts changed.
/// </summary>
[Cmdlet(VerbsData.Update, "MeshCACertificate", SupportsShouldProcess = true, DefaultParameterSetName = ByStep)]
[OutputType(typeof(MeshResourceResult), typeof(MeshManifestFile))]
public sealed class UpdateMeshCACertificateCommand : MeshExportCmdlet
{
    private const string ByStep = "Step";
    private const string ByRenew = "Renew";

    private readonly List<MeshCluster> _clusters = new();
    private readonly List<MeshCertificateAuthority> _authorities = new();

    /// <summary>Every cluster of the mesh (a step checks that all of them have done the step before).</summary>
    [Parameter(Position = 0, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(MeshClusterCompleter))]
    public MeshCluster[]? Cluster { get; set; }

    /// <summary>The step to run on every cluster.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByStep)]
    public MeshCARotationStep Step { get; set; }

    /// <summary>The root the mesh moves to; with its private key, IssueFromNewRoot issues the clusters' intermediates from it.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByStep)]
    [ValidateNotNull]
    [ArgumentCompleter(typeof(RootCACompleter))]
    public MeshCertificateAuthority NewRootCA { get; set; } = null!;

    /// <summary>Renew each cluster's intermediate under the root it already has.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByRenew)]
    public SwitchParameter Renew { get; set; }

    /// <summary>The mesh's root, with its private key unless intermediates are given.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByRenew)]
    [ValidateNotNull]
    [ArgumentCompleter(typeof(RootCACompleter))]
    public MeshCertificateAuthority RootCA { get; set; } = null!;

    /// <summary>Intermediates to install (IssueFromNewRoot, -Renew), from New-MeshIntermediateCA; without them they are issued from the root.</summary>
    [Parameter(ValueFromPipeline = true)]
    [ValidateNotNull]
    [ArgumentCompleter(typeof(CertificateAuthorityCompleter))]
    public MeshCertificateAuthority[]? CertificateAuthority { get; set; }

    /// <summary>The control plane's namespace.</summary>
    [Parameter]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string Namespace { get; set; } = MeshNames.ControlPlaneNamespace;

    /// <summary>Do not restart istiod where cacerts changed (it reads cacerts only when it starts).</summary>
    [Parameter]
    public SwitchParameter NoRestart { get; set; }

    private protected override void Process()
    {
        _clusters.AddRange(Cluster ?? Array.Empty<MeshCluster>());
        _authorities.AddRange(CertificateAuthority ?? Array.Empty<MeshCertificateAuthority>());
    }

    private protected override void End()
    {
        var request = new CARotationRequest(ParameterSetName == ByStep ? Step : null, ParameterSetName == ByStep ? NewRootCA : RootCA, _clusters, _authorities, Namespace)
        {
            Force = Force,
            Restart = !NoRestart,
        };
        var delivery = Delivery;
        Run(host => CARotationUpdate.RunAsync(host, request, delivery));
    }
}
