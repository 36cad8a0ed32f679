using System.Text.RegularExpressions;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Fuzz;

/// <summary>
/// The valid PEM files the PEM fuzz tests start from, made once by the real openssl: a root (RSA) and an intermediate
/// (ECDSA) in the walkthrough's layout, keys in every form the module reads (PKCS#1, PKCS#8, SEC1, encrypted PKCS#8 with
/// PBKDF2 and with scrypt, openssl's legacy encryption), and valid oddities (Ed25519 and DSA keys, a multi-valued RDN).
/// RSA keys are 1024 bits: the fuzzer varies structure, not strength, and BouncyCastle checks every RSA modulus it reads
/// (primality tests) at a cost that grows with its size.
/// </summary>
public sealed partial class PemCorpus : IDisposable
{
    public const string Password = "fuzz-password-s3cret-0123456789";

    private readonly TempDir _dir = new();

    public PemCorpus()
    {
        var d = _dir.Path;
        File.WriteAllText(_dir["ext.cnf"], """
            [intermediate]
            basicConstraints = critical, CA:true, pathlen:0
            keyUsage = critical, keyCertSign, cRLSign, digitalSignature
            subjectAltName = DNS:istiod.istio-system.svc
            authorityKeyIdentifier = keyid
            """);
        OpenSsl.Ok(d, "req", "-x509", "-newkey", "rsa:1024", "-nodes", "-keyout", "root-key.pem", "-subj", "/O=Istio/CN=Root CA", "-days", "30",
            "-addext", "basicConstraints=critical,CA:true", "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature", "-out", "root-cert.pem");
        OpenSsl.Ok(d, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca-key.pem");
        OpenSsl.Ok(d, "req", "-new", "-key", "ca-key.pem", "-subj", "/O=Istio/CN=Intermediate CA/L=west", "-out", "ca.csr");
        OpenSsl.Ok(d, "x509", "-req", "-in", "ca.csr", "-CA", "root-cert.pem", "-CAkey", "root-key.pem", "-CAcreateserial", "-days", "20",
            "-extfile", "ext.cnf", "-extensions", "intermediate", "-out", "ca-cert.pem");
        OpenSsl.Ok(d, "genpkey", "-algorithm", "ed25519", "-out", "ed25519-key.pem");
        OpenSsl.Ok(d, "req", "-new", "-key", "ed25519-key.pem", "-subj", "/O=Istio/CN=Intermediate CA+L=west", "-multivalue-rdn", "-out", "multivalued.csr");
        OpenSsl.Ok(d, "x509", "-req", "-in", "multivalued.csr", "-CA", "root-cert.pem", "-CAkey", "root-key.pem", "-days", "20",
            "-extfile", "ext.cnf", "-extensions", "intermediate", "-out", "multivalued-cert.pem");
        OpenSsl.Ok(d, "req", "-x509", "-newkey", "rsa:1024", "-nodes", "-keyout", "leaf-key.pem", "-subj", "/CN=productpage", "-days", "20", "-addext", "basicConstraints=critical,CA:false", "-out", "leaf-cert.pem");
        OpenSsl.Ok(d, "rsa", "-in", "root-key.pem", "-traditional", "-out", "root-key-pkcs1.pem");
        OpenSsl.Ok(d, "pkcs8", "-topk8", "-nocrypt", "-in", "ca-key.pem", "-out", "ca-key-pkcs8.pem");
        OpenSsl.Ok(d, "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "root-key.pem", "-passout", "pass:" + Password, "-out", "root-key-pbkdf2.pem");
        OpenSsl.Ok(d, "pkcs8", "-topk8", "-scrypt", "-in", "ca-key.pem", "-passout", "pass:" + Password, "-out", "ca-key-scrypt.pem");
        OpenSsl.Ok(d, "rsa", "-in", "root-key.pem", "-traditional", "-aes256", "-passout", "pass:" + Password, "-out", "root-key-legacy.pem");
        OpenSsl.Ok(d, "genpkey", "-genparam", "-algorithm", "DSA", "-pkeyopt", "dsa_paramgen_bits:1024", "-out", "dsa-params.pem");
        OpenSsl.Ok(d, "genpkey", "-paramfile", "dsa-params.pem", "-out", "dsa-key.pem");
        File.WriteAllText(_dir["cert-chain.pem"], File.ReadAllText(_dir["ca-cert.pem"]) + File.ReadAllText(_dir["root-cert.pem"]));

        Certificates = new[] { "root-cert.pem", "ca-cert.pem", "cert-chain.pem", "leaf-cert.pem", "multivalued-cert.pem" }.ToDictionary(f => f, Read);
        Keys = new[] { "root-key.pem", "ca-key.pem", "root-key-pkcs1.pem", "ca-key-pkcs8.pem", "root-key-pbkdf2.pem", "ca-key-scrypt.pem",
            "root-key-legacy.pem", "ed25519-key.pem", "dsa-key.pem", "leaf-key.pem" }.ToDictionary(f => f, Read);
        Secrets = Keys.Values.SelectMany(pem => Base64Lines().Matches(pem).Select(m => m.Value))
            .Concat(Keys.Values.Select(pem => string.Concat(Base64Lines().Matches(pem).Select(m => m.Value))))
            .Append(Password).ToList();
    }

    /// <summary>Certificate files by name (PEM text).</summary>
    public IReadOnlyDictionary<string, string> Certificates { get; }

    /// <summary>Private key files by name (PEM text).</summary>
    public IReadOnlyDictionary<string, string> Keys { get; }

    /// <summary>The keys' base64 (line by line and whole) and the password: what no error may repeat.</summary>
    public IReadOnlyList<string> Secrets { get; }

    public IEnumerable<string> All => Certificates.Values.Concat(Keys.Values);

    public void Dispose() => _dir.Dispose();

    private string Read(string file) => File.ReadAllText(_dir[file]);

    [GeneratedRegex("^[A-Za-z0-9+/=]{16,}$", RegexOptions.Multiline)]
    private static partial Regex Base64Lines();
}
