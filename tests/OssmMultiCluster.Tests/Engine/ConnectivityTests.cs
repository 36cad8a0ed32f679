using System.Management.Automation;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Engine;

/// <summary>
/// Test-MeshConnectivity on the lab: client pods are real API objects (created, their status patched as a kubelet
/// would), so finding the client pod is real; the lab has no kubelet, so the exec itself is the scripted stand-in
/// ScriptedPodExec, written in PowerShell against the module's IPodExec and put in through the internal seam.
/// </summary>
[Collection("lab")]
public sealed class ConnectivityTests
{
    /// <summary>
    /// Defines the stand-in and installs it in ConnectivityTester.PodExecFactory (internal: set by reflection on the
    /// type the module loaded in its own load context); <c>Restore-PodExec</c> puts the real one back.
    /// </summary>
    private const string StandIn = """
        class ScriptedPodExec : OssmMultiCluster.Mesh.Connectivity.IPodExec {
            [System.Collections.Generic.List[string]] $Calls = [System.Collections.Generic.List[string]]::new()
            [System.Threading.Tasks.Task[OssmMultiCluster.Mesh.Connectivity.PodExecResult]] ExecAsync(
                [OssmMultiCluster.Model.MeshCluster] $cluster, [string] $ns, [string] $pod, [string] $container,
                [System.Collections.Generic.IReadOnlyList[string]] $command, [System.Threading.CancellationToken] $ct) {
                $this.Calls.Add("$cluster|$ns/$pod|$container|$($command -join ' ')")
                $version = if ($this.Calls.Count % 2) { 'v1' } else { 'v2' }
                $reply = [OssmMultiCluster.Mesh.Connectivity.PodExecResult]::new(
                    "Hello version: $version, instance: helloworld-$version-758dd55874-6x4t8`n`n200 0.0125", '', 0)
                return [System.Threading.Tasks.Task]::FromResult($reply)
            }
        }
        $seam = [OssmMultiCluster.Mesh.Connectivity.ConnectivityTester].GetProperty('PodExecFactory', [System.Reflection.BindingFlags]'NonPublic,Static')
        $realExec = $seam.GetValue($null)
        $stub = [ScriptedPodExec]::new()
        function Use-ScriptedPodExec { $seam.SetValue($null, [Func[OssmMultiCluster.Mesh.Connectivity.IPodExec]]{ $stub }.GetNewClosure()) }
        function Restore-PodExec { $seam.SetValue($null, $realExec) }

        """;

    private readonly LabFixture _lab;

    public ConnectivityTests(LabFixture lab) => _lab = lab;

    private Dictionary<string, object?> Vars(params (string, object?)[] extra) => _lab.Variables(extra);

    private void Pod(string ns, string name, string app, bool? ready) => _lab.ClientPod("west", ns, name, app, ready);

    [Fact]
    public void Test_MeshFailover_removes_the_component_proves_it_is_still_served_and_restores_it()
    {
        Pod("conn-failover", "sleep-0", "sleep", ready: true);
        var manifest = Path.Combine(ModuleEngine.RepoRoot, "tests", "Samples", "helloworld.yaml");
        var run = ModuleEngine.Run(StandIn + """
            $c = Get-MeshCluster -Kubeconfig $west
            $null = $c | Install-MeshSample -Name Helloworld -Version v2 -Path $manifest -Namespace failover-hw
            Use-ScriptedPodExec
            try {
                $out = Test-MeshFailover -From $c -RemoveFrom $c -Sample Helloworld -Component helloworld -SampleNamespace failover-hw -Version v2 `
                    -Path $manifest -Namespace conn-failover -Url helloworld.failover-hw:5000/hello -Count 4 -Settle 0 -Confirm:$false
                $out | Where-Object { $_.PSObject.TypeNames[0] -eq 'OssmMultiCluster.Model.MeshResourceResult' } | ForEach-Object { "$($_.Kind)|$($_.Name)|$($_.Action)" }
                $verdict = $out[-1]
                "$($verdict.GetType().Name)|$($verdict.Passed)|$($verdict.Restored)|$($verdict.RemovedFrom)"
                @($out | Where-Object { $_.PSObject.TypeNames[0] -eq 'OssmMultiCluster.Model.MeshConnectivityProbe' }).Count
            }
            finally { Restore-PodExec }
            """, Vars(("manifest", manifest)));
        run.AssertNoErrors();
        Assert.Equal(new[]
        {
            "Service|helloworld|Deleted", "Deployment|helloworld-v2|Deleted",
            "Namespace|failover-hw|Unchanged", "Service|helloworld|Created", "Deployment|helloworld-v2|Created",
            "MeshFailoverResult|True|True|west", "4",
        }, run.Output.Select(o => o.ToString()));
        Assert.Equal(0, _lab.TryKubectl("west", "-n", "failover-hw", "get", "deployment", "helloworld-v2").code);
        Assert.NotEqual(0, _lab.TryKubectl("west", "-n", "failover-hw", "get", "deployment", "helloworld-v1").code);
    }

    [Fact]
    public void Test_MeshFailover_that_cannot_send_its_requests_restores_the_component_before_reporting_why()
    {
        Pod("conn-failover-nocurl", "sleep-0", "sleep", ready: true);
        var manifest = Path.Combine(ModuleEngine.RepoRoot, "tests", "Samples", "helloworld.yaml");
        var run = ModuleEngine.Run("""
            class NoCurlPodExec : OssmMultiCluster.Mesh.Connectivity.IPodExec {
                [System.Threading.Tasks.Task[OssmMultiCluster.Mesh.Connectivity.PodExecResult]] ExecAsync(
                    [OssmMultiCluster.Model.MeshCluster] $cluster, [string] $ns, [string] $pod, [string] $container,
                    [System.Collections.Generic.IReadOnlyList[string]] $command, [System.Threading.CancellationToken] $ct) {
                    return [System.Threading.Tasks.Task]::FromResult([OssmMultiCluster.Mesh.Connectivity.PodExecResult]::new('', 'exec: "curl": executable file not found in $PATH', 127))
                }
            }
            $seam = [OssmMultiCluster.Mesh.Connectivity.ConnectivityTester].GetProperty('PodExecFactory', [System.Reflection.BindingFlags]'NonPublic,Static')
            $realExec = $seam.GetValue($null)
            $stub = [NoCurlPodExec]::new()
            $c = Get-MeshCluster -Kubeconfig $west
            $null = $c | Install-MeshSample -Name Helloworld -Version v2 -Path $manifest -Namespace failover-nocurl
            $seam.SetValue($null, [Func[OssmMultiCluster.Mesh.Connectivity.IPodExec]]{ $stub }.GetNewClosure())
            try {
                Test-MeshFailover -From $c -RemoveFrom $c -Sample Helloworld -Component helloworld -SampleNamespace failover-nocurl -Version v2 `
                    -Path $manifest -Namespace conn-failover-nocurl -Url helloworld.failover-nocurl:5000/hello -Count 2 -Settle 0 -Confirm:$false |
                    ForEach-Object { "$($_.Kind)|$($_.Name)|$($_.Action)" }
            }
            finally { $seam.SetValue($null, $realExec) }
            """, Vars(("manifest", manifest)));
        Assert.Equal(new[]
        {
            "Service|helloworld|Deleted", "Deployment|helloworld-v2|Deleted",
            "Namespace|failover-nocurl|Unchanged", "Service|helloworld|Created", "Deployment|helloworld-v2|Created",
        }, run.Output.Select(o => o.ToString()));
        Assert.Equal("CurlMissing,OssmMultiCluster.Commands.TestMeshFailoverCommand", Assert.Single(run.Errors).FullyQualifiedErrorId);
        Assert.Equal(0, _lab.TryKubectl("west", "-n", "failover-nocurl", "get", "deployment", "helloworld-v2").code);
    }

    [Fact]
    public void No_pod_matching_the_selector_is_NoClientPod_saying_how_to_deploy_sleep()
    {
        var run = ModuleEngine.Run("""
            Get-MeshCluster -Kubeconfig $west | Test-MeshConnectivity -Namespace conn-none -Url helloworld.sample:5000/hello
            """, Vars());
        Assert.Empty(run.Output);
        var error = Assert.Single(run.Errors);
        Assert.Equal("NoClientPod,OssmMultiCluster.Commands.TestMeshConnectivityCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Equal("west", error.TargetObject);
        Assert.Contains("'app=sleep' in namespace 'conn-none'", error.ToString());
        Assert.Contains("samples/sleep/sleep.yaml", error.ErrorDetails.RecommendedAction);
    }

    [Fact]
    public void Pods_that_are_not_Running_and_ready_are_ClientPodNotReady_naming_each_state()
    {
        Pod("conn-notready", "sleep-pending", "sleep", ready: null);
        Pod("conn-notready", "sleep-starting", "sleep", ready: false);
        var run = ModuleEngine.Run("""
            Get-MeshCluster -Kubeconfig $west | Test-MeshConnectivity -Namespace conn-notready -Url helloworld.sample:5000/hello
            """, Vars());
        Assert.Empty(run.Output);
        var error = Assert.Single(run.Errors);
        Assert.Equal("ClientPodNotReady,OssmMultiCluster.Commands.TestMeshConnectivityCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidOperation, error.CategoryInfo.Category);
        Assert.Contains("sleep-pending: Pending", error.ToString());
        Assert.Contains("sleep-starting: Running, not ready: sleep", error.ToString());
        Assert.Contains("kubectl -n conn-notready wait pod -l app=sleep", error.ErrorDetails.RecommendedAction);
    }

    [Fact]
    public void The_first_ready_pod_by_name_is_used_its_client_container_not_the_sidecar_and_probes_and_verdict_come_out()
    {
        Pod("conn-test", "sleep-c", "sleep", ready: true);
        Pod("conn-test", "sleep-b", "sleep", ready: true);
        Pod("conn-test", "sleep-a", "sleep", ready: false);
        Pod("conn-test", "curl-0", "other", ready: true);
        var run = ModuleEngine.Run(StandIn + """
            Use-ScriptedPodExec
            try {
                $out = Get-MeshCluster -Kubeconfig $west | Test-MeshConnectivity -Namespace conn-test -Url helloworld.sample:5000/hello -Count 4
                $out | Where-Object { $_.PSObject.TypeNames[0] -eq 'OssmMultiCluster.Model.MeshConnectivityProbe' } |
                    ForEach-Object { "$($_.Cluster)|$($_.Pod)|$($_.Index)|$($_.StatusCode)|$($_.TimeMs)|$($_.ServedBy)" }
                $result = $out[-1]
                "$($result.GetType().Name)|$($result.Passed)|$($result.Requests)|$($result.Succeeded)|$($result.DistinctServers)|$($result.Distribution['v1'])|$($result.Distribution['v2'])"
                $stub.Calls[0]
                # The probes' table; the verdict, shown alone, in its own (in a mixed stream PowerShell lists the second type).
                $probes = $out | Out-String -Width 200
                $verdict = $result | Out-String -Width 200
                $probes -match '(?m)^Cluster\s+Index\s+Status\s+TimeMs\s+ServedBy\s+Detail' -and $probes -match '(?m)^west\s+4\s+200\s+12[.,]5\s+v2' -and
                    $verdict -match '(?m)^From\s+Passed\s+Succeeded\s+Distribution\s+Detail' -and
                    $verdict -match '(?m)^west\s+True\s+4/4\s+v1=2, v2=2\s+4 of 4 requests succeeded'
                $other = Get-MeshCluster -Kubeconfig $west | Test-MeshConnectivity -Namespace conn-test -Selector app=other -Container sleep -Url x.y/z -Count 1 -MinClusters 1
                $stub.Calls[-1]
            } finally { Restore-PodExec }
            """, Vars());
        run.AssertNoErrors();
        Assert.Equal(new[]
        {
            "west|conn-test/sleep-b|1|200|12.5|v1", "west|conn-test/sleep-b|2|200|12.5|v2",
            "west|conn-test/sleep-b|3|200|12.5|v1", "west|conn-test/sleep-b|4|200|12.5|v2",
            "MeshConnectivityResult|True|4|4|2|2|2",
            @"west|conn-test/sleep-b|sleep|curl -sS -o - -w \n%{http_code} %{time_total} --max-time 10 http://helloworld.sample:5000/hello",
            "True",
            @"west|conn-test/curl-0|sleep|curl -sS -o - -w \n%{http_code} %{time_total} --max-time 10 http://x.y/z",
        }, run.Output.Select(o => o.ToString()));
        Assert.DoesNotContain(File.ReadAllText(_lab.Kubeconfigs["west"]).Split("token: ").Skip(1).Select(t => t.Split('\n')[0].Trim()).FirstOrDefault() ?? "\0", run.AllText);
    }

    [Fact]
    public void A_container_the_pod_does_not_have_is_ClientContainerNotFound()
    {
        Pod("conn-container", "sleep-0", "sleep", ready: true);
        var run = ModuleEngine.Run("""
            Get-MeshCluster -Kubeconfig $west | Test-MeshConnectivity -Namespace conn-container -Container curl -Url helloworld.sample:5000/hello
            """, Vars());
        var error = Assert.Single(run.Errors);
        Assert.Equal("ClientContainerNotFound,OssmMultiCluster.Commands.TestMeshConnectivityCommand", error.FullyQualifiedErrorId);
        Assert.Contains("it has istio-proxy, sleep", error.ToString());
    }

    [Fact]
    public void The_real_exec_against_a_pod_no_kubelet_runs_is_an_ExecFailed_error_naming_the_pod_not_a_crash()
    {
        Pod("conn-realexec", "sleep-0", "sleep", ready: true);
        var run = ModuleEngine.Run("""
            Get-MeshCluster -Kubeconfig $west | Test-MeshConnectivity -Namespace conn-realexec -Url helloworld.sample:5000/hello -Count 1
            """, Vars());
        Assert.Null(run.Terminating);
        Assert.Empty(run.Output);
        var error = Assert.Single(run.Errors);
        // The API server refuses the WebSocket upgrade (400: the pod has no node), which is all the lab can show of the real exec.
        Assert.Equal("ExecFailed,OssmMultiCluster.Commands.TestMeshConnectivityCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ConnectionError, error.CategoryInfo.Category);
        Assert.Contains("could not run curl in pod conn-realexec/sleep-0", error.ToString());
        Assert.Contains("kubectl -n conn-realexec exec sleep-0 -c sleep -- true", error.ErrorDetails.RecommendedAction);
    }

    [Fact]
    public void An_invalid_pattern_or_url_stops_before_any_cluster_is_asked()
    {
        var run = ModuleEngine.Run("""
            Get-MeshCluster -Kubeconfig $west | Test-MeshConnectivity -Url helloworld.sample:5000/hello -Pattern '(unclosed'
            """, Vars());
        Assert.Empty(run.Output);
        Assert.Equal("PatternInvalid,OssmMultiCluster.Commands.TestMeshConnectivityCommand", Assert.Single(run.ErrorIds));
        run = ModuleEngine.Run("""
            Get-MeshCluster -Kubeconfig $west | Test-MeshConnectivity -Url '--config=/etc/passwd'
            """, Vars());
        Assert.Equal("UrlInvalid,OssmMultiCluster.Commands.TestMeshConnectivityCommand", Assert.Single(run.ErrorIds));
    }
}
