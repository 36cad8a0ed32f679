using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Pki;

/// <summary>
/// Issues the mesh's root CA and the per-cluster intermediate CAs with exactly the extensions of the
/// walkthrough's openssl configuration (root-ca.conf and intermediate.conf), in the same order openssl writes them.
/// </summary>
internal sealed class CertificateAuthorityService
{
    internal const int DefaultValidityDays = 3650;

    /// <summary>Keys generated beyond those asked for when pregenerating (see <see cref="KeyPool"/>).</summary>
    internal const int SpareKeys = 1;

    /// <summary>Certificates start slightly in the past so that clusters whose clocks run behind accept them.</summary>
    internal static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromMinutes(5);

    private readonly KeyPool? _keys;
    private readonly TimeProvider _clock;

    /// <param name="keys">
    /// Where every key comes from (tests); null: each root gets a pool of its own, which its intermediates take keys
    /// from (<see cref="MeshCertificateAuthority.IssuingKeys"/>), so no key outlives the root it was made for.
    /// </param>
    public CertificateAuthorityService(KeyPool? keys = null, TimeProvider? clock = null)
    {
        _keys = keys;
        _clock = clock ?? TimeProvider.System;
    }

    public async Task<MeshCertificateAuthority> CreateRootAsync(RootCAOptions options, CancellationToken cancellation = default)
    {
        options.Key.Validate();
        if (options.ValidityDays < 1)
        {
            throw new MeshException("ValidityInvalid", MeshErrorKind.InvalidArgument,
                $"Validity of {options.ValidityDays} days is not positive.", options.ValidityDays, $"Use -ValidityDays 1 or more (default {DefaultValidityDays}).");
        }

        // The root's key and the intermediates' are generated together, plus one spare so that nobody waits for
        // the slowest prime search; the root takes whichever finishes first.
        var keys = _keys ?? new KeyPool();
        keys.Prepare(options.Key, 1 + (options.PregenerateKeys > 0 ? options.PregenerateKeys + SpareKeys : 0));
        var key = await keys.TakeAsync(options.Key, cancellation).ConfigureAwait(false);
        var subject = BuildName(options.Organization, options.CommonName, locality: null);
        var notBefore = Now() - ClockSkewAllowance;
        var certificate = Issue(subject, key, subject, key, issuerKeyIdentifier: null, isIntermediate: false,
            dnsNames: Array.Empty<string>(), notBefore, Now().AddDays(options.ValidityDays), options.Key);
        return new MeshCertificateAuthority(MeshCAKind.Root, certificate, key, cluster: null, root: null, rootCertificate: null)
        {
            IssuingKeys = options.PregenerateKeys > 0 ? keys : null,
        };
    }

    /// <summary>
    /// Checks everything about an intermediate request that does not need its key, so bad input fails before
    /// any key is generated.
    /// </summary>
    public void ValidateIntermediate(MeshCertificateAuthority root, string cluster, IntermediateCAOptions options)
    {
        ValidateIssuer(root, options);
        ValidateRequest(root, cluster, options);
    }

    /// <summary>Checks what depends on the cluster asked for: its name, and the key its intermediate would get.</summary>
    public static void ValidateRequest(MeshCertificateAuthority root, string cluster, IntermediateCAOptions options)
    {
        MeshNames.ValidateClusterName(cluster);
        (options.Key ?? SpecOf(root)).Validate();
    }

    /// <summary>
    /// Checks what does not depend on the cluster: <paramref name="root"/> is a root CA with its key, not expired, and
    /// outlives the validity asked for. A failure here fails every intermediate the root would issue.
    /// </summary>
    public void ValidateIssuer(MeshCertificateAuthority root, IntermediateCAOptions options)
    {
        RequireSigningRoot(root);
        _ = IntermediateNotAfter(root, options);
    }

    public async Task<MeshCertificateAuthority> CreateIntermediateAsync(MeshCertificateAuthority root, string cluster,
        IntermediateCAOptions options, CancellationToken cancellation = default)
    {
        ValidateIntermediate(root, cluster, options);
        var spec = options.Key ?? SpecOf(root);
        var notAfter = IntermediateNotAfter(root, options);
        var key = await (_keys ?? root.IssuingKeys ?? new KeyPool()).TakeAsync(spec, cancellation).ConfigureAwait(false);

        var notBefore = Now() - ClockSkewAllowance;
        if (notBefore < root.NotBefore)
        {
            notBefore = root.NotBefore;
        }

        var subject = BuildName(options.Organization, options.CommonName, locality: cluster);
        var rootKeyId = root.Certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault()?.SubjectKeyIdentifierBytes.ToArray();
        var certificate = Issue(subject, key, root.Certificate.SubjectName, root.PrivateKey!, rootKeyId, isIntermediate: true,
            options.EffectiveDnsNames, notBefore, notAfter, SpecOf(root));
        return new MeshCertificateAuthority(MeshCAKind.Intermediate, certificate, key, cluster, root, root.Certificate);
    }

    /// <summary>Issues the intermediates of several clusters concurrently; results come back in the order asked.</summary>
    public Task<MeshCertificateAuthority[]> CreateIntermediatesAsync(MeshCertificateAuthority root, IEnumerable<string> clusters,
        IntermediateCAOptions options, CancellationToken cancellation = default) =>
        Task.WhenAll(clusters.Select(cluster => CreateIntermediateAsync(root, cluster, options, cancellation)));

    internal static KeySpec SpecOf(MeshCertificateAuthority ca) => PkiFormat.SpecOf(ca.Certificate);

    private static void RequireSigningRoot(MeshCertificateAuthority root)
    {
        if (root.Kind != MeshCAKind.Root)
        {
            throw new MeshException("NotARootCA", MeshErrorKind.InvalidArgument,
                $"'{root.Subject}' is an intermediate CA; intermediates are issued by the root (pathlen:0 forbids signing below an intermediate).",
                root, "Pass the root CA to -RootCA: New-MeshRootCA, or Import-MeshCA on the root folder.");
        }

        if (!root.HasPrivateKey)
        {
            throw new MeshException("RootKeyMissing", MeshErrorKind.InvalidArgument,
                $"Root CA '{root.Subject}' was imported without its private key, so it cannot sign intermediates.",
                root, "Import the root with its key: Import-MeshCA -CertificatePath root-cert.pem -KeyPath root-key.pem.");
        }
    }

    private DateTimeOffset IntermediateNotAfter(MeshCertificateAuthority root, IntermediateCAOptions options)
    {
        var rootNotAfter = new DateTimeOffset(root.NotAfter, TimeSpan.Zero);
        if (rootNotAfter <= Now())
        {
            throw new MeshException("RootCAExpired", MeshErrorKind.InvalidData,
                $"Root CA '{root.Subject}' expired on {rootNotAfter:u}.", root, "Create a new root with New-MeshRootCA and re-issue every intermediate.");
        }

        if (options.ValidityDays is { } days)
        {
            if (days < 1)
            {
                throw new MeshException("ValidityInvalid", MeshErrorKind.InvalidArgument,
                    $"Validity of {days} days is not positive.", days, "Use -ValidityDays 1 or more.");
            }

            var asked = Now().AddDays(days);
            if (asked > rootNotAfter)
            {
                throw new MeshException("IntermediateOutlivesRoot", MeshErrorKind.InvalidArgument,
                    $"An intermediate valid for {days} days would end {asked:u}, after its root CA ends ({rootNotAfter:u}).",
                    days, $"Use -ValidityDays {(int)Math.Floor((rootNotAfter - Now()).TotalDays)} or less, or leave it out to end with the root.");
            }

            return asked;
        }

        var byDefault = Now().AddDays(DefaultValidityDays);
        return byDefault < rootNotAfter ? byDefault : rootNotAfter;
    }

    private DateTimeOffset Now()
    {
        var now = _clock.GetUtcNow();
        return new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
    }

    internal static X500DistinguishedName BuildName(string organization, string commonName, string? locality)
    {
        // openssl encodes the req_dn fields in the order the walkthrough lists them (O, CN, L); the builder
        // encodes the last one added first.
        var builder = new X500DistinguishedNameBuilder();
        if (locality is not null)
        {
            builder.AddLocalityName(locality);
        }

        builder.AddCommonName(commonName);
        builder.AddOrganizationName(organization);
        return builder.Build();
    }

    private static X509Certificate2 Issue(X500DistinguishedName subject, AsymmetricAlgorithm subjectKey,
        X500DistinguishedName issuerName, AsymmetricAlgorithm issuerKey, byte[]? issuerKeyIdentifier, bool isIntermediate,
        IReadOnlyList<string> dnsNames, DateTimeOffset notBefore, DateTimeOffset notAfter, KeySpec issuerSpec)
    {
        var hash = issuerSpec.SignatureHash;
        var request = subjectKey is RSA rsa
            ? new CertificateRequest(subject, rsa, hash, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(subject, (ECDsa)subjectKey, hash);

        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey,
            X509SubjectKeyIdentifierHashAlgorithm.Sha1, critical: false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true,
            hasPathLengthConstraint: isIntermediate, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation |
            X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.KeyCertSign, critical: true));
        if (dnsNames.Count > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var name in dnsNames)
            {
                san.AddDnsName(name);
            }

            request.CertificateExtensions.Add(san.Build(critical: false));
        }

        if (issuerKeyIdentifier is not null)
        {
            request.CertificateExtensions.Add(
                X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(issuerKeyIdentifier));
        }

        var generator = issuerKey is RSA issuerRsa
            ? X509SignatureGenerator.CreateForRSA(issuerRsa, RSASignaturePadding.Pkcs1)
            : X509SignatureGenerator.CreateForECDsa((ECDsa)issuerKey);
        return request.Create(issuerName, generator, notBefore, notAfter, NewSerialNumber());
    }

    private static byte[] NewSerialNumber()
    {
        // 128 random bits, positive and without a leading zero byte (RFC 5280 4.1.2.2).
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x40);
        return serial;
    }
}
