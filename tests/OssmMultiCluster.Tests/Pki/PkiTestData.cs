using OssmMultiCluster.Model;
using OssmMultiCluster.Pki;

namespace OssmMultiCluster.Tests.Pki;

/// <summary>A root with two intermediates (RSA 2048 for speed), made once and shared by the read-only tests.</summary>
public sealed class PkiTestData
{
    public PkiTestData()
    {
        var service = new CertificateAuthorityService(new KeyPool());
        Root = service.CreateRootAsync(new RootCAOptions { Key = Rsa2048, PregenerateKeys = 2 }).GetAwaiter().GetResult();
        var intermediates = service.CreateIntermediatesAsync(Root, new[] { "west", "east" }, new IntermediateCAOptions()).GetAwaiter().GetResult();
        West = intermediates[0];
        East = intermediates[1];
    }

    internal static KeySpec Rsa2048 => new(MeshKeyAlgorithm.RSA, 2048);

    public MeshCertificateAuthority Root { get; }
    public MeshCertificateAuthority West { get; }
    public MeshCertificateAuthority East { get; }

    /// <summary>Another intermediate from the same root, for tests that need a second CA for a cluster.</summary>
    public MeshCertificateAuthority Issue(string cluster) =>
        new CertificateAuthorityService(new KeyPool()).CreateIntermediateAsync(Root, cluster, new IntermediateCAOptions()).GetAwaiter().GetResult();

    public static void WritePem(string path, string pem)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, pem);
    }
}
