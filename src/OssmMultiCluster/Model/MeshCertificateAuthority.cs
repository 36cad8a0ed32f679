using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OssmMultiCluster.Model;

/// <summary>Which place a CA takes in the mesh's trust chain.</summary>
public enum MeshCAKind
{
    Root,
    Intermediate,
}

/// <summary>
/// A certificate authority of the mesh: the shared root, or one cluster's intermediate (istiod's plug-in CA).
/// The private key is held for signing and exporting but is never exposed as a property, so no formatter,
/// serializer or transcript can show it.
/// </summary>
public sealed class MeshCertificateAuthority
{
    internal MeshCertificateAuthority(
        MeshCAKind kind,
        X509Certificate2 certificate,
        AsymmetricAlgorithm? privateKey,
        string? cluster,
        MeshCertificateAuthority? root,
        X509Certificate2? rootCertificate,
        IReadOnlyList<X509Certificate2>? chain = null)
    {
        Kind = kind;
        Certificate = certificate;
        PrivateKey = privateKey;
        Cluster = cluster;
        Root = root;
        RootCertificate = kind == MeshCAKind.Root ? certificate : rootCertificate ?? root?.Certificate
            ?? throw new ArgumentException("An intermediate CA needs its root certificate.", nameof(rootCertificate));
        _chain = chain?.ToArray() ?? (kind == MeshCAKind.Root ? new[] { certificate } : new[] { certificate, RootCertificate });
    }

    private readonly X509Certificate2[] _chain;

    public MeshCAKind Kind { get; }

    /// <summary>The cluster an intermediate CA belongs to; null for the root.</summary>
    public string? Cluster { get; }

    /// <summary>The subject in encoded order, as openssl prints it: O=Istio, CN=Intermediate CA, L=west.</summary>
    public string Subject => Certificate.SubjectName.Decode(X500DistinguishedNameFlags.None);

    public string Issuer => Certificate.IssuerName.Decode(X500DistinguishedNameFlags.None);

    public DateTime NotBefore => Certificate.NotBefore.ToUniversalTime();

    public DateTime NotAfter => Certificate.NotAfter.ToUniversalTime();

    public string SerialNumber => Certificate.SerialNumber;

    /// <summary>SHA-256 fingerprint of the certificate, colon-separated hex as openssl prints it.</summary>
    public string Fingerprint => Convert.ToHexString(Certificate.GetCertHash(HashAlgorithmName.SHA256))
        .Chunk(2).Select(pair => new string(pair)).Aggregate((a, b) => a + ":" + b);

    public string KeyAlgorithm => OssmMultiCluster.Pki.PkiFormat.DescribeKey(Certificate);

    /// <summary>The CA certificate itself, without its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The root certificate the chain ends in (the certificate itself for a root).</summary>
    public X509Certificate2 RootCertificate { get; }

    /// <summary>The chain istiod serves (cert-chain.pem): this certificate, any intermediates above it, then the root.</summary>
    public X509Certificate2[] Chain => (X509Certificate2[])_chain.Clone();

    /// <summary>The cluster this intermediate is for, when it was issued from a MeshCluster; Install-MeshCACertificate uses it.</summary>
    public MeshCluster? MeshCluster { get; private init; }

    /// <summary>Whether the private key is held (an imported root may have none and then cannot sign).</summary>
    public bool HasPrivateKey => PrivateKey is not null;

    internal AsymmetricAlgorithm? PrivateKey { get; }

    /// <summary>
    /// A root made by New-MeshRootCA -PregenerateKeys: the intermediates' keys generated with it, taken by
    /// New-MeshIntermediateCA -RootCA this root. They belong to this object (memory only) and go when it goes.
    /// </summary>
    internal Pki.KeyPool? IssuingKeys { get; init; }

    /// <summary>The root CA object this intermediate was issued by, when it was issued or imported in this session.</summary>
    internal MeshCertificateAuthority? Root { get; }

    /// <summary>The same CA, bound to the cluster object it will be installed on.</summary>
    internal MeshCertificateAuthority For(MeshCluster cluster) =>
        new(Kind, Certificate, PrivateKey, Cluster, Root, RootCertificate, _chain) { MeshCluster = cluster };

    public override string ToString() => Kind == MeshCAKind.Root ? Subject : $"{Subject} ({Cluster})";
}
