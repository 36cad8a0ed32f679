using System.Security;
using OssmMultiCluster.Model;
using OssmMultiCluster.Pki;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Pki;

public sealed class CAImportServiceTests : IClassFixture<PkiTestData>
{
    private readonly PkiTestData _data;

    public CAImportServiceTests(PkiTestData data) => _data = data;

    private static MeshException ErrorOf(IReadOnlyList<CAImportResult> results, string source) =>
        results.Single(r => Path.GetFileName(r.Source) == source).Error ?? throw new Xunit.Sdk.XunitException($"{source} imported without error");

    [Fact]
    public void Reads_the_folders_the_walkthroughs_own_openssl_commands_made()
    {
        using var dir = new TempDir();
        var cacerts = Walkthrough.CreateCacerts(dir.Path, 2048, "west", "east");
        var results = new CAImportService().ImportLayout(cacerts);

        Assert.All(results, r => Assert.Null(r.Error));
        var cas = results.Select(r => r.Authority!).ToList();
        Assert.Equal(new[] { MeshCAKind.Root, MeshCAKind.Intermediate, MeshCAKind.Intermediate }, cas.Select(c => c.Kind));
        Assert.Equal(new[] { null, "east", "west" }, cas.Select(c => c.Cluster));
        Assert.All(cas, c => Assert.True(c.HasPrivateKey));
        var fingerprint = OpenSsl.Ok(cacerts, "x509", "-in", "west/ca-cert.pem", "-noout", "-fingerprint", "-sha256").Trim().Split('=')[1];
        Assert.Equal(fingerprint, cas[2].Fingerprint);
    }

    [Fact]
    public async Task Round_trips_what_Export_wrote_and_can_issue_from_the_imported_root()
    {
        using var dir = new TempDir();
        var export = new CAExportService();
        export.Export(dir.Path, export.Plan(new[] { _data.Root, _data.West }), force: false);
        var cas = new CAImportService().ImportLayout(dir.Path).Select(r => r.Authority!).ToList();
        Assert.Equal(new[] { _data.Root.Fingerprint, _data.West.Fingerprint }, cas.Select(c => c.Fingerprint));
        var north = await new CertificateAuthorityService(new KeyPool()).CreateIntermediateAsync(cas[0], "north", new IntermediateCAOptions());
        Assert.True(PkiFormat.IsSignedBy(north.Certificate, _data.Root.Certificate));
    }

    [Theory]
    [InlineData("pkcs1", "genrsa", "-traditional", "-out", "k.pem", "2048")]
    [InlineData("pkcs8", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "k.pem")]
    [InlineData("sec1", "ecparam", "-name", "prime256v1", "-genkey", "-out", "k.pem")]
    public void Reads_unencrypted_keys_in_every_form_openssl_writes(string form, params string[] generate)
    {
        using var dir = new TempDir();
        OpenSsl.Ok(dir.Path, generate);
        var first = File.ReadAllText(dir["k.pem"]);
        Assert.Contains(form switch { "pkcs1" => "BEGIN RSA PRIVATE KEY", "sec1" => "BEGIN EC PRIVATE KEY", _ => "BEGIN PRIVATE KEY" }, first);
        OpenSsl.Ok(dir.Path, "req", "-x509", "-new", "-key", "k.pem", "-subj", "/O=Corp/CN=Corp Root", "-days", "30",
            "-addext", "basicConstraints=critical,CA:true", "-addext", "keyUsage=critical,keyCertSign", "-out", "c.pem");
        var root = new CAImportService().ImportFiles(dir["c.pem"], dir["k.pem"], null, null, null);
        Assert.Equal(MeshCAKind.Root, root.Kind);
        Assert.True(PkiFormat.KeyMatches(root.Certificate, root.PrivateKey!));
    }

    [Theory]
    [InlineData("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-aes256", "-pass", "pass:s3cret", "-out", "k.pem")]
    [InlineData("genrsa", "-traditional", "-aes256", "-passout", "pass:s3cret", "-out", "k.pem", "2048")]
    public void Encrypted_keys_need_their_password(params string[] generate)
    {
        using var dir = new TempDir();
        OpenSsl.Ok(dir.Path, generate);
        var error = Assert.Throws<MeshException>(() => PemFiles.ReadPrivateKey(dir["k.pem"]));
        Assert.True(error.ErrorId == "KeyEncrypted", error.ErrorId + " " + error.InnerException);
        Assert.Contains("-KeyPassword", error.RecommendedAction);
        var wrong = Assert.Throws<MeshException>(() => PemFiles.ReadPrivateKey(dir["k.pem"], "wrong"));
        Assert.True(wrong.ErrorId == "KeyPasswordWrong", wrong.ErrorId + " " + wrong.InnerException);
        Assert.Equal(2048, PemFiles.ReadPrivateKey(dir["k.pem"], "s3cret").KeySize);
    }

    [Fact]
    public void A_leaf_certificate_in_ca_cert_pem_is_caught()
    {
        using var dir = new TempDir();
        var export = new CAExportService();
        export.Export(dir.Path, export.Plan(new[] { _data.Root, _data.West, _data.East }), force: false);
        OpenSsl.Ok(dir["west"], "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-subj", "/CN=productpage",
            "-addext", "basicConstraints=critical,CA:false", "-out", "ca-cert.pem");
        var results = new CAImportService().ImportLayout(dir.Path);
        var error = ErrorOf(results, "west");
        Assert.Equal("CaCertNotCA", error.ErrorId);
        Assert.Contains("ca-cert.pem", error.Message);
        Assert.Equal(MeshErrorKind.InvalidData, error.Kind);
        Assert.Null(results.Single(r => Path.GetFileName(r.Source) == "east").Error);
    }

    [Theory]
    [InlineData("reversed", "CertChainWrongOrder")]
    [InlineData("root-twice", "CertChainDuplicate")]
    [InlineData("foreign", "CertChainMismatch")]
    public void Cert_chain_mistakes_are_named_with_the_fix(string mistake, string errorId)
    {
        using var dir = new TempDir();
        var export = new CAExportService();
        export.Export(dir.Path, export.Plan(new[] { _data.Root, _data.West }), force: false);
        var ca = File.ReadAllText(dir["west/ca-cert.pem"]);
        var root = File.ReadAllText(dir["west/root-cert.pem"]);
        File.WriteAllText(dir["west/cert-chain.pem"], mistake switch
        {
            "reversed" => root + ca,
            "root-twice" => ca + root + root,
            _ => PkiFormat.ToPem(_data.East.Certificate) + root,
        });
        var error = ErrorOf(new CAImportService().ImportLayout(dir.Path), "west");
        Assert.Equal(errorId, error.ErrorId);
        Assert.EndsWith("cert-chain.pem", (string)error.Target!);
        Assert.Contains("cert-chain.pem", error.RecommendedAction);
    }

    [Fact]
    public void An_intermediate_of_another_root_is_caught()
    {
        using var dir = new TempDir();
        var cacerts = Walkthrough.CreateCacerts(dir.Path, 2048, "west");
        var export = new CAExportService();
        export.Export(dir["ours"], export.Plan(new[] { _data.Root }), force: false);
        var error = Assert.Throws<MeshException>(() => new CAImportService().ImportFiles(
            Path.Combine(cacerts, "west/ca-cert.pem"), Path.Combine(cacerts, "west/ca-key.pem"), null, dir["ours/root/root-cert.pem"], null));
        Assert.Equal("IntermediateNotFromRoot", error.ErrorId);

        File.Copy(dir["ours/root/root-cert.pem"], Path.Combine(cacerts, "west/root-cert.pem"), overwrite: true);
        Assert.Equal("RootMismatch", ErrorOf(new CAImportService().ImportLayout(cacerts), "west").ErrorId);
    }

    [Fact]
    public void A_key_of_another_certificate_is_caught()
    {
        using var dir = new TempDir();
        var export = new CAExportService();
        export.Export(dir.Path, export.Plan(new[] { _data.Root, _data.West, _data.East }), force: false);
        File.Copy(dir["east/ca-key.pem"], dir["west/ca-key.pem"], overwrite: true);
        var error = ErrorOf(new CAImportService().ImportLayout(dir.Path), "west");
        Assert.Equal("KeyMismatch", error.ErrorId);
        Assert.EndsWith("west/ca-key.pem", (string)error.Target!);
    }

    [Fact]
    public void A_non_CA_root_and_truncated_or_missing_files_are_caught()
    {
        using var dir = new TempDir();
        OpenSsl.Ok(dir.Path, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf-key.pem", "-subj", "/CN=leaf", "-out", "leaf.pem",
            "-addext", "basicConstraints=critical,CA:false");
        Assert.Equal("RootNotCA", Assert.Throws<MeshException>(() => new CAImportService().ImportFiles(dir["leaf.pem"], dir["leaf-key.pem"], null, null, null)).ErrorId);

        var pem = File.ReadAllText(dir["leaf.pem"]);
        File.WriteAllText(dir["truncated.pem"], pem[..(pem.Length / 2)]);
        var truncated = Assert.Throws<MeshException>(() => PemFiles.ReadCertificates(dir["truncated.pem"]));
        Assert.Equal("PemMalformed", truncated.ErrorId);
        Assert.Contains("truncated.pem", truncated.Message);

        Assert.Equal("FileNotFound", Assert.Throws<MeshException>(() => PemFiles.ReadCertificates(dir["absent.pem"])).ErrorId);
        Assert.Equal("ImportPathNotFound", Assert.Throws<MeshException>(() => new CAImportService().ImportLayout(dir["absent"])).ErrorId);
        Assert.Equal("ImportNothingFound", Assert.Throws<MeshException>(() => new CAImportService().ImportLayout(dir.Path)).ErrorId);
        Assert.Equal("PemMalformed", Assert.Throws<MeshException>(() => PemFiles.ReadPrivateKey(dir["leaf.pem"])).ErrorId);
    }

    [Fact]
    public void Error_messages_never_carry_key_material()
    {
        using var dir = new TempDir();
        var export = new CAExportService();
        export.Export(dir.Path, export.Plan(new[] { _data.Root, _data.West, _data.East }), force: false);
        File.Copy(dir["east/ca-key.pem"], dir["west/ca-key.pem"], overwrite: true);
        var keyBody = File.ReadAllLines(dir["east/ca-key.pem"])[1];
        var error = ErrorOf(new CAImportService().ImportLayout(dir.Path), "west");
        Assert.DoesNotContain(keyBody, error.Message + error.RecommendedAction + error.Target);
        Assert.DoesNotContain("PRIVATE KEY", error.Message);
    }
}
