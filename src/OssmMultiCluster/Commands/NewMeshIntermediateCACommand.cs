using System.Management.Automation;
using OssmMultiCluster.Model;
using OssmMultiCluster.Pki;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Issues one intermediate CA per cluster from the root (walkthrough step 5). Keys of all the clusters piped in are
/// generated concurrently; the CAs come out in the order the clusters came in.
/// </summary>
// ByCluster is the default set so that PowerShell, which tries the default set first when binding pipeline input,
// binds a piped MeshCluster as a cluster rather than by its Name property.
[Cmdlet(VerbsCommon.New, "MeshIntermediateCA", DefaultParameterSetName = ByCluster)]
[OutputType(typeof(MeshCertificateAuthority))]
public sealed class NewMeshIntermediateCACommand : MeshCmdlet
{
    private const string ByName = "ByName";
    private const string ByCluster = "ByCluster";

    private IntermediateIssuance? _issuance;

    [Parameter(Mandatory = true)]
    [ValidateNotNull]
    [ArgumentCompleter(typeof(RootCACompleter))]
    public MeshCertificateAuthority RootCA { get; set; } = null!;

    /// <summary>Cluster names, or objects with a Name property, from the pipeline.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByName, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string[] ClusterName { get; set; } = Array.Empty<string>();

    /// <summary>Clusters from Get-MeshCluster; each CA carries its cluster on to Install-MeshCACertificate.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByCluster, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(MeshClusterCompleter))]
    public MeshCluster[] Cluster { get; set; } = Array.Empty<MeshCluster>();

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Organization { get; set; } = "Istio";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string CommonName { get; set; } = "Intermediate CA";

    /// <summary>Default: the root's algorithm.</summary>
    [Parameter]
    public MeshKeyAlgorithm? KeyAlgorithm { get; set; }

    [Parameter]
    public int KeySize { get; set; }

    /// <summary>Default: until the root expires, at most 3650 days.</summary>
    [Parameter]
    [ValidateRange(1, 36500)]
    public int ValidityDays { get; set; }

    /// <summary>The namespace of istiod, which names the DNS SAN istiod.&lt;namespace&gt;.svc.</summary>
    [Parameter]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string ControlPlaneNamespace { get; set; } = IntermediateCAOptions.DefaultControlPlaneNamespace;

    /// <summary>DNS subject alternative names to use instead of istiod.&lt;namespace&gt;.svc.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? DnsName { get; set; }

    private protected override void Begin()
    {
        KeySpec? key = null;
        if (KeyAlgorithm is { } algorithm)
        {
            key = new KeySpec(algorithm, KeySize == 0 ? KeySpec.DefaultSize(algorithm) : KeySize);
        }
        else if (KeySize != 0)
        {
            key = new KeySpec(PkiFormat.SpecOf(RootCA.Certificate).Algorithm, KeySize);
        }

        _issuance = new IntermediateIssuance(RootCA, new IntermediateCAOptions
        {
            Organization = Organization,
            CommonName = CommonName,
            Key = key,
            ValidityDays = MyInvocation.BoundParameters.ContainsKey(nameof(ValidityDays)) ? ValidityDays : null,
            DnsNames = DnsName,
            ControlPlaneNamespace = ControlPlaneNamespace,
        }, Cancellation);
    }

    private protected override void Process()
    {
        var targets = ParameterSetName == ByCluster
            ? Cluster.Select(c => (name: c.Name, cluster: (MeshCluster?)c))
            : ClusterName.Select(n => (name: n, cluster: (MeshCluster?)null));
        foreach (var (name, cluster) in targets)
        {
            _issuance!.Add(name, cluster, WriteMeshError, WriteVerbose);
        }
    }

    private protected override void End() => Run(host => _issuance!.WriteAllAsync(host));
}
