using System.Management.Automation;
using OssmMultiCluster.Model;
using OssmMultiCluster.Pki;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Writes CAs to disk in the walkthrough's layout. Everything piped in is written as one unit after the last
/// object arrives, so a failure leaves nothing half-written.
/// </summary>
[Cmdlet(VerbsData.Export, "MeshCA", SupportsShouldProcess = true)]
[OutputType(typeof(MeshExportedFile))]
public sealed class ExportMeshCACommand : MeshCmdlet
{
    private readonly List<MeshCertificateAuthority> _authorities = new();

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    [ArgumentCompleter(typeof(CertificateAuthorityCompleter))]
    public MeshCertificateAuthority[] InputObject { get; set; } = Array.Empty<MeshCertificateAuthority>();

    /// <summary>The folder to write root/ and the cluster folders into; created when missing.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>Replace files whose content differs.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    private protected override void Process() => _authorities.AddRange(InputObject);

    private protected override void End()
    {
        var directory = GetUnresolvedProviderPathFromPSPath(Path);
        Run(host => new CAExportService().RunAsync(host, _authorities, directory, Force));
    }
}
