using OssmMultiCluster.Model;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OssmMultiCluster.Pki;

/// <summary>Small facts about certificates and keys the PKI code needs in several places.</summary>
internal static class PkiFormat
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

    /// <summary>
    /// Whether <paramref name="issuer"/>'s key made <paramref name="certificate"/>'s signature. RSA (PKCS#1 v1.5, and PSS
    /// with the usual salt) and ECDSA with SHA-2 are checked; any other algorithm, or a certificate whose signature does not
    /// decode, is not shown to come from the issuer, and the answer is false.
    /// </summary>
    public static bool IsSignedBy(X509Certificate2 certificate, X509Certificate2 issuer)
    {
        if (!certificate.IssuerName.RawData.AsSpan().SequenceEqual(issuer.SubjectName.RawData))
        {
            return false;
        }

        try
        {
            var outer = new AsnReader(certificate.RawData, AsnEncodingRules.DER).ReadSequence();
            var signed = outer.ReadEncodedValue();
            var algorithm = outer.ReadSequence();
            var oid = algorithm.ReadObjectIdentifier();
            var signature = outer.ReadBitString(out _);
            return oid switch
            {
                "1.2.840.113549.1.1.5" => VerifyRsa(issuer, signed, signature, HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1),
                "1.2.840.113549.1.1.11" => VerifyRsa(issuer, signed, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
                "1.2.840.113549.1.1.12" => VerifyRsa(issuer, signed, signature, HashAlgorithmName.SHA384, RSASignaturePadding.Pkcs1),
                "1.2.840.113549.1.1.13" => VerifyRsa(issuer, signed, signature, HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1),
                "1.2.840.113549.1.1.10" => PssHash(algorithm) is { } hash && VerifyRsa(issuer, signed, signature, hash, RSASignaturePadding.Pss),
                "1.2.840.10045.4.3.2" => VerifyECDsa(issuer, signed, signature, HashAlgorithmName.SHA256),
                "1.2.840.10045.4.3.3" => VerifyECDsa(issuer, signed, signature, HashAlgorithmName.SHA384),
                "1.2.840.10045.4.3.4" => VerifyECDsa(issuer, signed, signature, HashAlgorithmName.SHA512),
                _ => false,
            };
        }
        catch (Exception ex) when (ex is AsnContentException or CryptographicException)
        {
            return false;
        }
    }

    private static bool VerifyRsa(X509Certificate2 issuer, ReadOnlyMemory<byte> signed, byte[] signature, HashAlgorithmName hash, RSASignaturePadding padding)
    {
        using var key = issuer.GetRSAPublicKey();
        return key is not null && key.VerifyData(signed.Span, signature, hash, padding);
    }

    private static bool VerifyECDsa(X509Certificate2 issuer, ReadOnlyMemory<byte> signed, byte[] signature, HashAlgorithmName hash)
    {
        using var key = issuer.GetECDsaPublicKey();
        return key is not null && key.VerifyData(signed.Span, signature, hash, DSASignatureFormat.Rfc3279DerSequence);
    }

    /// <summary>
    /// The hash of RSASSA-PSS parameters that .NET can verify: MGF1 with the same hash and a salt as long as the hash
    /// (what openssl writes by default); null for any other choice.
    /// </summary>
    private static HashAlgorithmName? PssHash(AsnReader algorithm)
    {
        if (!algorithm.HasData)
        {
            return null;
        }

        var parameters = algorithm.ReadSequence();
        string? hashOid = null;
        string? maskHashOid = null;
        var saltLength = 20;
        if (parameters.HasData && parameters.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
        {
            hashOid = parameters.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0)).ReadSequence().ReadObjectIdentifier();
        }

        if (parameters.HasData && parameters.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 1)))
        {
            var mask = parameters.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 1)).ReadSequence();
            maskHashOid = mask.ReadObjectIdentifier() == "1.2.840.113549.1.1.8" ? mask.ReadSequence().ReadObjectIdentifier() : null;
        }

        if (parameters.HasData && parameters.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 2)))
        {
            if (!parameters.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 2)).TryReadInt32(out saltLength))
            {
                return null;
            }
        }

        var (hash, length) = hashOid switch
        {
            "2.16.840.1.101.3.4.2.1" => (HashAlgorithmName.SHA256, 32),
            "2.16.840.1.101.3.4.2.2" => (HashAlgorithmName.SHA384, 48),
            "2.16.840.1.101.3.4.2.3" => (HashAlgorithmName.SHA512, 64),
            _ => (default, 0),
        };
        return length > 0 && maskHashOid == hashOid && saltLength == length ? hash : null;
    }
}
