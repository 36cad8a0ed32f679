using OssmMultiCluster.Model;
using OssmMultiCluster.Pki;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Pki;

public sealed class CAExportServiceTests : IClassFixture<PkiTestData>
{
    private static readonly string[] ClusterFiles = { "ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem" };
    private readonly PkiTestData _data;

    public CAExportServiceTests(PkiTestData data) => _data = data;

    private MeshCertificateAuthority[] All => new[] { _data.Root, _data.West, _data.East };

    [Fact]
    public void Writes_the_walkthrough_layout_that_openssl_verifies_with_keys_0600()
    {
        using var dir = new TempDir();
        var service = new CAExportService();
        var written = service.Export(dir["cacerts"], service.Plan(All), force: false);

        Assert.Equal(2 + 4 + 4, written.Count);
        Assert.All(written, f => Assert.Equal(MeshFileAction.Created, f.Action));
        Assert.Equal(new[] { "root-cert.pem", "root-key.pem" }, Directory.GetFiles(dir["cacerts/root"]).Select(Path.GetFileName).Order());
        foreach (var cluster in new[] { "west", "east" })
        {
            Assert.Equal(ClusterFiles.Order(), Directory.GetFiles(dir[$"cacerts/{cluster}"]).Select(Path.GetFileName).Order());
            Assert.Contains(": OK", OpenSsl.Ok(dir[$"cacerts/{cluster}"], "verify", "-CAfile", "root-cert.pem", "cert-chain.pem"));
            Assert.Contains(": OK", OpenSsl.Ok(dir[$"cacerts/{cluster}"], "verify", "-CAfile", "../root/root-cert.pem", "ca-cert.pem"));
            Assert.Equal(File.ReadAllText(dir[$"cacerts/{cluster}/ca-cert.pem"]) + File.ReadAllText(dir["cacerts/root/root-cert.pem"]),
                File.ReadAllText(dir[$"cacerts/{cluster}/cert-chain.pem"]));
            Assert.Equal(OpenSsl.Ok(dir.Path, "x509", "-in", $"cacerts/{cluster}/ca-cert.pem", "-noout", "-modulus"),
                OpenSsl.Ok(dir.Path, "rsa", "-in", $"cacerts/{cluster}/ca-key.pem", "-noout", "-modulus"));
        }

        Assert.Equal(SecureFile.OwnerOnly, File.GetUnixFileMode(dir["cacerts/root/root-key.pem"]));
        Assert.Equal(SecureFile.OwnerOnly, File.GetUnixFileMode(dir["cacerts/west/ca-key.pem"]));
        Assert.Equal(SecureFile.Readable, File.GetUnixFileMode(dir["cacerts/west/ca-cert.pem"]));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(dir["cacerts/west/ca-key.pem"]));
        Assert.Empty(Directory.GetDirectories(dir["cacerts"], ".ossm-export-*"));
    }

    [Fact]
    public void Exporting_intermediates_alone_writes_the_roots_certificate_but_never_its_key()
    {
        using var dir = new TempDir();
        var service = new CAExportService();
        service.Export(dir.Path, service.Plan(new[] { _data.West }), force: false);
        Assert.True(File.Exists(dir["root/root-cert.pem"]));
        Assert.False(File.Exists(dir["root/root-key.pem"]));
    }

    [Fact]
    public void A_second_export_of_the_same_CAs_changes_nothing()
    {
        using var dir = new TempDir();
        var service = new CAExportService();
        service.Export(dir.Path, service.Plan(All), force: false);
        var before = File.GetLastWriteTimeUtc(dir["west/ca-key.pem"]);
        var again = service.Export(dir.Path, service.Plan(All), force: false);
        Assert.All(again, f => Assert.Equal(MeshFileAction.Unchanged, f.Action));
        Assert.Equal(before, File.GetLastWriteTimeUtc(dir["west/ca-key.pem"]));
    }

    [Fact]
    public void Different_content_is_refused_without_force_and_nothing_is_written()
    {
        using var dir = new TempDir();
        var service = new CAExportService();
        service.Export(dir.Path, service.Plan(new[] { _data.West }), force: false);
        var westKey = File.ReadAllText(dir["west/ca-key.pem"]);

        var other = _data.Issue("west");
        var error = Assert.Throws<MeshException>(() => service.Export(dir.Path, service.Plan(new[] { other, _data.East }), force: false));
        Assert.Equal("ExportFileExists", error.ErrorId);
        Assert.Equal(MeshErrorKind.ResourceExists, error.Kind);
        Assert.Contains("ca-cert.pem", error.Message);
        Assert.Equal(westKey, File.ReadAllText(dir["west/ca-key.pem"]));
        Assert.False(Directory.Exists(dir["east"]));

        var forced = service.Export(dir.Path, service.Plan(new[] { other }), force: true);
        Assert.Contains(forced, f => f.Name == "ca-key.pem" && f.Action == MeshFileAction.Overwritten);
        Assert.Contains(forced, f => f.Name == "root-cert.pem" && f.Action == MeshFileAction.Unchanged);
        Assert.NotEqual(westKey, File.ReadAllText(dir["west/ca-key.pem"]));
        Assert.Equal(SecureFile.OwnerOnly, File.GetUnixFileMode(dir["west/ca-key.pem"]));
    }

    [Fact]
    public void A_failure_while_moving_files_into_place_rolls_everything_back()
    {
        using var dir = new TempDir();
        var service = new CAExportService();
        service.Export(dir.Path, service.Plan(new[] { _data.West }), force: false);
        var original = Directory.GetFiles(dir.Path, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllText);

        var other = _data.Issue("west");
        var moves = 0;
        service.BeforeMove = path =>
        {
            if (++moves == 7)
            {
                throw new IOException("disk full (simulated)");
            }
        };
        var error = Assert.Throws<MeshException>(() => service.Export(dir.Path, service.Plan(new[] { _data.Root, other, _data.East }), force: true));
        Assert.Equal("ExportFailed", error.ErrorId);
        Assert.Contains("rolled back", error.Message);

        var after = Directory.GetFiles(dir.Path, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllText);
        Assert.Equal(original, after);
        Assert.False(Directory.Exists(dir["east"]));
        Assert.Empty(Directory.GetDirectories(dir.Path, ".ossm-export-*"));
    }

    [Fact]
    public void Two_intermediates_for_one_cluster_or_a_cluster_named_root_are_refused()
    {
        var service = new CAExportService();
        var other = _data.Issue("west");
        Assert.Equal("ExportConflict", Assert.Throws<MeshException>(() => service.Plan(new[] { _data.West, other })).ErrorId);
        var root = _data.Issue("root");
        Assert.Equal("ClusterNameReserved", Assert.Throws<MeshException>(() => service.Plan(new[] { root })).ErrorId);
    }

    [Fact]
    public void A_folder_where_a_file_belongs_is_refused_before_anything_is_written()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["east/ca-key.pem"]);
        var service = new CAExportService();
        var error = Assert.Throws<MeshException>(() => service.Export(dir.Path, service.Plan(All), force: true));
        Assert.Equal("ExportPathIsFolder", error.ErrorId);
        Assert.False(Directory.Exists(dir["root"]));
    }
}
