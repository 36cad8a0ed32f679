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
        Assert.Equal(new[] { "east", "root", "west" }, Directory.GetFileSystemEntries(dir["cacerts"]).Select(Path.GetFileName).Order());
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
    public void A_failure_while_writing_rolls_everything_back_to_the_files_and_modes_that_were_there()
    {
        using var dir = new TempDir();
        var service = new CAExportService();
        service.Export(dir.Path, service.Plan(new[] { _data.West }), force: false);
        File.SetUnixFileMode(dir["west/ca-cert.pem"], UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        var original = Directory.GetFiles(dir.Path, "*", SearchOption.AllDirectories).ToDictionary(f => f, f => (File.ReadAllText(f), File.GetUnixFileMode(f)));

        var other = _data.Issue("west");
        var writes = 0;
        service.BeforeWrite = path =>
        {
            // The 7th of 8 writes: the west files are replaced and most of east is written by then.
            if (++writes == 7)
            {
                throw new IOException("disk full (simulated)");
            }
        };
        var error = Assert.Throws<MeshException>(() => service.Export(dir.Path, service.Plan(new[] { _data.Root, other, _data.East }), force: true));
        Assert.Equal("ExportFailed", error.ErrorId);
        Assert.Contains("rolled back", error.Message);

        Assert.Equal(7, writes);
        var after = Directory.GetFiles(dir.Path, "*", SearchOption.AllDirectories).ToDictionary(f => f, f => (File.ReadAllText(f), File.GetUnixFileMode(f)));
        Assert.Equal(original, after);
        Assert.False(Directory.Exists(dir["east"]));
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

    [Fact]
    public void Every_file_has_its_final_mode_from_the_moment_it_is_created_before_any_content()
    {
        using var dir = new TempDir();
        var service = new CAExportService();
        var created = new List<(string file, UnixFileMode mode, long length)>();
        service.AfterCreate = path => created.Add((Path.GetRelativePath(dir.Path, path), File.GetUnixFileMode(path), new FileInfo(path).Length));
        service.Export(dir.Path, service.Plan(All), force: false);
        service.Export(dir.Path, service.Plan(new[] { _data.Issue("west") }), force: true);

        var expected = new[] { "root/root-cert.pem", "root/root-key.pem" }
            .Concat(new[] { "west", "east" }.SelectMany(c => ClusterFiles.Select(f => $"{c}/{f}")))
            .Concat(new[] { "west/ca-cert.pem", "west/ca-key.pem", "west/cert-chain.pem" })
            .Select(f => (f, f.EndsWith("-key.pem", StringComparison.Ordinal) ? SecureFile.OwnerOnly : SecureFile.Readable, 0L));
        Assert.Equal(expected.Order(), created.Order());
        Assert.All(created, c => Assert.Equal(c.mode, File.GetUnixFileMode(dir[c.file])));
    }

    [Fact]
    public void No_file_but_the_final_key_files_ever_holds_a_key_even_through_a_rollback()
    {
        var since = DateTime.UtcNow.AddSeconds(-2);
        using var dir = new TempDir();
        foreach (var folder in new[] { "root", "west", "east" })
        {
            Directory.CreateDirectory(dir[folder]);
        }

        var (west, east, westAgain) = (_data.Issue("west"), _data.Issue("east"), _data.Issue("west"));
        var service = new CAExportService();
        using (var log = new FileCreationLog(dir.Path))
        {
            service.Export(dir.Path, service.Plan(new[] { _data.Root, west, east }), force: false);
            var writes = 0;
            service.BeforeWrite = _ =>
            {
                if (++writes == 3)
                {
                    throw new IOException("disk full (simulated)");
                }
            };
            Assert.Equal("ExportFailed", Assert.Throws<MeshException>(() => service.Export(dir.Path, service.Plan(new[] { westAgain }), force: true)).ErrorId);
            service.BeforeWrite = null;
            service.Export(dir.Path, service.Plan(new[] { westAgain }), force: true);

            var finalFiles = service.Plan(new[] { _data.Root, westAgain, east }).Select(f => f.RelativePath).ToHashSet();
            Assert.All(log.Created(), path => Assert.Contains(path, finalFiles));
        }

        // Every file written anywhere under the temporary folder since the test began (the export is there too), searched
        // for a line of each key's private part (the PEM's end: the CRT parameters, which no certificate holds).
        string Holding(MeshCertificateAuthority ca) => PkiFormat.ToPem(ca.PrivateKey!).Split('\n')[^4];
        Assert.Equal(new[] { dir["root/root-key.pem"] }, FileCreationLog.FilesContaining(Path.GetTempPath(), Holding(_data.Root), since));
        Assert.Equal(new[] { dir["west/ca-key.pem"] }, FileCreationLog.FilesContaining(Path.GetTempPath(), Holding(westAgain), since));
        Assert.Equal(new[] { dir["east/ca-key.pem"] }, FileCreationLog.FilesContaining(Path.GetTempPath(), Holding(east), since));
        Assert.Empty(FileCreationLog.FilesContaining(Path.GetTempPath(), Holding(west), since));
    }
}
