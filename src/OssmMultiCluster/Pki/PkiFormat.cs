using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OssmMultiCluster.Pki;

/// <summary>Small facts about certificates and keys the PKI code needs in several places.</summary>
public static class PkiFormat
{
    public static KeySpec SpecOf(X509Certificate2 certificate)
    {
        using var rsa = certificate.GetRSAPublicKey();
        if (rsa is not null)
        {
            return new KeySpec(MeshKeyAlgorithm.RSA, rsa.KeySize);
        }

        using var ec = certificate.GetECDsaPublicKey();
        if (ec is not null)
        {
            return new KeySpec(MeshKeyAlgorithm.ECDSA, ec.KeySize);
        }

        throw new MeshException("KeyAlgorithmUnsupported", MeshErrorKind.InvalidData,
            $"Certificate '{certificate.Subject}' has a {certificate.PublicKey.Oid.FriendlyName ?? certificate.PublicKey.Oid.Value} key; istiod's CA needs RSA or ECDSA.",
            certificate.Subject, "Use an RSA or ECDSA CA certificate.");
    }

    public static string DescribeKey(X509Certificate2 certificate)
    {
        try
        {
            return SpecOf(certificate).ToString();
        }
        catch (MeshException)
        {
            return certificate.PublicKey.Oid.FriendlyName ?? certificate.PublicKey.Oid.Value ?? "unknown";
        }
    }

    public static string ToPem(X509Certificate2 certificate) => certificate.ExportCertificatePem() + "\n";

    /// <summary>PKCS#8 PEM ("BEGIN PRIVATE KEY"), as openssl 3's genrsa writes it.</summary>
    public static string ToPem(AsymmetricAlgorithm key) => key.ExportPkcs8PrivateKeyPem() + "\n";

    /// <summary>Whether <paramref name="key"/> is the private half of <paramref name="certificate"/>'s public key.</summary>
    public static bool KeyMatches(X509Certificate2 certificate, AsymmetricAlgorithm key)
    {
        var certificateKey = certificate.PublicKey.ExportSubjectPublicKeyInfo();
        var privateKeysPublicHalf = key switch
        {
            RSA rsa => rsa.ExportSubjectPublicKeyInfo(),
            ECDsa ec => ec.ExportSubjectPublicKeyInfo(),
            _ => Array.Empty<byte>(),
        };
        return certificateKey.AsSpan().SequenceEqual(privateKeysPublicHalf);
    }

    public static bool IsSelfIssued(X509Certificate2 certificate) =>
        certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);

    public static bool IsCA(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault()?.CertificateAuthority == true;

    public static bool CanSignCertificates(X509Certificate2 certificate)
    {
        var usage = certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
        return usage is null || usage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign);
    }

    /// <summary>Whether <paramref name="issuer"/>'s key made <paramref name="certificate"/>'s signature.</summary>
    public static bool IsSignedBy(X509Certificate2 certificate, X509Certificate2 issuer)
    {
        if (!certificate.IssuerName.RawData.AsSpan().SequenceEqual(issuer.SubjectName.RawData))
        {
            return false;
        }

        var bcCertificate = new Org.BouncyCastle.X509.X509Certificate(certificate.RawData);
        var bcIssuer = new Org.BouncyCastle.X509.X509Certificate(issuer.RawData);
        try
        {
            bcCertificate.Verify(bcIssuer.GetPublicKey());
            return true;
        }
        catch (Exception ex) when (ex is Org.BouncyCastle.Security.InvalidKeyException
                                       or Org.BouncyCastle.Security.Certificates.CertificateException
                                       or Org.BouncyCastle.Security.SignatureException
                                       or InvalidOperationException)
        {
            return false;
        }
    }
}
