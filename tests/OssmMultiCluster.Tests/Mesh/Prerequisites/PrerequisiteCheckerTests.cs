using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Mesh.Prerequisites;
using OssmMultiCluster.Model;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Mesh.Prerequisites;

/// <summary>Test-MeshPrerequisite's verdicts on facts read from clusters: each Pass, Warning or Fail, with the fix.</summary>
public sealed class PrerequisiteCheckerTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static MeshCertificateAuthority Root(DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("O=Istio, CN=Root CA", key, HashAlgorithmName.SHA256);
        var certificate = request.CreateSelfSigned(notBefore, notAfter);
        return new MeshCertificateAuthority(MeshCAKind.Root, X509CertificateLoader.LoadCertificate(certificate.Export(X509ContentType.Cert)), null, null, null, null);
    }

    /// <summary>Facts of a cluster with an API server of its own (the port derived from its name), or <paramref name="server"/>.</summary>
    private static ClusterFacts Facts(string name, string network, IReadOnlyDictionary<string, IReadOnlyList<string>?>? crds = null, string? server = null) =>
        new() { Cluster = TestClusters.Offline(name, network, server ?? $"https://127.0.0.1:{10000 + name[0]}"), LocalTime = Now, ServerTime = Now, Crds = crds ?? new Dictionary<string, IReadOnlyList<string>?>() };

    [Theory]
    [InlineData(0, MeshPrerequisiteStatus.Pass)]
    [InlineData(29, MeshPrerequisiteStatus.Pass)]
    [InlineData(-90, MeshPrerequisiteStatus.Warning)]
    [InlineData(301, MeshPrerequisiteStatus.Fail)]
    [InlineData(-3600, MeshPrerequisiteStatus.Fail)]
    public void Clock_skew_is_judged_by_size(int seconds, MeshPrerequisiteStatus expected)
    {
        var check = PrerequisiteChecker.Clock("west", Now.AddSeconds(seconds), Now, Array.Empty<MeshCertificateAuthority>());
        Assert.Equal(expected, check.Status);
        Assert.Equal(expected == MeshPrerequisiteStatus.Pass, check.Fix is null);
    }

    [Fact]
    public void A_cluster_clock_before_the_CAs_validity_fails_even_when_this_machine_agrees()
    {
        // This machine's clock is ahead: the CA was issued "now" here, which is still the future on the cluster... and here too.
        var ca = Root(Now.AddMinutes(2), Now.AddYears(1));
        var check = PrerequisiteChecker.Clock("west", Now, Now, new[] { ca });
        Assert.Equal(MeshPrerequisiteStatus.Fail, check.Status);
        Assert.Contains("before the validity of CA", check.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_expired_or_expiring_CA_is_said()
    {
        Assert.Equal(MeshPrerequisiteStatus.Fail, PrerequisiteChecker.Clock("west", Now, Now, new[] { Root(Now.AddYears(-2), Now.AddDays(-1)) }).Status);
        var expiring = PrerequisiteChecker.Clock("west", Now, Now, new[] { Root(Now.AddDays(-1), Now.AddDays(10)) });
        Assert.Equal(MeshPrerequisiteStatus.Warning, expiring.Status);
        Assert.Contains("in less than 30 days", expiring.Message, StringComparison.Ordinal);
        Assert.Equal(MeshPrerequisiteStatus.Pass, PrerequisiteChecker.Clock("west", Now, Now, new[] { Root(Now.AddDays(-1), Now.AddYears(10)) }).Status);
    }

    [Fact]
    public void No_Date_header_is_a_warning_not_a_guess()
    {
        Assert.Equal(MeshPrerequisiteStatus.Warning, PrerequisiteChecker.Clock("west", null, Now, Array.Empty<MeshCertificateAuthority>()).Status);
    }

    [Theory]
    [InlineData("v1.17.3", null, MeshPrerequisiteStatus.Fail)]
    [InlineData("v1.20.2", MeshFlavor.Ossm2, MeshPrerequisiteStatus.Warning)]
    [InlineData("v1.25.0+k3s1", MeshFlavor.Ossm2, MeshPrerequisiteStatus.Pass)]
    [InlineData("v1.26.5", MeshFlavor.Ossm3, MeshPrerequisiteStatus.Warning)]
    [InlineData("v1.29.1", MeshFlavor.Ossm3, MeshPrerequisiteStatus.Pass)]
    [InlineData("unknown", null, MeshPrerequisiteStatus.Warning)]
    public void Kubernetes_versions_against_what_the_module_and_each_flavour_need(string gitVersion, MeshFlavor? flavor, MeshPrerequisiteStatus expected)
    {
        Assert.Equal(expected, PrerequisiteChecker.KubernetesVersion("west", gitVersion, flavor).Status);
    }

    [Fact]
    public void The_operator_check_names_a_CRD_that_does_not_serve_the_version_the_module_uses()
    {
        var crds = new Dictionary<string, IReadOnlyList<string>?>
        {
            [Requirements.SmcpCrd] = new[] { "v1" },
            ["gateways.networking.istio.io"] = new[] { "v1alpha3", "v1beta1" },
        };
        var check = PrerequisiteChecker.Operator("west", crds, null, null);
        Assert.Equal(MeshPrerequisiteStatus.Fail, check.Status);
        Assert.Equal("Ossm2 (found): ServiceMeshControlPlane (servicemeshcontrolplanes.maistra.io) serves v1 but not v2.", check.Message);
    }

    [Fact]
    public void The_flavour_found_is_the_one_whose_control_plane_CRD_the_cluster_has()
    {
        Assert.Equal(MeshFlavor.Ossm3, PrerequisiteChecker.FlavorFound(Facts("a", "n", new Dictionary<string, IReadOnlyList<string>?> { [Requirements.IstioCrd] = new[] { "v1" }, [Requirements.SmcpCrd] = null })));
        Assert.Null(PrerequisiteChecker.FlavorFound(Facts("a", "n")));
        Assert.Null(PrerequisiteChecker.FlavorFound(Facts("a", "n", new Dictionary<string, IReadOnlyList<string>?> { [Requirements.IstioCrd] = new[] { "v1" }, [Requirements.SmcpCrd] = new[] { "v2" } })));
    }

    [Fact]
    public void Duplicate_names_fail_and_shared_networks_warn()
    {
        var a = Facts("a", "net");
        var twin = Facts("a", "other");
        Assert.Equal(MeshPrerequisiteStatus.Fail, PrerequisiteChecker.Identity(a, new[] { a, twin }).Status);
        var sameServer = PrerequisiteChecker.Identity(Facts("x", "n1", server: "https://api.example:6443"), new[] { Facts("x", "n1", server: "https://api.example:6443"), Facts("y", "n2", server: "https://API.example:6443/") });
        Assert.Equal(MeshPrerequisiteStatus.Fail, sameServer.Status);
        var b = Facts("b", "net");
        var shared = PrerequisiteChecker.Identity(b, new[] { Facts("c", "net"), b });
        Assert.Equal(MeshPrerequisiteStatus.Warning, shared.Status);
        Assert.Contains("'c'", shared.Message, StringComparison.Ordinal);
        Assert.Equal(MeshPrerequisiteStatus.Pass, PrerequisiteChecker.Identity(b, new[] { b, Facts("d", "other") }).Status);
    }

    [Fact]
    public void Missing_rights_are_listed_per_resource_with_the_steps_that_use_them()
    {
        var denied = Requirements.Permissions(MeshFlavor.Ossm2).Where(p => p.Resource == "secrets").ToList();
        var facts = new ClusterFacts { Cluster = TestClusters.Offline("a", "n"), LocalTime = Now, Denied = denied, PermissionsChecked = 20 };
        var check = PrerequisiteChecker.Permissions("a", facts, "cp");
        Assert.Equal(MeshPrerequisiteStatus.Fail, check.Status);
        Assert.Equal("4 of 20 rights the steps use are missing: get, patch, list, delete secrets in cp (Install-MeshCACertificate, Connect-MeshCluster, " +
                     "New-MeshRemoteSecret, Get-MeshStatus, Disconnect-MeshCluster, Update-MeshRemoteSecret).", check.Message);
    }

    [Fact]
    public void A_probe_without_an_address_points_at_NodePort()
    {
        var facts = new ClusterFacts { Cluster = TestClusters.Offline("a", "n"), LocalTime = Now, Probe = new LoadBalancerProbe(null, TimeSpan.FromSeconds(30), null) };
        var check = PrerequisiteChecker.LoadBalancer("a", facts, new PrerequisiteOptions { ProbeLoadBalancer = true });
        Assert.Equal(MeshPrerequisiteStatus.Warning, check.Status);
        Assert.Contains("-ServiceType NodePort", check.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreachable_cluster_is_one_failed_api_check_and_its_identity()
    {
        var down = new ClusterFacts
        {
            Cluster = TestClusters.Offline("down", "n"),
            LocalTime = Now,
            Unreachable = new MeshException("ClusterUnreachable", MeshErrorKind.ConnectionError, "Cluster 'down' is unreachable.", "down", "Check the network."),
        };
        var checks = PrerequisiteChecker.Check(new[] { down }, new PrerequisiteOptions(), Array.Empty<MeshCertificateAuthority>());
        Assert.Equal(new[] { "api|Fail", "identity|Pass" }, checks.Select(c => $"{c.Check}|{c.Status}"));
        Assert.Equal("Check the network.", checks[0].Fix);
    }
}
