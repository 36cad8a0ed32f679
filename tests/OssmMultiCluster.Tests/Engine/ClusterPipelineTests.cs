using System.Management.Automation;
using System.Text;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Engine;

/// <summary>Get-MeshCluster and Install-MeshCACertificate against the lab's real API servers, through the engine.</summary>
[Collection("lab")]
public sealed class ClusterPipelineTests
{
    private const string Install = "OssmMultiCluster.Commands.InstallMeshCACertificateCommand";
    private readonly LabFixture _lab;

    public ClusterPipelineTests(LabFixture lab) => _lab = lab;

    private Dictionary<string, object?> Vars(params (string, object?)[] extra) => _lab.Variables(extra);

    private string SecretKey(string cluster, string ns, string key)
    {
        var base64 = _lab.Kubectl(cluster, "-n", ns, "get", "secret", "cacerts", "-o", $"jsonpath={{.data.{key.Replace(".", "\\.")}}}");
        return Encoding.ASCII.GetString(Convert.FromBase64String(base64));
    }

    [Fact]
    public void Get_MeshCluster_resolves_and_tests_the_lab_clusters_without_showing_tokens()
    {
        var run = ModuleEngine.Run("""
            $clusters = Get-MeshCluster -Kubeconfig $west, $east -Network west-network, east-network -Test -Verbose
            $clusters | ForEach-Object { "$($_.Name)|$($_.Network)|$($_.Context)|$($_.Server)" }
            $clusters | Out-String -Width 200
            $clusters | Format-List * | Out-String -Width 200
            """, Vars());
        run.AssertNoErrors();
        Assert.StartsWith("west|west-network|west|https://127.0.0.1:", run.Output[0].ToString());
        Assert.StartsWith("east|east-network|east|https://127.0.0.1:", run.Output[1].ToString());
        Assert.Contains("Network", run.Output[2].ToString());
        Assert.Contains(run.Verbose, v => v.Contains("Kubernetes v1.20"));
        var token = File.ReadAllLines(_lab.Kubeconfigs["west"]).Single(l => l.Contains("token:")).Split(':')[1].Trim();
        Assert.DoesNotContain(token, run.AllText);
    }

    [Fact]
    public void A_kubeconfig_with_another_clusters_CA_is_refused_and_the_other_cluster_still_answers()
    {
        using var dir = new TempDir();
        var eastCa = _lab.Kubectl("east", "config", "view", "--raw", "-o", "jsonpath={.clusters[0].cluster.certificate-authority-data}");
        var westCa = _lab.Kubectl("west", "config", "view", "--raw", "-o", "jsonpath={.clusters[0].cluster.certificate-authority-data}");
        File.WriteAllText(dir["west-wrong-ca"], File.ReadAllText(_lab.Kubeconfigs["west"]).Replace(westCa, eastCa));

        var run = ModuleEngine.Run("Get-MeshCluster -Kubeconfig $wrong, $east -Test", Vars(("wrong", dir["west-wrong-ca"])));
        Assert.Equal("east", Assert.Single(run.Output).Properties["Name"].Value);
        var error = Assert.Single(run.Errors);
        Assert.Equal("ClusterTlsFailed,OssmMultiCluster.Commands.GetMeshClusterCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.SecurityError, error.CategoryInfo.Category);
        Assert.Equal("west", error.TargetObject);
    }

    [Fact]
    public void The_issue_pipeline_installs_cacerts_that_verify_and_a_rerun_changes_nothing()
    {
        const string ns = "istio-pipeline";
        var run = ModuleEngine.Run("""
            $root = New-MeshRootCA -KeySize 2048
            $clusters = Get-MeshCluster -Kubeconfig $west, $east -Network west-network, east-network
            $first = $clusters | New-MeshIntermediateCA -RootCA $root | Install-MeshCACertificate -Namespace $ns
            $first | ForEach-Object { "$($_.Cluster)|$($_.Kind)|$($_.Name)|$($_.Action)" }
            $second = $clusters | New-MeshIntermediateCA -RootCA $root | Install-MeshCACertificate -Namespace $ns -ErrorAction SilentlyContinue
            '---'
            $Error[0].FullyQualifiedErrorId
            ($root | Export-MeshCA -Path $rootDir | Out-Null)
            """, Vars(("ns", ns), ("rootDir", Path.Combine(_lab.Directory, "root-" + ns))));
        Assert.Null(run.Terminating);
        Assert.Equal(new[] { "west|Namespace|istio-pipeline|Created", "west|Secret|cacerts|Created", "east|Namespace|istio-pipeline|Created", "east|Secret|cacerts|Created" },
            run.Output.Take(4).Select(o => o.ToString()));
        Assert.Equal($"CARotationRefused,{Install}", run.Output[5].ToString());

        var rootPem = Path.Combine(_lab.Directory, "root-" + ns, "root", "root-cert.pem");
        foreach (var (cluster, network) in new[] { ("west", "west-network"), ("east", "east-network") })
        {
            Assert.Equal(network, _lab.Kubectl(cluster, "get", "ns", ns, "-o", "jsonpath={.metadata.labels.topology\\.istio\\.io/network}"));
            using var dir = new TempDir();
            File.WriteAllText(dir["cert-chain.pem"], SecretKey(cluster, ns, "cert-chain.pem"));
            File.WriteAllText(dir["ca-cert.pem"], SecretKey(cluster, ns, "ca-cert.pem"));
            File.WriteAllText(dir["ca-key.pem"], SecretKey(cluster, ns, "ca-key.pem"));
            Assert.Equal(File.ReadAllText(rootPem), SecretKey(cluster, ns, "root-cert.pem"));
            Assert.Contains(": OK", OpenSsl.Ok(dir.Path, "verify", "-CAfile", rootPem, "cert-chain.pem"));
            Assert.Contains($"L = {cluster}", OpenSsl.Field(dir.Path, "ca-cert.pem", "-subject"));
            Assert.Equal(OpenSsl.Ok(dir.Path, "x509", "-in", "ca-cert.pem", "-noout", "-modulus"), OpenSsl.Ok(dir.Path, "rsa", "-in", "ca-key.pem", "-noout", "-modulus"));
        }
    }

    [Fact]
    public void Installing_the_same_CA_again_is_Unchanged_and_keeps_the_resourceVersion()
    {
        const string ns = "istio-idempotent";
        var run = ModuleEngine.Run("""
            $clusters = Get-MeshCluster -Kubeconfig $west
            $ca = $clusters | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048)
            $null = $ca | Install-MeshCACertificate -Namespace $ns
            $rv = & kubectl --kubeconfig $west -n $ns get secret cacerts -o 'jsonpath={.metadata.resourceVersion}'
            $again = $ca | Install-MeshCACertificate -Namespace $ns
            ($again | ForEach-Object Action) -join ','
            $rv -eq (& kubectl --kubeconfig $west -n $ns get secret cacerts -o 'jsonpath={.metadata.resourceVersion}')
            """, Vars(("ns", ns)));
        run.AssertNoErrors();
        Assert.Equal(new[] { "Unchanged,Unchanged", "True" }, run.Output.Select(o => o.ToString()));
    }

    [Fact]
    public void A_rotation_needs_Force_and_warns_that_istiod_must_restart()
    {
        const string ns = "istio-rotation";
        var run = ModuleEngine.Run("""
            $clusters = Get-MeshCluster -Kubeconfig $west
            $null = $clusters | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048) | Install-MeshCACertificate -Namespace $ns
            $before = & kubectl --kubeconfig $west -n $ns get secret cacerts -o 'jsonpath={.data.ca-cert\.pem}'
            $new = $clusters | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048)
            $refused = $new | Install-MeshCACertificate -Namespace $ns
            @($refused).Count
            $before -eq (& kubectl --kubeconfig $west -n $ns get secret cacerts -o 'jsonpath={.data.ca-cert\.pem}')
            ($new | Install-MeshCACertificate -Namespace $ns -Force | ForEach-Object Action) -join ','
            $before -eq (& kubectl --kubeconfig $west -n $ns get secret cacerts -o 'jsonpath={.data.ca-cert\.pem}')
            """, Vars(("ns", ns)));
        Assert.Null(run.Terminating);
        Assert.Equal(new[] { "0", "True", "Unchanged,Configured", "False" }, run.Output.Select(o => o.ToString()));
        var refusal = Assert.Single(run.Errors);
        Assert.Equal($"CARotationRefused,{Install}", refusal.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ResourceExists, refusal.CategoryInfo.Category);
        Assert.Contains(run.Warnings, w => w.Contains("rollout restart") && w.Contains("west"));
    }

    [Fact]
    public void A_forbidden_cluster_is_an_error_naming_it_and_the_other_cluster_is_still_done()
    {
        const string ns = "istio-forbidden";
        var run = ModuleEngine.Run("""
            Get-MeshCluster -Kubeconfig $nobody, $east -Name west, east | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048) |
                Install-MeshCACertificate -Namespace $ns | ForEach-Object { "$($_.Cluster)|$($_.Kind)|$($_.Action)" }
            """, Vars(("ns", ns), ("nobody", _lab.NobodyKubeconfig("west"))));
        Assert.Null(run.Terminating);
        Assert.Equal(new[] { "east|Namespace|Created", "east|Secret|Created" }, run.Output.Select(o => o.ToString()));
        var error = Assert.Single(run.Errors);
        Assert.Equal($"ClusterForbidden,{Install}", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.PermissionDenied, error.CategoryInfo.Category);
        Assert.Equal("west", error.TargetObject);
        Assert.NotEqual(0, _lab.TryKubectl("west", "get", "ns", ns).code);
    }

    [Fact]
    public void WhatIf_changes_nothing_on_the_cluster()
    {
        const string ns = "istio-whatif";
        var run = ModuleEngine.Run("""
            Get-MeshCluster -Kubeconfig $west | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048) | Install-MeshCACertificate -Namespace $ns -WhatIf
            """, Vars(("ns", ns)));
        run.AssertNoErrors();
        Assert.Empty(run.Output);
        Assert.NotEqual(0, _lab.TryKubectl("west", "get", "ns", ns).code);
    }

    [Fact]
    public void Imported_CAs_are_matched_to_clusters_by_name()
    {
        const string ns = "istio-imported";
        using var dir = new TempDir();
        var run = ModuleEngine.Run("""
            $null = 'west', 'east' | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048) | Export-MeshCA -Path $d
            $clusters = Get-MeshCluster -Kubeconfig $west, $east
            Import-MeshCA -Path $d | Where-Object Kind -eq Intermediate | Install-MeshCACertificate -Cluster $clusters -Namespace $ns |
                ForEach-Object { "$($_.Cluster)|$($_.Kind)|$($_.Action)" }
            """, Vars(("ns", ns), ("d", dir.Path)));
        run.AssertNoErrors();
        Assert.Equal(new[] { "east|Namespace|Created", "east|Secret|Created", "west|Namespace|Created", "west|Secret|Created" }, run.Output.Select(o => o.ToString()));
    }
}

/// <summary>A cluster that goes down must not hide the others. Its own lab cluster (doomed) is stopped here.</summary>
[Collection("lab")]
public sealed class StoppedClusterTests
{
    private readonly LabFixture _lab;

    public StoppedClusterTests(LabFixture lab) => _lab = lab;

    [Fact]
    public void A_stopped_cluster_is_an_error_naming_it_and_the_running_one_is_still_done()
    {
        const string ns = "istio-stopped";
        var clusters = ModuleEngine.Run("$c = Get-MeshCluster -Kubeconfig $west, $doomed; $c", _lab.Variables());
        clusters.AssertNoErrors();
        _lab.StopCluster("doomed");
        var run = ModuleEngine.Run("""
            Get-MeshCluster -Kubeconfig $west, $doomed | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048) |
                Install-MeshCACertificate -Namespace $ns | ForEach-Object { "$($_.Cluster)|$($_.Kind)|$($_.Action)" }
            """, _lab.Variables(("ns", ns)));
        Assert.Null(run.Terminating);
        Assert.Equal(new[] { "west|Namespace|Created", "west|Secret|Created" }, run.Output.Select(o => o.ToString()));
        var error = Assert.Single(run.Errors);
        Assert.Equal("ClusterUnreachable,OssmMultiCluster.Commands.InstallMeshCACertificateCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ConnectionError, error.CategoryInfo.Category);
        Assert.Equal("doomed", error.TargetObject);
        Assert.Contains("doomed", error.ToString());

        var status = ModuleEngine.Run("Get-MeshStatus -Cluster (Get-MeshCluster -Kubeconfig $west, $doomed) | Where-Object Check | ForEach-Object { \"$($_.Cluster)|$($_.Check)|$($_.Status)\" }",
            _lab.Variables());
        status.AssertNoErrors();
        Assert.Contains("doomed|reachable|Error", status.Output.Select(o => o.ToString()));
        Assert.Contains(status.Output.Select(o => o.ToString()), line => line!.StartsWith("west|network|", StringComparison.Ordinal));
        Assert.DoesNotContain("west|reachable|Error", status.Output.Select(o => o.ToString()));
    }
}
