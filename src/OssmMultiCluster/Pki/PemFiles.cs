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
public static class PemFiles
{
    public static IReadOnlyList<X509Certificate2> ReadCertificates(string path) => ParseCertificates(ReadText(path), path);

    /// <summary>The certificates of PEM text; <paramref name="path"/> names where it came from in errors.</summary>
    public static IReadOnlyList<X509Certificate2> ParseCertificates(string text, string path)
    {
        var certificates = new List<X509Certificate2>();
        var rest = text.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            var label = rest[fields.Label];
            if (label.SequenceEqual("CERTIFICATE"))
            {
                try
                {
                    var der = Convert.FromBase64String(rest[fields.Base64Data].ToString());
                    certificates.Add(new X509Certificate2(der));
                }
                catch (Exception ex) when (ex is FormatException or CryptographicException)
                {
                    throw Malformed(path, $"certificate #{certificates.Count + 1} does not decode ({ex.Message})", ex);
                }
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

        var finder = password.IsEmpty ? null : new Password(password.ToArray());
        AsymmetricKeyParameter? key = null;
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
        }
        catch (Exception ex) when (encrypted)
        {
            throw new MeshException("KeyPasswordWrong", MeshErrorKind.SecurityError,
                $"Private key file '{path}' could not be decrypted with the password given.", path,
                "Check the password; 'openssl pkey -in <file>' asks for it and shows whether it is right.", ex);
        }
        catch (Exception ex) when (ex is IOException or InvalidCipherTextException or ArgumentException or InvalidOperationException or FormatException
                                       or PemException or Org.BouncyCastle.Security.SecurityUtilityException or Org.BouncyCastle.Asn1.Asn1Exception)
        {
            throw Malformed(path, $"its private key does not decode ({ex.GetType().Name})", ex);
        }
        finally
        {
            finder?.Clear();
        }

        if (key is null)
        {
            throw Malformed(path, "it holds no private key", null);
        }

        var pkcs8 = PrivateKeyInfoFactory.CreatePrivateKeyInfo(key).GetDerEncoded();
        try
        {
            AsymmetricAlgorithm result = key is Org.BouncyCastle.Crypto.Parameters.RsaKeyParameters ? RSA.Create() : ECDsa.Create();
            result.ImportPkcs8PrivateKey(pkcs8, out _);
            return result;
        }
        catch (CryptographicException ex)
        {
            throw new MeshException("KeyAlgorithmUnsupported", MeshErrorKind.InvalidData,
                $"Private key file '{path}' holds a key that is neither RSA nor ECDSA on a NIST curve.", path,
                "Use an RSA or ECDSA (P-256/P-384/P-521) key, as istiod requires.", ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
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
