using System.Management.Automation;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Mesh.Connectivity;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// The walkthrough's failover check (steps 18-19) as one command: remove a sample component from one cluster, prove
/// that requests from the client cluster are still served (by another cluster), then restore the component.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "MeshFailover", SupportsShouldProcess = true)]
[OutputType(typeof(MeshResourceResult), typeof(MeshConnectivityProbe), typeof(MeshConnectivityResult), typeof(MeshFailoverResult))]
public sealed class TestMeshFailoverCommand : MeshProbeCmdlet
{
    /// <summary>The cluster whose client pod sends the requests.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNull]
    [ArgumentCompleter(typeof(SingleMeshClusterCompleter))]
    public MeshCluster From { get; set; } = null!;

    /// <summary>The cluster the component is removed from.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNull]
    [ArgumentCompleter(typeof(SingleMeshClusterCompleter))]
    public MeshCluster RemoveFrom { get; set; } = null!;

    [Parameter(Mandatory = true)]
    public MeshSampleName Sample { get; set; }

    /// <summary>The component to remove, e.g. productpage: its Service and the Deployments labelled app=&lt;component&gt;.</summary>
    [Parameter(Mandatory = true)]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    [ArgumentCompleter(typeof(SampleComponentCompleter))]
    public string Component { get; set; } = string.Empty;

    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Url { get; set; } = string.Empty;

    /// <summary>The sample's namespace; default its name.</summary>
    [Parameter]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string? SampleNamespace { get; set; }

    /// <summary>helloworld: the version that was deployed on -RemoveFrom, restored as it was.</summary>
    [Parameter]
    [ValidateSet("v1", "v2")]
    public string? Version { get; set; }

    /// <summary>How long to let the mesh notice the removal before sending requests.</summary>
    [Parameter]
    public TimeSpan Settle { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The sample's manifest for the restore (offline); default the walkthrough's upstream one.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Leave the component removed.</summary>
    [Parameter]
    public SwitchParameter NoRestore { get; set; }

    private protected override void End()
    {
        var sampleNamespace = SampleNamespace ?? Sample.ToString().ToLowerInvariant();
        if (!ShouldProcess($"cluster {RemoveFrom.Name}", $"Remove {sampleNamespace}/{Component}, send {Count} request(s) to {Url} from {From.Name}{(NoRestore ? string.Empty : ", restore it")}"))
        {
            return;
        }

        IReadOnlyList<KubeObject>? restore = null;
        var removed = false;
        try
        {
            var tester = CreateTester(Url);
            restore = NoRestore ? null : RestoreObjects(sampleNamespace);
            var pod = FindClientPod(From);

            WriteOutcome(Run(ct => Samples.RemoveAsync(RemoveFrom, sampleNamespace, Component, ct)));
            removed = true;
            WriteVerbose($"Waiting {Settle.TotalSeconds:0} s for the mesh to notice that {Component} left cluster '{RemoveFrom.Name}'.");
            Run(ct => Task.Delay(Settle, ct), $"Waiting {Settle.TotalSeconds:0} s for the mesh to notice that {Component} left cluster '{RemoveFrom.Name}'");

            var probes = SendProbes(tester, From, pod, Url);
            var connectivity = ConnectivityTester.Summarize(From.Name, Url, probes, minClusters: 0);
            WriteObject(connectivity);
            if (restore is not null)
            {
                var restored = Run(ct => RestoreAsync(restore, ct));
                removed = false;
                WriteOutcome(restored);
            }

            var passed = connectivity.Succeeded == connectivity.Requests;
            WriteObject(new MeshFailoverResult(RemoveFrom.Name, Component, From.Name, Url, passed, restore is not null,
                passed
                    ? $"All {connectivity.Requests} request(s) were served with {Component} gone from '{RemoveFrom.Name}'."
                    : $"{connectivity.Requests - connectivity.Succeeded} of {connectivity.Requests} request(s) failed with {Component} gone from '{RemoveFrom.Name}': check Get-MeshStatus (remote secrets, mesh networks, gateways)."));
        }
        catch (MeshException error)
        {
            if (removed && restore is not null)
            {
                // The check failed after the removal: restore anyway, then report why it failed.
                try
                {
                    WriteOutcome(Run(ct => RestoreAsync(restore, ct)));
                }
                catch (MeshException restoreError)
                {
                    WriteMeshError(restoreError);
                }
            }

            ThrowMeshError(error);
        }
        catch (PipelineStoppedException) when (removed && restore is not null)
        {
            RestoreWhileStopping(restore);
            throw;
        }
    }

    /// <summary>
    /// Ctrl+C after the component was removed: put it back before stopping, as the command promised, so a stopped
    /// failover test does not leave the sample broken. Nothing can be written any more; the restore gets its own
    /// short deadline since the command's cancellation has fired.
    /// </summary>
    private void RestoreWhileStopping(IReadOnlyList<KubeObject> restore)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            RestoreAsync(restore, deadline.Token).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is MeshException or OperationCanceledException)
        {
            // The stop goes on; the component is then missing, as 'Install-MeshSample' or a re-run would tell.
        }
    }

    /// <summary>Puts the removed component back: the sample's objects applied again on the cluster it left.</summary>
    private Task<InstallOutcome> RestoreAsync(IReadOnlyList<KubeObject> restore, CancellationToken cancellation) =>
        ObjectInstaller.InstallAsync(RemoveFrom, restore, Array.Empty<(KubeKind, string)>(), force: false, cancellation);

    /// <summary>The sample's objects for the restore, read before anything is removed so a bad manifest removes nothing.</summary>
    private IReadOnlyList<KubeObject> RestoreObjects(string sampleNamespace)
    {
        var file = Path is null ? null : GetUnresolvedProviderPathFromPSPath(Path);
        var (manifest, source) = Run(ct => Samples.LoadAsync(Sample, file, uri: null, ct));
        return Samples.Objects(manifest, source, sampleNamespace, Sample == MeshSampleName.Helloworld ? Version : null);
    }
}
