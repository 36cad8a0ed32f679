using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Engine;

/// <summary>Get-MeshStatus on a healthy three-cluster lab mesh, then with faults injected one by one.</summary>
[Collection("lab")]
public sealed class StatusTests
{
    private const string Ns = "mesh-status";
    private readonly LabFixture _lab;

    public StatusTests(LabFixture lab) => _lab = lab;

    private Dictionary<string, object?> Vars(params (string, object?)[] extra) => _lab.Variables(extra);

    /// <summary>cluster|check → statuses (a cluster has one remote-secret check per other cluster).</summary>
    private Dictionary<string, string> Status()
    {
        var run = ModuleEngine.Run($"Get-MeshStatus -Cluster (Get-MeshCluster -Kubeconfig $west, $east, $north) -Namespace {Ns} | ForEach-Object {{ if ($_.Check) {{ \"$($_.Cluster)|$($_.Check)|$($_.Status)|$($_.Detail)\" }} else {{ \"verdict|$($_.Healthy)|$($_.Errors)\" }} }}", Vars());
        run.AssertNoErrors();
        return run.Output.Select(o => o.ToString()!).GroupBy(l => string.Join('|', l.Split('|').Take(2)))
            .ToDictionary(g => g.Key, g => string.Join(" / ", g.Select(l => string.Join('|', l.Split('|').Skip(2)))));
    }

    private static void AssertOk(Dictionary<string, string> status, params string[] keys) =>
        Assert.All(keys, key => Assert.True(status[key].Split(" / ").All(s => s.StartsWith("OK|", StringComparison.Ordinal)), $"{key}: {status[key]}"));

    [Fact]
    public void A_healthy_mesh_is_all_OK_and_each_injected_fault_is_reported_where_it_is()
    {
        using var dir = new TempDir();
        var setup = ModuleEngine.Run($$"""
            $c = Get-MeshCluster -Kubeconfig $west, $east, $north
            $root = New-MeshRootCA -KeySize 2048
            $null = $root | Export-MeshCA -Path $d
            $null = $c | New-MeshIntermediateCA -RootCA $root | Install-MeshCACertificate -Namespace {{Ns}}
            $null = $c | Install-MeshControlPlane -MeshId bookinfo-mesh -Namespace {{Ns}}
            $null = $c | Install-MeshEastWestGateway -Namespace {{Ns}} -Wait -Timeout 00:00:30
            $null = Connect-MeshCluster -Cluster $c -Namespace {{Ns}} -CreateServiceAccount -WarningAction SilentlyContinue
            """, Vars(("d", dir.Path)));
        setup.AssertNoErrors();

        var healthy = Status();
        Assert.Equal("0", healthy["verdict|True"]);
        foreach (var cluster in new[] { "west", "east", "north" })
        {
            AssertOk(healthy, $"{cluster}|trust", $"{cluster}|network", $"{cluster}|control-plane", $"{cluster}|gateway", $"{cluster}|remote-secret", $"{cluster}|mesh-networks");
        }

        // 1. East's gateway moves: the others' mesh networks are stale until Connect-MeshCluster runs.
        _lab.Kubectl("east", "-n", Ns, "patch", "service", "istio-eastwestgateway", "--subresource=status", "--type=merge",
            "-p", """{"status":{"loadBalancer":{"ingress":[{"hostname":"moved.east.elb.lab.test"}]}}}""");
        var moved = Status();
        Assert.StartsWith("Error|Mesh networks drifted", moved["west|mesh-networks"]);
        Assert.Contains("moved.east.elb.lab.test", moved["north|mesh-networks"]);
        Assert.Contains("Connect-MeshCluster", moved["north|mesh-networks"]);
        AssertOk(moved, "east|mesh-networks", "west|trust", "west|remote-secret", "east|gateway");

        // 2. West loses its remote secret for north.
        _lab.Kubectl("west", "-n", Ns, "delete", "secret", "istio-remote-secret-north");
        var deleted = Status();
        Assert.Contains("Error|No remote secret for cluster 'north'", deleted["west|remote-secret"]);
        AssertOk(deleted, "east|remote-secret", "north|remote-secret", "west|trust");

        // 3. East's reader token is revoked: the secrets that carry it stop working.
        foreach (var secret in _lab.Kubectl("east", "-n", Ns, "get", "secrets", "--field-selector", "type=kubernetes.io/service-account-token",
                     "-o", "jsonpath={range .items[?(@.metadata.annotations.kubernetes\\.io/service-account\\.name==\"istio-reader-service-account\")]}{.metadata.name}{\"\\n\"}{end}")
                     .Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            _lab.Kubectl("east", "-n", Ns, "delete", "secret", secret);
        }

        var revoked = Status();
        for (var i = 0; i < 20 && !revoked["north|remote-secret"].Contains("Error"); i++)
        {
            Thread.Sleep(500);
            revoked = Status();
        }

        Assert.Contains("Error|The remote secret for 'east' does not work: ClusterUnauthorized", revoked["north|remote-secret"]);
        Assert.Contains("OK|'west'", revoked["north|remote-secret"]);

        // 4. North's cacerts come from another root; 5. east's intermediate has expired.
        var other = ModuleEngine.Run($$"""
            $n = Get-MeshCluster -Kubeconfig $north
            $null = $n | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048) | Install-MeshCACertificate -Namespace {{Ns}} -Force -WarningAction SilentlyContinue
            """, Vars());
        other.AssertNoErrors();
        InstallExpiredIntermediate(dir);
        var trust = Status();
        Assert.Contains("Error|Chains to a different root", trust["north|trust"]);
        Assert.Contains("Error|The intermediate CA expired", trust["east|trust"]);
        AssertOk(trust, "west|trust", "west|network", "north|network", "north|control-plane");
        Assert.NotEqual("0", trust["verdict|False"]);
    }

    /// <summary>An intermediate that expired yesterday, signed by the mesh's root, put into east's cacerts.</summary>
    private void InstallExpiredIntermediate(TempDir dir)
    {
        using var rootKey = RSA.Create();
        rootKey.ImportFromPem(File.ReadAllText(dir["root/root-key.pem"]));
        using var root = X509Certificate2.CreateFromPem(File.ReadAllText(dir["root/root-cert.pem"]));
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("O=Istio, CN=Intermediate CA, L=east", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature, true));
        using var expired = request.Create(root.SubjectName, X509SignatureGenerator.CreateForRSA(rootKey, RSASignaturePadding.Pkcs1),
            DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1), RandomNumberGenerator.GetBytes(16));
        File.WriteAllText(dir["ca-cert.pem"], expired.ExportCertificatePem() + "\n");
        File.WriteAllText(dir["ca-key.pem"], key.ExportPkcs8PrivateKeyPem() + "\n");
        File.WriteAllText(dir["cert-chain.pem"], expired.ExportCertificatePem() + "\n" + root.ExportCertificatePem() + "\n");
        File.Copy(dir["root/root-cert.pem"], dir["root-cert.pem"]);
        _lab.Kubectl("east", "-n", Ns, "delete", "secret", "cacerts");
        _lab.Kubectl("east", "-n", Ns, "create", "secret", "generic", "cacerts", $"--from-file={dir["ca-cert.pem"]}", $"--from-file={dir["ca-key.pem"]}",
            $"--from-file={dir["root-cert.pem"]}", $"--from-file={dir["cert-chain.pem"]}");
    }
}
