using System.Security.Cryptography.X509Certificates;
using OssmMultiCluster.Pki;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Pki;

/// <summary>PkiFormat.IsSignedBy against certificates openssl signed with each algorithm a CA may use.</summary>
public sealed class PkiFormatTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private X509Certificate2 Root(string name, string key)
    {
        var newKey = key == "rsa" ? new[] { "-newkey", "rsa:2048" } : new[] { "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384" };
        OpenSsl.Ok(_dir.Path, new[] { "req", "-x509" }.Concat(newKey).Concat(new[] { "-nodes", "-keyout", $"{name}-key.pem", "-subj", "/O=Istio/CN=Root CA",
            "-days", "30", "-addext", "basicConstraints=critical,CA:true", "-addext", "keyUsage=critical,keyCertSign", "-out", $"{name}.pem" }).ToArray());
        return PemFiles.ReadCertificates(_dir[$"{name}.pem"])[0];
    }

    private X509Certificate2 Issue(string root, params string[] signing)
    {
        OpenSsl.Ok(_dir.Path, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca-key.pem",
            "-subj", "/O=Istio/CN=Intermediate CA/L=west", "-out", "ca.csr");
        OpenSsl.Ok(_dir.Path, new[] { "x509", "-req", "-in", "ca.csr", "-CA", $"{root}.pem", "-CAkey", $"{root}-key.pem", "-CAcreateserial", "-days", "20", "-out", "ca.pem" }
            .Concat(signing).ToArray());
        return PemFiles.ReadCertificates(_dir["ca.pem"])[0];
    }

    [Theory]
    [InlineData("rsa", "-sha256")]
    [InlineData("rsa", "-sha512")]
    [InlineData("rsa", "-sha256", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest")]
    [InlineData("ec", "-sha384")]
    public void Signatures_of_each_algorithm_a_CA_uses_verify_and_others_do_not(string rootKey, params string[] signing)
    {
        var root = Root("root", rootKey);
        var intermediate = Issue("root", signing);
        Assert.True(PkiFormat.IsSignedBy(intermediate, root));
        Assert.False(PkiFormat.IsSignedBy(intermediate, Root("other", rootKey)), "another root of the same name");

        var tampered = intermediate.RawData;
        tampered[^1] ^= 1;
        Assert.False(PkiFormat.IsSignedBy(X509CertificateLoader.LoadCertificate(tampered), root), "a changed signature");
    }

    [Fact]
    public void A_PSS_signature_with_a_salt_dotnet_cannot_check_is_not_taken_as_verified()
    {
        var root = Root("root", "rsa");
        var intermediate = Issue("root", "-sha256", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:20");
        Assert.Contains(": OK", OpenSsl.Ok(_dir.Path, "verify", "-CAfile", "root.pem", "ca.pem"));
        Assert.False(PkiFormat.IsSignedBy(intermediate, root));
    }
}
