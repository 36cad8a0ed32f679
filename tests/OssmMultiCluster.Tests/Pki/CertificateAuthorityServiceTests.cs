using System.Security.Cryptography.X509Certificates;
using OssmMultiCluster.Model;
using OssmMultiCluster.Pki;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Pki;

public sealed class CertificateAuthorityServiceTests : IClassFixture<PkiTestData>
{
    private readonly PkiTestData _data;

    public CertificateAuthorityServiceTests(PkiTestData data) => _data = data;

    [Fact]
    public void Root_and_intermediates_have_exactly_the_extensions_the_walkthroughs_openssl_config_produces()
    {
        using var dir = new TempDir();
        var reference = Walkthrough.CreateCacerts(dir.Path, 2048, "west");
        PkiTestData.WritePem(dir["ours/root-cert.pem"], PkiFormat.ToPem(_data.Root.Certificate));
        PkiTestData.WritePem(dir["ours/west-ca-cert.pem"], PkiFormat.ToPem(_data.West.Certificate));

        var theirsRoot = OpenSsl.Extensions(reference, "root/root-cert.pem");
        var oursRoot = OpenSsl.Extensions(dir.Path, "ours/root-cert.pem");
        Assert.Equal(theirsRoot, oursRoot);
        Assert.Equal(3, oursRoot.Count);

        var theirsWest = OpenSsl.Extensions(reference, "west/ca-cert.pem");
        var oursWest = OpenSsl.Extensions(dir.Path, "ours/west-ca-cert.pem");
        Assert.Equal(theirsWest, oursWest);
        Assert.Contains("X509v3 Basic Constraints: critical = CA:TRUE, pathlen:0", oursWest);
        Assert.Contains("X509v3 Subject Alternative Name: = DNS:istiod.istio-system.svc", oursWest);
        Assert.Contains(oursWest, e => e.StartsWith("X509v3 Authority Key Identifier", StringComparison.Ordinal));

        foreach (var (theirs, ours) in new[] { ("root/root-cert.pem", "ours/root-cert.pem"), ("west/ca-cert.pem", "ours/west-ca-cert.pem") })
        {
            Assert.Equal(OpenSsl.Field(reference, theirs, "-subject"), OpenSsl.Field(dir.Path, ours, "-subject"));
            Assert.Equal(OpenSsl.Field(reference, theirs, "-issuer"), OpenSsl.Field(dir.Path, ours, "-issuer"));
            Assert.Contains("Signature Algorithm: sha256WithRSAEncryption", OpenSsl.Ok(dir.Path, "x509", "-in", ours, "-noout", "-text"));
        }
    }

    [Fact]
    public void Authority_key_identifier_of_an_intermediate_is_the_roots_subject_key_identifier()
    {
        using var dir = new TempDir();
        PkiTestData.WritePem(dir["root.pem"], PkiFormat.ToPem(_data.Root.Certificate));
        PkiTestData.WritePem(dir["west.pem"], PkiFormat.ToPem(_data.West.Certificate));
        var rootSki = OpenSsl.Extensions(dir.Path, "root.pem", maskKeyIds: false).Single(e => e.Contains("Subject Key Identifier")).Split(" = ")[1];
        var westAki = OpenSsl.Extensions(dir.Path, "west.pem", maskKeyIds: false).Single(e => e.Contains("Authority Key Identifier")).Split(" = ")[1];
        Assert.Equal(rootSki, westAki);
    }

    [Fact]
    public void Openssl_verifies_each_intermediate_and_its_chain_against_the_root()
    {
        using var dir = new TempDir();
        PkiTestData.WritePem(dir["root-cert.pem"], PkiFormat.ToPem(_data.Root.Certificate));
        foreach (var ca in new[] { _data.West, _data.East })
        {
            PkiTestData.WritePem(dir[$"{ca.Cluster}-ca.pem"], PkiFormat.ToPem(ca.Certificate));
            PkiTestData.WritePem(dir[$"{ca.Cluster}-chain.pem"], string.Concat(ca.Chain.Select(PkiFormat.ToPem)));
            Assert.Contains(": OK", OpenSsl.Ok(dir.Path, "verify", "-CAfile", "root-cert.pem", $"{ca.Cluster}-ca.pem"));
            Assert.Contains(": OK", OpenSsl.Ok(dir.Path, "verify", "-CAfile", "root-cert.pem", $"{ca.Cluster}-chain.pem"));
        }

        // And the check can fail: west's intermediate is not a root for east's.
        Assert.NotEqual(0, OpenSsl.Run(dir.Path, "verify", "-CAfile", "west-ca.pem", "east-ca.pem").exitCode);
    }

    [Fact]
    public void Objects_describe_themselves_and_hold_keys_that_match()
    {
        Assert.Equal(MeshCAKind.Root, _data.Root.Kind);
        Assert.Null(_data.Root.Cluster);
        Assert.Equal("O=Istio, CN=Root CA", _data.Root.Subject);
        Assert.Equal(MeshCAKind.Intermediate, _data.West.Kind);
        Assert.Equal("west", _data.West.Cluster);
        Assert.Equal("O=Istio, CN=Intermediate CA, L=west", _data.West.Subject);
        Assert.Equal("RSA 2048", _data.West.KeyAlgorithm);
        Assert.Equal(95, _data.West.Fingerprint.Length);
        Assert.True(PkiFormat.KeyMatches(_data.West.Certificate, _data.West.PrivateKey!));
        Assert.False(PkiFormat.KeyMatches(_data.East.Certificate, _data.West.PrivateKey!));
        Assert.False(_data.West.Certificate.HasPrivateKey);
        Assert.Equal(new[] { _data.West.Certificate.Thumbprint, _data.Root.Certificate.Thumbprint }, _data.West.Chain.Select(c => c.Thumbprint));
        Assert.NotEqual(_data.West.SerialNumber, _data.East.SerialNumber);
        Assert.Equal(32, _data.West.SerialNumber.Length);
    }

    [Fact]
    public void Intermediates_end_with_their_root_by_default_and_never_after_it()
    {
        Assert.True(_data.West.NotAfter <= _data.Root.NotAfter);
        Assert.True(_data.Root.NotAfter - _data.West.NotAfter < TimeSpan.FromMinutes(1));
        var service = new CertificateAuthorityService(new KeyPool());
        var error = Assert.Throws<MeshException>(() =>
            service.ValidateIntermediate(_data.Root, "west", new IntermediateCAOptions { ValidityDays = 3651 }));
        Assert.Equal("IntermediateOutlivesRoot", error.ErrorId);
        Assert.Equal(3651, error.Target);
        Assert.Contains("-ValidityDays 36", error.RecommendedAction);
    }

    [Theory]
    [InlineData("West")]
    [InlineData("west_1")]
    [InlineData("-west")]
    [InlineData("")]
    [InlineData("a234567890123456789012345678901234567890123456789012345678901234")]
    public void Cluster_names_that_are_not_dns_labels_are_refused(string name)
    {
        var error = Assert.Throws<MeshException>(() =>
            new CertificateAuthorityService(new KeyPool()).ValidateIntermediate(_data.Root, name, new IntermediateCAOptions()));
        Assert.Equal("InvalidClusterName", error.ErrorId);
        Assert.Equal(MeshErrorKind.InvalidArgument, error.Kind);
        Assert.Equal(name, error.Target);
    }

    [Fact]
    public async Task Keys_made_ahead_belong_to_their_root_and_only_its_intermediates_take_them()
    {
        // No pool given: as the cmdlets run it, each root gets a pool of its own.
        var service = new CertificateAuthorityService();
        var spec = new KeySpec(MeshKeyAlgorithm.ECDSA, 256);
        var first = await service.CreateRootAsync(new RootCAOptions { Key = spec, PregenerateKeys = 2 });
        var second = await service.CreateRootAsync(new RootCAOptions { Key = spec, PregenerateKeys = 0 });
        Assert.NotNull(first.IssuingKeys);
        Assert.Null(second.IssuingKeys);
        Assert.Equal(2 + CertificateAuthorityService.SpareKeys, first.IssuingKeys!.PreparedCount(spec));

        // The second root's intermediate generates its own key: the first root's stay with it.
        await service.CreateIntermediateAsync(second, "east", new IntermediateCAOptions());
        Assert.Equal(3, first.IssuingKeys.PreparedCount(spec));
        var west = await service.CreateIntermediateAsync(first, "west", new IntermediateCAOptions());
        Assert.Equal(2, first.IssuingKeys.PreparedCount(spec));
        Assert.Null(west.IssuingKeys);
    }

    [Theory]
    [InlineData(MeshKeyAlgorithm.RSA, 1024, "KeySizeTooSmall")]
    [InlineData(MeshKeyAlgorithm.RSA, 2049, "KeySizeInvalid")]
    [InlineData(MeshKeyAlgorithm.ECDSA, 255, "KeySizeInvalid")]
    public async Task Weak_or_impossible_key_sizes_are_refused_before_any_key_is_made(MeshKeyAlgorithm algorithm, int size, string errorId)
    {
        var pool = new KeyPool();
        var error = await Assert.ThrowsAsync<MeshException>(() =>
            new CertificateAuthorityService(pool).CreateRootAsync(new RootCAOptions { Key = new KeySpec(algorithm, size), PregenerateKeys = 2 }));
        Assert.Equal(errorId, error.ErrorId);
        Assert.Equal(0, pool.PreparedCount(new KeySpec(algorithm, size)));
    }

    [Fact]
    public void An_intermediate_cannot_issue_intermediates_and_a_root_without_key_cannot_sign()
    {
        var service = new CertificateAuthorityService(new KeyPool());
        Assert.Equal("NotARootCA", Assert.Throws<MeshException>(() =>
            service.ValidateIntermediate(_data.West, "north", new IntermediateCAOptions())).ErrorId);
        var keyless = new MeshCertificateAuthority(MeshCAKind.Root, _data.Root.Certificate, null, null, null, null);
        Assert.Equal("RootKeyMissing", Assert.Throws<MeshException>(() =>
            service.ValidateIntermediate(keyless, "north", new IntermediateCAOptions())).ErrorId);
    }

    [Fact]
    public void A_root_that_cannot_issue_stops_the_issuance_before_any_cluster_and_a_bad_cluster_is_only_its_own_error()
    {
        var keyless = new MeshCertificateAuthority(MeshCAKind.Root, _data.Root.Certificate, null, null, null, null);
        Assert.Equal("RootKeyMissing", Assert.Throws<MeshException>(() =>
            new IntermediateIssuance(keyless, new IntermediateCAOptions(), CancellationToken.None)).ErrorId);
        Assert.Equal("IntermediateOutlivesRoot", Assert.Throws<MeshException>(() =>
            new IntermediateIssuance(_data.Root, new IntermediateCAOptions { ValidityDays = 3651 }, CancellationToken.None)).ErrorId);

        var issuance = new IntermediateIssuance(_data.Root, new IntermediateCAOptions(), CancellationToken.None);
        var rejected = new List<string>();
        issuance.Add("North_1", null, error => rejected.Add(error.ErrorId), _ => { });
        Assert.Equal(new[] { "InvalidClusterName" }, rejected);
    }

    [Fact]
    public async Task Ecdsa_root_and_intermediate_verify_with_openssl_and_use_the_curves_hash()
    {
        var service = new CertificateAuthorityService(new KeyPool());
        var root = await service.CreateRootAsync(new RootCAOptions { Key = new KeySpec(MeshKeyAlgorithm.ECDSA, 384) });
        var north = await service.CreateIntermediateAsync(root, "north", new IntermediateCAOptions { ControlPlaneNamespace = "mesh-a" });
        Assert.Equal("ECDSA P-384", north.KeyAlgorithm);
        using var dir = new TempDir();
        PkiTestData.WritePem(dir["root.pem"], PkiFormat.ToPem(root.Certificate));
        PkiTestData.WritePem(dir["north.pem"], PkiFormat.ToPem(north.Certificate));
        Assert.Contains(": OK", OpenSsl.Ok(dir.Path, "verify", "-CAfile", "root.pem", "north.pem"));
        var text = OpenSsl.Ok(dir.Path, "x509", "-in", "north.pem", "-noout", "-text");
        Assert.Contains("ecdsa-with-SHA384", text);
        Assert.Contains("DNS:istiod.mesh-a.svc", text);
    }

    [Fact]
    public async Task Dns_names_replace_the_default_subject_alternative_name()
    {
        var service = new CertificateAuthorityService(new KeyPool());
        var south = await service.CreateIntermediateAsync(_data.Root, "south",
            new IntermediateCAOptions { DnsNames = new[] { "istiod.istio-system.svc", "istiod-basic.istio-system.svc" } });
        var san = south.Certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(new[] { "istiod.istio-system.svc", "istiod-basic.istio-system.svc" }, san.EnumerateDnsNames());
    }

    [Fact]
    public async Task Intermediates_are_issued_concurrently_and_returned_in_the_order_asked()
    {
        var service = new CertificateAuthorityService(new KeyPool());
        var names = new[] { "c1", "c2", "c3", "c4" };
        var cas = await service.CreateIntermediatesAsync(_data.Root, names, new IntermediateCAOptions());
        Assert.Equal(names, cas.Select(c => c.Cluster));
        Assert.Equal(4, cas.Select(c => c.Fingerprint).Distinct().Count());
    }
}
