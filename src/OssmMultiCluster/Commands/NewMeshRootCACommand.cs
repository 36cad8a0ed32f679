using System.Management.Automation;
using OssmMultiCluster.Model;
using OssmMultiCluster.Pki;

namespace OssmMultiCluster.Commands;

/// <summary>Creates the mesh's root CA (walkthrough step 4).</summary>
[Cmdlet(VerbsCommon.New, "MeshRootCA")]
[OutputType(typeof(MeshCertificateAuthority))]
public sealed class NewMeshRootCACommand : MeshCmdlet
{
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Organization { get; set; } = "Istio";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string CommonName { get; set; } = "Root CA";

    [Parameter]
    public MeshKeyAlgorithm KeyAlgorithm { get; set; } = MeshKeyAlgorithm.RSA;

    /// <summary>RSA bits (default 4096) or ECDSA curve size (default 256).</summary>
    [Parameter]
    public int KeySize { get; set; }

    [Parameter]
    [ValidateRange(1, 36500)]
    public int ValidityDays { get; set; } = CertificateAuthorityService.DefaultValidityDays;

    /// <summary>Keys to generate alongside the root's for the intermediates that follow; 0 turns it off.</summary>
    [Parameter]
    [ValidateRange(0, 64)]
    public int PregenerateKeys { get; set; } = 2;

    private protected override void End()
    {
        var options = new RootCAOptions
        {
            Organization = Organization,
            CommonName = CommonName,
            Key = new KeySpec(KeyAlgorithm, KeySize == 0 ? KeySpec.DefaultSize(KeyAlgorithm) : KeySize),
            ValidityDays = ValidityDays,
            PregenerateKeys = PregenerateKeys,
        };
        WriteObject(Run(ct => new CertificateAuthorityService().CreateRootAsync(options, ct), $"Generating the root CA's {options.Key} key"));
    }
}
