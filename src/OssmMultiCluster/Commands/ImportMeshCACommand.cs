using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Security;
using OssmMultiCluster.Model;
using OssmMultiCluster.Pki;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Reads CAs from the walkthrough's layout (root/, &lt;cluster&gt;/) or from explicit files, checking them the way
/// istiod will use them.
/// </summary>
[Cmdlet(VerbsData.Import, "MeshCA", DefaultParameterSetName = LayoutSet)]
[OutputType(typeof(MeshCertificateAuthority))]
public sealed class ImportMeshCACommand : MeshCmdlet
{
    private const string LayoutSet = "Layout";
    private const string FilesSet = "Files";

    /// <summary>Folders holding root/ and &lt;cluster&gt;/ folders, as Export-MeshCA or the walkthrough writes them; each read in turn.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = LayoutSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ParameterSetName = FilesSet)]
    [ValidateNotNullOrEmpty]
    public string CertificatePath { get; set; } = string.Empty;

    [Parameter(ParameterSetName = FilesSet)]
    [ValidateNotNullOrEmpty]
    public string? KeyPath { get; set; }

    /// <summary>cert-chain.pem: the intermediate first, the root last.</summary>
    [Parameter(ParameterSetName = FilesSet)]
    [ValidateNotNullOrEmpty]
    public string? ChainPath { get; set; }

    [Parameter(ParameterSetName = FilesSet)]
    [ValidateNotNullOrEmpty]
    public string? RootCertificatePath { get; set; }

    /// <summary>The cluster of an intermediate; default: the L= of its subject, else its folder's name.</summary>
    [Parameter(ParameterSetName = FilesSet)]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string? ClusterName { get; set; }

    /// <summary>The password of encrypted key files.</summary>
    [Parameter]
    public SecureString? KeyPassword { get; set; }

    private protected override void Process()
    {
        var password = Reveal(KeyPassword);
        try
        {
            var service = new CAImportService();
            if (ParameterSetName == LayoutSet)
            {
                var folders = Path.Select(p => Resolve(p)).ToList();
                Run(host =>
                {
                    service.ImportLayouts(host, folders, password);
                    return Task.CompletedTask;
                });
            }
            else
            {
                // One CA from explicit files: a failure is this pipeline input's error, and the next input is still read.
                var ca = Guarded(() => service.ImportFiles(Resolve(CertificatePath), Resolve(KeyPath), Resolve(ChainPath), Resolve(RootCertificatePath), ClusterName, password));
                if (ca is not null)
                {
                    WriteObject(ca);
                }
            }
        }
        finally
        {
            Array.Clear(password);
        }
    }

    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(path))]
    private string? Resolve(string? path) => path is null ? null : GetUnresolvedProviderPathFromPSPath(path);

    private static char[] Reveal(SecureString? secure)
    {
        if (secure is null || secure.Length == 0)
        {
            return Array.Empty<char>();
        }

        var pointer = Marshal.SecureStringToGlobalAllocUnicode(secure);
        try
        {
            var chars = new char[secure.Length];
            Marshal.Copy(pointer, chars, 0, chars.Length);
            return chars;
        }
        finally
        {
            Marshal.ZeroFreeGlobalAllocUnicode(pointer);
        }
    }
}
