using System.Diagnostics;
using System.Management.Automation;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Engine;

/// <summary>
/// Ctrl+C: PowerShell.Stop, as the console host calls it, stops a cmdlet waiting on the lab at once, with
/// PipelineStoppedException, and leaves the clusters as they were: nothing changed by a wait, every object of an
/// install applied, a failover test's component put back.
/// </summary>
[Collection("lab")]
public sealed class StopTests
{
    /// <summary>A hang detector, not a speed target: a stop that works takes milliseconds.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    private readonly LabFixture _lab;

    public StopTests(LabFixture lab) => _lab = lab;

    private Dictionary<string, object?> Vars(string ns) => _lab.Variables(("ns", ns));

    /// <summary>
    /// What the module could have changed: each object's generation and the time of the module's field-manager entry
    /// (resourceVersion would also move when the controller manager updates a Deployment's status).
    /// </summary>
    private string Versions(string cluster, string ns) =>
        _lab.Kubectl(cluster, "-n", ns, "get", "services,deployments,gateways.networking.istio.io", "-o",
            "jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.generation}@{.metadata.managedFields[?(@.manager==\"ossm-multicluster\")].time} {end}");

    [Fact]
    public void Stopping_Wait_MeshGateway_ends_the_wait_at_once_and_changes_nothing()
    {
        const string ns = "stop-wait";
        ModuleEngine.Run("""
            $null = Get-MeshCluster -Kubeconfig $west, $east | Install-MeshEastWestGateway -Namespace $ns -LoadBalancerAnnotation @{ 'ossm-lab/ingress' = 'none' }
            """, Vars(ns)).AssertNoErrors();
        var before = (Versions("west", ns), Versions("east", ns));

        var (run, took) = StopWhile("""
            Get-MeshCluster -Kubeconfig $west, $east | Wait-MeshGateway -Namespace $ns -Timeout 00:10:00
            """, ns, "Waiting for gateway addresses");

        Assert.IsType<PipelineStoppedException>(run.Terminating);
        Assert.True(took < Bound, $"the stop took {took.TotalSeconds:0.0} s");
        Assert.Empty(run.Output);
        Assert.Empty(run.Errors);
        Assert.Equal(before, (Versions("west", ns), Versions("east", ns)));
    }

    [Fact]
    public void Stopping_an_install_while_it_waits_for_addresses_leaves_every_object_applied_and_a_rerun_unchanged()
    {
        const string ns = "stop-install";
        var (run, took) = StopWhile("""
            Get-MeshCluster -Kubeconfig $west, $east |
                Install-MeshEastWestGateway -Namespace $ns -LoadBalancerAnnotation @{ 'ossm-lab/ingress' = 'none' } -Wait -Timeout 00:10:00 |
                ForEach-Object { "$($_.Cluster)|$($_.Kind)|$($_.Action)" }
            """, ns, "Waiting for gateway addresses");

        Assert.IsType<PipelineStoppedException>(run.Terminating);
        Assert.True(took < Bound, $"the stop took {took.TotalSeconds:0.0} s");
        Assert.Empty(run.Errors);
        Assert.Equal(new[] { "west|Namespace|Created", "west|Service|Created", "west|Deployment|Created", "west|Gateway|Created",
            "east|Namespace|Created", "east|Service|Created", "east|Deployment|Created", "east|Gateway|Created" }, run.Output.Select(o => o.ToString()));

        var again = ModuleEngine.Run("""
            Get-MeshCluster -Kubeconfig $west, $east | Install-MeshEastWestGateway -Namespace $ns -LoadBalancerAnnotation @{ 'ossm-lab/ingress' = 'none' } |
                ForEach-Object Action | Sort-Object -Unique
            """, Vars(ns));
        again.AssertNoErrors();
        Assert.Equal(new[] { "Unchanged" }, again.Output.Select(o => o.ToString()));
    }

    [Fact]
    public void Stopping_Test_MeshFailover_while_it_lets_the_mesh_settle_cancels_the_wait_and_restores_the_component()
    {
        const string sample = "stop-failover-hw";
        _lab.ClientPod("west", "stop-failover-client", "sleep-0", "sleep", ready: true);
        var manifest = Path.Combine(ModuleEngine.RepoRoot, "tests", "Samples", "helloworld.yaml");
        ModuleEngine.Run($"$null = Get-MeshCluster -Kubeconfig $west | Install-MeshSample -Name Helloworld -Version v2 -Path $manifest -Namespace {sample}",
            _lab.Variables(("manifest", manifest))).AssertNoErrors();
        string Uid(string what) => _lab.Kubectl("west", "-n", sample, "get", what, "-o", "jsonpath={.metadata.uid}");
        var before = (Uid("service/helloworld"), Uid("deployment/helloworld-v2"));

        // A minute of settling: only the cancellation of the wait itself (no progress is written) ends it within the bound.
        var (run, took) = StopWhile($"""
            $c = Get-MeshCluster -Kubeconfig $west
            Test-MeshFailover -From $c -RemoveFrom $c -Sample Helloworld -Component helloworld -SampleNamespace {sample} -Version v2 -Path $manifest `
                -Namespace stop-failover-client -Url helloworld.{sample}:5000/hello -Settle 00:01:00 -Confirm:$false -Verbose |
                ForEach-Object {"{"} "$($_.Kind)|$($_.Name)|$($_.Action)" {"}"}
            """, sample, "Waiting 60 s for the mesh", ("manifest", manifest));

        Assert.IsType<PipelineStoppedException>(run.Terminating);
        Assert.True(took < Bound, $"the stop took {took.TotalSeconds:0.0} s");
        Assert.Empty(run.Errors);
        Assert.Equal(new[] { "Service|helloworld|Deleted", "Deployment|helloworld-v2|Deleted" }, run.Output.Select(o => o.ToString()));
        var after = (Uid("service/helloworld"), Uid("deployment/helloworld-v2"));
        Assert.NotEqual(before.Item1, after.Item1);
        Assert.NotEqual(before.Item2, after.Item2);
        Assert.NotEqual(0, _lab.TryKubectl("west", "-n", sample, "get", "deployment/helloworld-v1").code);
    }

    /// <summary>
    /// Runs <paramref name="script"/>, and once it has been in <paramref name="phase"/> (a progress activity, or the start
    /// of a verbose message) for a second, stops it as Ctrl+C does; returns what it produced and how long the stop took.
    /// </summary>
    private (ScriptRun run, TimeSpan took) StopWhile(string script, string ns, string phase, params (string, object?)[] variables)
    {
        using var runspace = ModuleEngine.OpenRunspace(_lab.Variables(variables.Append(("ns", ns)).ToArray()));
        using var ps = PowerShell.Create(runspace);
        ps.AddScript(script);
        using var started = new ManualResetEventSlim();
        ps.Streams.Progress.DataAdded += (sender, e) =>
        {
            if (((PSDataCollection<ProgressRecord>)sender!)[e.Index].Activity == phase)
            {
                started.Set();
            }
        };
        ps.Streams.Verbose.DataAdded += (sender, e) =>
        {
            if (((PSDataCollection<VerboseRecord>)sender!)[e.Index].Message.StartsWith(phase, StringComparison.Ordinal))
            {
                started.Set();
            }
        };

        var output = new PSDataCollection<PSObject>();
        var invocation = ps.BeginInvoke<PSObject, PSObject>(null, output);
        Assert.True(started.Wait(TimeSpan.FromMinutes(1)), $"'{phase}' never started; state {ps.InvocationStateInfo.State}: {ps.InvocationStateInfo.Reason?.Message}");
        Thread.Sleep(TimeSpan.FromSeconds(1));
        Assert.Equal(PSInvocationState.Running, ps.InvocationStateInfo.State);

        var clock = Stopwatch.StartNew();
        var stop = ps.BeginStop(null, null);
        Assert.True(stop.AsyncWaitHandle.WaitOne(Bound) && invocation.AsyncWaitHandle.WaitOne(Bound), "the pipeline did not stop");
        var took = clock.Elapsed;
        ps.EndStop(stop);
        RuntimeException? terminating = null;
        try
        {
            ps.EndInvoke(invocation);
        }
        catch (RuntimeException ex)
        {
            terminating = ex;
        }

        Assert.Equal(PSInvocationState.Stopped, ps.InvocationStateInfo.State);
        return (ModuleEngine.Collect(ps, output, terminating), took);
    }
}
