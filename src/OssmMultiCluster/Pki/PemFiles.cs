using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.OpenSsl;
using Org.BouncyCastle.Pkcs;

namespace OssmMultiCluster.Pki;

/// <summary>
/// Reads PEM files as openssl writes them: certificates, and private keys in PKCS#1 ("RSA PRIVATE KEY"),
/// SEC1 ("EC PRIVATE KEY"), PKCS#8 ("PRIVATE KEY") and encrypted forms (PKCS#8 "ENCRYPTED PRIVATE KEY" and
/// openssl's legacy "Proc-Type: 4,ENCRYPTED"). Every failure is a <see cref="MeshException"/> naming the file.
/// </summary>
internal static class PemFiles
{
    public static IReadOnlyList<X509Certificate2> ReadCertificates(string path) => ParseCertificates(ReadText(path), path);

    /// <summary>The certificates of PEM text; <paramref name="path"/> names where it came from in errors.</summary>
    public static IReadOnlyList<X509Certificate2> ParseCertificates(string text, string path)
    {
        var certificates = new List<X509Certificate2>();
        var rest = text.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            if (rest[fields.Label].SequenceEqual("CERTIFICATE"))
            {
                certificates.Add(DecodeCertificate(rest[fields.Base64Data].ToString(), path, certificates.Count + 1));
            }

            rest = rest[fields.Location.End..];
        }

        if (certificates.Count == 0)
        {
            throw Malformed(path, text.Contains("-----BEGIN", StringComparison.Ordinal)
                ? "it has no complete CERTIFICATE block (truncated, or a key where a certificate belongs)"
                : "it is not PEM", null);
        }

        return certificates;
    }

    /// <summary>
    /// Decodes one certificate together with everything the module reads of it later, which .NET decodes only when asked,
    /// so that a certificate returned here cannot fail in the checks, messages and views that read it.
    /// </summary>
    private static X509Certificate2 DecodeCertificate(string base64, string path, int number)
    {
        X509Certificate2? certificate = null;
        try
        {
            var der = Convert.FromBase64String(base64);
            if (der.Length == 0)
            {
                // new X509Certificate2(empty) succeeds, and every property of the result then throws.
                throw new CryptographicException("The block is empty.");
            }

            certificate = new X509Certificate2(der);
            ReadWhatTheModuleReads(certificate);
            return certificate;
        }
        catch (Exception ex) when (ParserFailure.IsRefusal(ex))
        {
            certificate?.Dispose();
            throw Malformed(path, $"certificate #{number} does not decode ({FirstLine(ex.Message)})", ex);
        }
    }

    public static AsymmetricAlgorithm ReadPrivateKey(string path, ReadOnlySpan<char> password = default)
    {
        var text = ReadText(path);
        var encrypted = text.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal)
                        || text.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal);
        if (encrypted && password.IsEmpty)
        {
            throw new MeshException("KeyEncrypted", MeshErrorKind.InvalidArgument,
                $"Private key file '{path}' is encrypted and no password was given.", path,
                "Pass the password with -KeyPassword (Read-Host -AsSecureString), or decrypt the key with 'openssl pkey'.");
        }

        if (encrypted)
        {
            CheckDecryptionCost(text, path);
        }

        var finder = password.IsEmpty ? null : new Password(password.ToArray());
        AsymmetricKeyParameter? key = null;
        byte[]? pkcs8 = null;
        try
        {
            using var reader = new PemReader(new StringReader(text), finder);
            for (var item = reader.ReadObject(); item is not null && key is null; item = reader.ReadObject())
            {
                key = item switch
                {
                    AsymmetricCipherKeyPair pair => pair.Private,
                    AsymmetricKeyParameter { IsPrivate: true } single => single,
                    _ => null,
                };
            }

            pkcs8 = key is null ? null : PrivateKeyInfoFactory.CreatePrivateKeyInfo(key).GetDerEncoded();
        }
        catch (Exception ex) when (encrypted && ParserFailure.IsRefusal(ex))
        {
            // Not kept as the inner exception: BouncyCastle's messages can quote the file, and so the key.
            throw new MeshException("KeyPasswordWrong", MeshErrorKind.SecurityError,
                $"Private key file '{path}' could not be decrypted with the password given ({ex.GetType().Name}).", path,
                "Check the password; 'openssl pkey -in <file>' asks for it and shows whether it is right. If it is, the file is damaged: export the key again.");
        }
        catch (Exception ex) when (ParserFailure.IsRefusal(ex))
        {
            // As above: the type says enough, the message could quote the key.
            throw Malformed(path, $"its private key does not decode ({ex.GetType().Name})", null);
        }
        finally
        {
            finder?.Clear();
        }

        if (pkcs8 is null)
        {
            throw Malformed(path, "it holds no private key", null);
        }

        AsymmetricAlgorithm? result = null;
        try
        {
            result = key is Org.BouncyCastle.Crypto.Parameters.RsaKeyParameters ? RSA.Create() : ECDsa.Create();
            result.ImportPkcs8PrivateKey(pkcs8, out _);
            return result;
        }
        catch (CryptographicException ex) when (key is Org.BouncyCastle.Crypto.Parameters.RsaKeyParameters)
        {
            result?.Dispose();
            throw Malformed(path, "its RSA key's numbers do not fit together (the file is damaged)", ex);
        }
        catch (CryptographicException ex)
        {
            result?.Dispose();
            var algorithm = key!.GetType().Name.Replace("PrivateKeyParameters", string.Empty, StringComparison.Ordinal);
            throw new MeshException("KeyAlgorithmUnsupported", MeshErrorKind.InvalidData,
                $"Private key file '{path}' holds a {algorithm} key; istiod's CA needs RSA, or ECDSA on a NIST curve.", path,
                "Use an RSA or ECDSA (P-256/P-384/P-521) key, as istiod requires.", ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>PBKDF2 iterations beyond which a key is refused: openssl writes 2048, OWASP advises 600,000.</summary>
    private const long MaxIterations = 10_000_000;

    /// <summary>scrypt memory (128 · N · r bytes) beyond which a key is refused: openssl itself stops at 32 MB by default.</summary>
    private const long MaxScryptMemory = 1L << 30;

    /// <summary>
    /// Refuses an encrypted PKCS#8 key whose key derivation would run for hours or exhaust memory before the password is
    /// even checked (a damaged or hostile file: 2^31 PBKDF2 iterations, scrypt with N = 2^40). Parameters that do not
    /// decode are left to the decoder to refuse.
    /// </summary>
    private static void CheckDecryptionCost(string text, string path)
    {
        if (!PemEncoding.TryFind(text, out var fields) || !text.AsSpan()[fields.Label].SequenceEqual("ENCRYPTED PRIVATE KEY"))
        {
            return;
        }

        BigInteger iterations = 0, memory = 0, work = 0;
        try
        {
            var algorithm = new AsnReader(Convert.FromBase64String(text[fields.Base64Data]), AsnEncodingRules.BER).ReadSequence().ReadSequence();
            var scheme = algorithm.ReadObjectIdentifier();
            string? kdf = null;
            if (scheme == "1.2.840.113549.1.5.13")
            {
                // PBES2: the parameters are those of its key derivation function.
                algorithm = algorithm.ReadSequence().ReadSequence();
                kdf = algorithm.ReadObjectIdentifier();
            }

            var values = algorithm.ReadSequence();
            values.ReadEncodedValue(); // the salt
            var first = values.ReadInteger();
            if (kdf == "1.3.6.1.4.1.11591.4.11")
            {
                // scrypt: N, r, p.
                memory = 128 * first * values.ReadInteger();
                work = memory * values.ReadInteger();
            }
            else
            {
                iterations = first;
            }
        }
        catch (Exception ex) when (ex is FormatException or AsnContentException or CryptographicException)
        {
            return;
        }

        if (iterations > MaxIterations || memory > MaxScryptMemory || work > 16 * MaxScryptMemory)
        {
            var cost = iterations > MaxIterations ? $"{iterations:N0} PBKDF2 iterations" : $"scrypt with {memory / (1 << 20):N0} MB, {work / (1 << 20):N0} MB of work";
            throw new MeshException("KeyDerivationTooCostly", MeshErrorKind.InvalidData,
                $"Private key file '{path}' asks for so costly a key derivation ({cost}) that decrypting it would not end; the file is damaged or not from openssl.",
                path, "Re-encrypt the key with standard settings: openssl pkcs8 -topk8 -v2 aes-256-cbc -in <key> -out <new key> (or decrypt it with 'openssl pkey').");
        }
    }

    private static string ReadText(string path)
    {
        if (!File.Exists(path))
        {
            throw new MeshException("FileNotFound", MeshErrorKind.ObjectNotFound, $"File '{path}' does not exist.", path,
                "Check the path; Import-MeshCA -Path expects root/ and <cluster>/ folders as Export-MeshCA writes them.");
        }

        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new MeshException("FileUnreadable", MeshErrorKind.ReadError, $"File '{path}' cannot be read: {ex.Message}", path,
                "Check the file's permissions.", ex);
        }
    }

    private static void ReadWhatTheModuleReads(X509Certificate2 certificate)
    {
        _ = (certificate.Subject, certificate.Issuer, certificate.NotBefore, certificate.NotAfter, certificate.SerialNumber, certificate.Thumbprint);
        foreach (var name in new[] { certificate.SubjectName, certificate.IssuerName })
        {
            _ = name.Decode(X500DistinguishedNameFlags.None);
            foreach (var rdn in name.EnumerateRelativeDistinguishedNames().Where(r => !r.HasMultipleElements))
            {
                _ = (rdn.GetSingleElementType(), rdn.GetSingleElementValue());
            }
        }

        foreach (var extension in certificate.Extensions)
        {
            _ = extension switch
            {
                X509BasicConstraintsExtension constraints => constraints.CertificateAuthority,
                X509KeyUsageExtension usage => usage.KeyUsages != X509KeyUsageFlags.None,
                X509SubjectKeyIdentifierExtension keyId => keyId.SubjectKeyIdentifierBytes.Length > 0,
                _ => false,
            };
        }

        using (certificate.GetRSAPublicKey())
        using (certificate.GetECDsaPublicKey())
        {
        }
    }

    private static string FirstLine(string message) => message.Split('\n')[0];

    private static MeshException Malformed(string path, string why, Exception? inner) =>
        new("PemMalformed", MeshErrorKind.InvalidData, $"File '{path}' is not usable PEM: {why}.", path,
            "Check the file with 'openssl x509 -in <file> -noout -text' or 'openssl pkey -in <file> -noout'; re-create it if it was truncated.", inner);

    private sealed class Password : IPasswordFinder
    {
        private readonly char[] _password;

        public Password(char[] password) => _password = password;

        public char[] GetPassword() => (char[])_password.Clone();

        public void Clear() => Array.Clear(_password);
    }
}
