using System.Collections;
using System.Management.Automation;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using OssmMultiCluster.Model;
using OssmMultiCluster.Pki;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Engine;

/// <summary>
/// The bad inputs a user meets (issue 8), each driven through the cmdlet a user would call, in the real engine against
/// the lab: a stable ErrorId, the right category, the offending value as TargetObject, a RecommendedAction, and no side
/// effect (nothing created on the lab, checked with kubectl; no file written). One row, one test:
/// <code>
/// bad input                                    ErrorId (category), target                     test
/// ------------------------------------------   --------------------------------------------   ---------------------------------------------
/// malformed kubeconfig                         KubeconfigInvalid (InvalidData), the file      A_malformed_kubeconfig_...
/// unknown context                              ContextNotFound (ObjectNotFound), the context  An_unknown_context_...
/// wrong token                                  ClusterUnauthorized (PermissionDenied), name   A_wrong_token_...
/// token of a deleted service account           ClusterUnauthorized (PermissionDenied), name   An_expired_token_...
/// API server CA mismatch                       ClusterTlsFailed (SecurityError), name         A_kubeconfig_trusting_another_clusters_CA_...
/// cluster name that is not a DNS label         InvalidClusterName (InvalidArgument), name     A_cluster_name_that_is_not_a_DNS_label_...
/// one name for two clusters of a mesh          DuplicateClusterName (InvalidArgument), name   The_same_name_for_two_clusters_...
/// one network where different ones were meant  a warning (not an error) saying how to         Clusters_given_one_network_...
///                                              silence it
/// malformed or truncated PEM                   PemMalformed (InvalidData), the file           A_malformed_or_truncated_PEM_file_...
/// encrypted key without a password             KeyEncrypted (InvalidArgument), the key file   An_encrypted_key_without_a_password_...
/// root CA that is not a CA                     RootNotCA (InvalidData), the file              A_root_certificate_that_is_not_a_CA_...
/// gateway that never gets an address           GatewayAddressTimeout (OperationTimeout), name A_gateway_that_never_gets_an_address_...
/// </code>
/// What the fuzz tests found is pinned in Fuzz/PemRegressionTests and Fuzz/KubeconfigRegressionTests (kubeconfigs nested
/// too deep, unsupported auth providers, undecodable client certificates, credentials in the wrong field; damaged
/// certificate extensions, names and dates; keys asking for an endless key derivation: KeyDerivationTooCostly).
/// </summary>
[Collection("lab")]
public sealed class BadInputMatrixTests : IDisposable
{
    /// <summary>Resolve clusters with the splatted $selection, then issue and install their CAs: what a user runs first.</summary>
    private const string InstallPipeline = """
        $root = New-MeshRootCA -KeyAlgorithm ECDSA -KeySize 256 -PregenerateKeys 0
        Get-MeshCluster @selection | New-MeshIntermediateCA -RootCA $root | Install-MeshCACertificate -Namespace $ns
        """;

    private readonly LabFixture _lab;
    private readonly TempDir _dir = new();

    public BadInputMatrixTests(LabFixture lab) => _lab = lab;

    public void Dispose() => _dir.Dispose();

    private Dictionary<string, object?> Vars(params (string, object?)[] extra) => _lab.Variables(extra);

    private static Hashtable Selection(params (string parameter, object value)[] parameters)
    {
        var selection = new Hashtable();
        foreach (var (parameter, value) in parameters)
        {
            selection[parameter] = value;
        }

        return selection;
    }

    /// <summary>The one error of the run (terminating or not), checked for id, cmdlet, category, target and action.</summary>
    private static ErrorRecord TheError(ScriptRun run, string errorId, string cmdlet, ErrorCategory category, object target)
    {
        var record = run.Terminating?.ErrorRecord ?? Assert.Single(run.Errors);
        Assert.All(run.Errors, e => Assert.Equal(record.FullyQualifiedErrorId, e.FullyQualifiedErrorId));
        Assert.Equal($"{errorId},OssmMultiCluster.Commands.{cmdlet}Command", record.FullyQualifiedErrorId);
        Assert.Equal(category, record.CategoryInfo.Category);
        Assert.Equal(target, record.TargetObject);
        Assert.Equal("OssmMultiCluster.MeshException", record.Exception.GetType().FullName);
        Assert.False(string.IsNullOrWhiteSpace(record.ErrorDetails?.RecommendedAction), $"{errorId} has no recommended action");
        return record;
    }

    private void AssertNoNamespace(string cluster, string ns) =>
        Assert.True(_lab.TryKubectl(cluster, "get", "namespace", ns).code != 0, $"namespace {ns} was created on {cluster}");

    private string LabToken(string cluster) =>
        Regex.Match(File.ReadAllText(_lab.Kubeconfigs[cluster]), @"token: (\S+)").Groups[1].Value;

    private string KubeconfigWithToken(string cluster, string token, string file)
    {
        File.WriteAllText(_dir[file], File.ReadAllText(_lab.Kubeconfigs[cluster]).Replace(LabToken(cluster), token, StringComparison.Ordinal));
        return _dir[file];
    }

    /// <summary>A root and west's intermediate, exported in the walkthrough's layout under <paramref name="folder"/>.</summary>
    private string ExportedCA(string folder)
    {
        var service = new CertificateAuthorityService(new KeyPool());
        var root = service.CreateRootAsync(new RootCAOptions { Key = new KeySpec(MeshKeyAlgorithm.ECDSA, 256) }).GetAwaiter().GetResult();
        var west = service.CreateIntermediateAsync(root, "west", new IntermediateCAOptions()).GetAwaiter().GetResult();
        var export = new CAExportService();
        export.Export(_dir[folder], export.Plan(new[] { root, west }), force: false);
        return _dir[folder];
    }

    private static Dictionary<string, string> Snapshot(string directory) =>
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllText);

    [Fact]
    public void A_malformed_kubeconfig_stops_Get_MeshCluster_before_anything_is_installed()
    {
        const string ns = "matrix-malformed";
        File.WriteAllText(_dir["broken.kubeconfig"], "apiVersion: v1\nkind: Config\nclusters: [ {name: x, cluster: {server: ");
        var run = ModuleEngine.Run(InstallPipeline, Vars(("ns", ns), ("selection", Selection(("Kubeconfig", new[] { _dir["broken.kubeconfig"], _lab.Kubeconfigs["west"] })))));
        TheError(run, "KubeconfigInvalid", "GetMeshCluster", ErrorCategory.InvalidData, _dir["broken.kubeconfig"]);
        Assert.Empty(run.Output);
        AssertNoNamespace("west", ns);
    }

    [Fact]
    public void An_unknown_context_stops_Get_MeshCluster_and_lists_the_contexts_there_are()
    {
        const string ns = "matrix-context";
        var run = ModuleEngine.Run(InstallPipeline, Vars(("ns", ns), ("selection", Selection(("Kubeconfig", _lab.Kubeconfigs["west"]), ("Context", "nowhere")))));
        var error = TheError(run, "ContextNotFound", "GetMeshCluster", ErrorCategory.ObjectNotFound, "nowhere");
        Assert.Contains("west", error.ErrorDetails.RecommendedAction);
        AssertNoNamespace("west", ns);
    }

    [Fact]
    public void A_wrong_token_is_ClusterUnauthorized_for_that_cluster_and_installs_nothing_there()
    {
        const string ns = "matrix-wrong-token";
        var wrongToken = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
        var wrong = KubeconfigWithToken("west", wrongToken, "wrong-token.kubeconfig");

        var test = ModuleEngine.Run("Get-MeshCluster -Kubeconfig $wrong -Test", Vars(("wrong", wrong)));
        TheError(test, "ClusterUnauthorized", "GetMeshCluster", ErrorCategory.PermissionDenied, "west");
        Assert.Empty(test.Output);

        var run = ModuleEngine.Run(InstallPipeline, Vars(("ns", ns), ("selection", Selection(("Kubeconfig", wrong)))));
        TheError(run, "ClusterUnauthorized", "InstallMeshCACertificate", ErrorCategory.PermissionDenied, "west");
        Assert.Empty(run.Output);
        Assert.DoesNotContain(wrongToken, test.AllText + run.AllText);
        AssertNoNamespace("west", ns);
    }

    [Fact]
    public void An_expired_token_of_a_deleted_service_account_is_ClusterUnauthorized_and_installs_nothing()
    {
        const string ns = "matrix-expired-token";
        const string account = "matrix-expired";
        _lab.Kubectl("west", "-n", "default", "create", "serviceaccount", account);
        var token = _lab.Kubectl("west", "-n", "default", "create", "token", account, "--duration", "10m").Trim();
        var stale = KubeconfigWithToken("west", token, "stale-token.kubeconfig");

        // While the account exists the server knows the token (and forbids listing namespaces to it).
        var valid = ModuleEngine.Run("Get-MeshCluster -Kubeconfig $stale -Test", Vars(("stale", stale)));
        TheError(valid, "ClusterForbidden", "GetMeshCluster", ErrorCategory.PermissionDenied, "west");

        // Deleting the account invalidates its bound tokens, once the API server's 10 s authentication cache lets go.
        _lab.Kubectl("west", "-n", "default", "delete", "serviceaccount", account);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!Processes.Run("kubectl", new[] { "--kubeconfig", stale, "get", "--raw", "/version" }).stderr.Contains("Unauthorized", StringComparison.Ordinal))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "the token of the deleted account was still accepted after 60 s");
            Thread.Sleep(1000);
        }

        var test = ModuleEngine.Run("Get-MeshCluster -Kubeconfig $stale -Test", Vars(("stale", stale)));
        TheError(test, "ClusterUnauthorized", "GetMeshCluster", ErrorCategory.PermissionDenied, "west");
        var run = ModuleEngine.Run(InstallPipeline, Vars(("ns", ns), ("selection", Selection(("Kubeconfig", stale)))));
        TheError(run, "ClusterUnauthorized", "InstallMeshCACertificate", ErrorCategory.PermissionDenied, "west");
        Assert.DoesNotContain(token, test.AllText + run.AllText);
        AssertNoNamespace("west", ns);
    }

    [Fact]
    public void A_kubeconfig_trusting_another_clusters_CA_is_ClusterTlsFailed_and_installs_nothing()
    {
        const string ns = "matrix-ca-mismatch";
        string CaData(string cluster) => _lab.Kubectl(cluster, "config", "view", "--raw", "-o", "jsonpath={.clusters[0].cluster.certificate-authority-data}");
        File.WriteAllText(_dir["wrong-ca.kubeconfig"], File.ReadAllText(_lab.Kubeconfigs["west"]).Replace(CaData("west"), CaData("east"), StringComparison.Ordinal));
        var run = ModuleEngine.Run(InstallPipeline, Vars(("ns", ns), ("selection", Selection(("Kubeconfig", _dir["wrong-ca.kubeconfig"])))));
        var error = TheError(run, "ClusterTlsFailed", "InstallMeshCACertificate", ErrorCategory.SecurityError, "west");
        Assert.Contains("certificate-authority-data", error.ErrorDetails.RecommendedAction);
        AssertNoNamespace("west", ns);
    }

    [Fact]
    public void A_cluster_name_that_is_not_a_DNS_label_stops_Get_MeshCluster_before_anything_is_installed()
    {
        const string ns = "matrix-bad-name";
        var run = ModuleEngine.Run(InstallPipeline, Vars(("ns", ns), ("selection", Selection(("Kubeconfig", _lab.Kubeconfigs["west"]), ("Name", "West_1")))));
        TheError(run, "InvalidClusterName", "GetMeshCluster", ErrorCategory.InvalidArgument, "West_1");
        AssertNoNamespace("west", ns);
    }

    [Fact]
    public void The_same_name_for_two_clusters_stops_Get_MeshCluster_and_Connect_MeshCluster_before_any_change()
    {
        const string ns = "matrix-duplicate";
        var resolve = ModuleEngine.Run(InstallPipeline,
            Vars(("ns", ns), ("selection", Selection(("Kubeconfig", new[] { _lab.Kubeconfigs["west"], _lab.Kubeconfigs["east"] }), ("Name", new[] { "west", "west" })))));
        TheError(resolve, "DuplicateClusterName", "GetMeshCluster", ErrorCategory.InvalidArgument, "west");

        // Clusters resolved one at a time can still share a name; the mesh refuses them before it changes anything.
        var connect = ModuleEngine.Run("""
            $a = Get-MeshCluster -Kubeconfig $west -Name same
            $b = Get-MeshCluster -Kubeconfig $east -Name same
            Connect-MeshCluster -Cluster $a, $b -Namespace $ns -CreateServiceAccount
            """, Vars(("ns", ns)));
        TheError(connect, "DuplicateClusterName", "ConnectMeshCluster", ErrorCategory.InvalidArgument, "same");
        AssertNoNamespace("west", ns);
        AssertNoNamespace("east", ns);
    }

    [Fact]
    public void Clusters_given_one_network_get_a_warning_that_says_how_to_silence_it_and_no_error()
    {
        var run = ModuleEngine.Run("""
            $c = Get-MeshCluster -Kubeconfig $west, $east -Network n1, n1
            ($c | ForEach-Object { "$($_.Name)|$($_.Network)" }) -join ','
            Connect-MeshCluster -Cluster $c -Namespace matrix-one-network -WhatIf
            """, Vars());
        run.AssertNoErrors();
        Assert.Equal("west|n1,east|n1", Assert.Single(run.Output).ToString());
        Assert.Equal(2, run.Warnings.Count);
        Assert.All(run.Warnings, w =>
        {
            Assert.Contains("west, east", w);
            Assert.Contains("'n1'", w);
            Assert.Contains("Get-MeshCluster -Network", w);
            Assert.Contains("-WarningAction SilentlyContinue", w);
        });
        AssertNoNamespace("west", "matrix-one-network");

        var meant = ModuleEngine.Run("""
            $null = Get-MeshCluster -Kubeconfig $west, $east -Network n1, n1 -WarningAction SilentlyContinue
            $null = Get-MeshCluster -Kubeconfig $west, $east -Network n1, n2
            $null = Get-MeshCluster -Kubeconfig $west, $east
            """, Vars());
        meant.AssertNoErrors();
        Assert.Empty(meant.Warnings);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("corrupted")]
    public void A_malformed_or_truncated_PEM_file_is_PemMalformed_and_nothing_is_installed(string damage)
    {
        var ns = $"matrix-pem-{damage}";
        var layout = ExportedCA("layout");
        var certificate = Path.Combine(layout, "west", "ca-cert.pem");
        var pem = File.ReadAllText(certificate);
        File.WriteAllText(certificate, damage == "truncated" ? pem[..(pem.Length / 2)] : pem.Replace(pem.Split('\n')[3], "!!" + pem.Split('\n')[3][2..], StringComparison.Ordinal));
        var before = Snapshot(layout);

        var run = ModuleEngine.Run("""
            Import-MeshCA -CertificatePath "$d/west/ca-cert.pem" -KeyPath "$d/west/ca-key.pem" -RootCertificatePath "$d/root/root-cert.pem" |
                Install-MeshCACertificate -Cluster (Get-MeshCluster -Kubeconfig $west) -Namespace $ns
            """, Vars(("ns", ns), ("d", layout)));
        TheError(run, "PemMalformed", "ImportMeshCA", ErrorCategory.InvalidData, certificate);
        Assert.Empty(run.Output);
        AssertNoNamespace("west", ns);
        Assert.Equal(before, Snapshot(layout));
    }

    [Fact]
    public void An_encrypted_key_without_a_password_is_KeyEncrypted_and_nothing_is_written()
    {
        var layout = ExportedCA("layout");
        OpenSsl.Ok(Path.Combine(layout, "west"), "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "ca-key.pem", "-passout", "pass:matrix-s3cret", "-out", "ca-key-encrypted.pem");
        var key = Path.Combine(layout, "west", "ca-key-encrypted.pem");
        var run = ModuleEngine.Run("""
            Import-MeshCA -CertificatePath "$d/west/ca-cert.pem" -KeyPath $key -RootCertificatePath "$d/root/root-cert.pem" | Export-MeshCA -Path $out
            """, Vars(("d", layout), ("key", key), ("out", _dir["out"])));
        var error = TheError(run, "KeyEncrypted", "ImportMeshCA", ErrorCategory.InvalidArgument, key);
        Assert.Contains("-KeyPassword", error.ErrorDetails.RecommendedAction);
        Assert.False(Directory.Exists(_dir["out"]));
    }

    [Fact]
    public void A_root_certificate_that_is_not_a_CA_is_RootNotCA_and_nothing_is_written()
    {
        OpenSsl.Ok(_dir.Path, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "leaf-key.pem", "-subj", "/CN=productpage",
            "-days", "30", "-addext", "basicConstraints=critical,CA:false", "-out", "leaf.pem");
        var run = ModuleEngine.Run("""
            Import-MeshCA -CertificatePath $leaf -KeyPath $leafKey | Export-MeshCA -Path $out
            """, Vars(("leaf", _dir["leaf.pem"]), ("leafKey", _dir["leaf-key.pem"]), ("out", _dir["out"])));
        var error = TheError(run, "RootNotCA", "ImportMeshCA", ErrorCategory.InvalidData, _dir["leaf.pem"]);
        Assert.Contains("CN=productpage", error.ToString());
        Assert.Empty(run.Output);
        Assert.False(Directory.Exists(_dir["out"]));
    }

    [Fact]
    public void A_gateway_that_never_gets_an_address_times_out_naming_the_cluster_and_changes_nothing()
    {
        const string ns = "matrix-gateway";
        var setup = ModuleEngine.Run("""
            $null = Get-MeshCluster -Kubeconfig $west | Install-MeshEastWestGateway -Namespace $ns -LoadBalancerAnnotation @{ 'ossm-lab/ingress' = 'none' }
            """, Vars(("ns", ns)));
        setup.AssertNoErrors();
        string Service() => _lab.Kubectl("west", "-n", ns, "get", "service", "istio-eastwestgateway", "-o", "jsonpath={.metadata.resourceVersion}|{.status}");
        var before = Service();

        var run = ModuleEngine.Run("Get-MeshCluster -Kubeconfig $west | Wait-MeshGateway -Namespace $ns -Timeout 00:00:02", Vars(("ns", ns)));
        var error = TheError(run, "GatewayAddressTimeout", "WaitMeshGateway", ErrorCategory.OperationTimeout, "west");
        Assert.Contains("-ServiceType NodePort", error.ErrorDetails.RecommendedAction);
        Assert.Empty(run.Output);
        Assert.Equal(before, Service());
    }
}
