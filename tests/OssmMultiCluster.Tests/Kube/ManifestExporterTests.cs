using System.Text;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;
using OssmMultiCluster.Pki;
using OssmMultiCluster.Tests.Pki;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Kube;

/// <summary>How the GitOps export writes Secrets: 0600 from creation, straight to their own file.</summary>
public sealed class ManifestExporterTests : IClassFixture<PkiTestData>
{
    private const string SecretFile = "west/istio-system/secret-cacerts.yaml";
    private readonly PkiTestData _data;

    public ManifestExporterTests(PkiTestData data) => _data = data;

    [Fact]
    public void A_secret_is_created_0600_before_its_content_and_only_ever_written_to_its_own_file()
    {
        var since = DateTime.UtcNow.AddSeconds(-2);
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["west/istio-system"]);
        Directory.CreateDirectory(dir["west/_cluster"]);
        var west = TestClusters.Offline("west", "west-network");
        var (first, second) = (_data.Issue("west"), _data.Issue("west"));
        var exporter = new ManifestExporter();
        var created = new List<(string file, UnixFileMode mode, long length)>();
        exporter.AfterCreate = path => created.Add((Path.GetRelativePath(dir.Path, path), File.GetUnixFileMode(path), new FileInfo(path).Length));

        IReadOnlyList<string> names;
        IReadOnlyList<MeshManifestFile> written, replaced;
        using (var log = new FileCreationLog(dir.Path))
        {
            written = exporter.Export(dir.Path, "west", CACertificateInstaller.Objects(west, first, "istio-system"), excludeSecrets: false);
            replaced = exporter.Export(dir.Path, "west", CACertificateInstaller.Objects(west, second, "istio-system"), excludeSecrets: false);
            names = log.Created();
        }

        Assert.Equal(new[] { MeshFileAction.Created, MeshFileAction.Created }, written.Select(f => f.Action));
        Assert.Equal(new[] { MeshFileAction.Unchanged, MeshFileAction.Overwritten }, replaced.Select(f => f.Action));
        Assert.Equal(SecureFile.OwnerOnly, File.GetUnixFileMode(dir[SecretFile]));
        Assert.Equal(SecureFile.Readable, File.GetUnixFileMode(dir["west/_cluster/namespace-istio-system.yaml"]));
        Assert.Equal(new[] { (SecretFile, SecureFile.OwnerOnly, 0L), (SecretFile, SecureFile.OwnerOnly, 0L) }, created.Where(c => c.file.Contains("secret")));

        // The namespace goes through a temporary file (it holds nothing secret); the secret never does.
        Assert.Contains(names, n => n.EndsWith(".tmp", StringComparison.Ordinal) && n.Contains("namespace-istio-system"));
        Assert.Equal(new[] { SecretFile }, names.Where(n => n.Contains("secret")).Distinct());

        string InSecret(MeshCertificateAuthority ca) => Convert.ToBase64String(Encoding.ASCII.GetBytes(PkiFormat.ToPem(ca.PrivateKey!)));
        Assert.Contains(InSecret(second), File.ReadAllText(dir[SecretFile]));
        Assert.Equal(new[] { dir[SecretFile] }, FileCreationLog.FilesContaining(Path.GetTempPath(), InSecret(second), since));
        Assert.Empty(FileCreationLog.FilesContaining(Path.GetTempPath(), InSecret(first), since));
    }

    [Fact]
    public void A_secret_file_left_with_a_wider_mode_is_replaced_by_one_created_0600()
    {
        using var dir = new TempDir();
        var west = TestClusters.Offline("west", "west-network");
        var exporter = new ManifestExporter();
        exporter.Export(dir.Path, "west", CACertificateInstaller.Objects(west, _data.West, "istio-system"), excludeSecrets: false);
        File.SetUnixFileMode(dir[SecretFile], SecureFile.Readable);
        File.WriteAllText(dir[SecretFile], "stale");

        var files = exporter.Export(dir.Path, "west", CACertificateInstaller.Objects(west, _data.West, "istio-system"), excludeSecrets: false);
        Assert.Equal(MeshFileAction.Overwritten, files.Single(f => f.ContainsSecret).Action);
        Assert.Equal(SecureFile.OwnerOnly, File.GetUnixFileMode(dir[SecretFile]));
    }
}
