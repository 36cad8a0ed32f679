using OssmMultiCluster.Kube;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh.Connectivity;

/// <summary>
/// What Test-MeshFailover was asked: the client cluster (<see cref="From"/>), the cluster a sample component leaves
/// (<see cref="RemoveFrom"/>), the URL the requests go to, how long the mesh is given to notice, and where the sample's
/// manifest for the restore comes from (<see cref="ManifestFile"/>, already resolved; null: upstream's).
/// </summary>
internal sealed record FailoverOptions(MeshCluster From, MeshCluster RemoveFrom, MeshSampleName Sample, string Component, string Url, string SampleNamespace,
    ProbeOptions Probe)
{
    /// <summary>helloworld: the version that was deployed on <see cref="RemoveFrom"/>, restored as it was.</summary>
    public string? Version { get; init; }

    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(10);

    public string? ManifestFile { get; init; }

    /// <summary>Put the component back at the end (false: -NoRestore).</summary>
    public bool Restore { get; init; } = true;
}

/// <summary>
/// The walkthrough's failover check (steps 18-19): remove a sample component from one cluster, let the mesh settle,
/// send requests from the client cluster, then restore the component. Whatever ends the check after the removal (a
/// failure, Ctrl+C, a failed write) restores the component before the check ends.
/// </summary>
internal static class FailoverTest
{
    /// <summary>How long a restore after Ctrl+C may take: the command's own cancellation has already fired.</summary>
    public static readonly TimeSpan RestoreOnStopDeadline = TimeSpan.FromSeconds(30);

    public static async Task RunAsync(IMeshHost host, FailoverOptions options)
    {
        var (from, removeFrom, component, url) = (options.From, options.RemoveFrom, options.Component, options.Url);
        if (!await host.ShouldProcessAsync($"cluster {removeFrom.Name}",
                $"Remove {options.SampleNamespace}/{component}, send {options.Probe.Count} request(s) to {url} from {from.Name}{(options.Restore ? ", restore it" : string.Empty)}").ConfigureAwait(false))
        {
            return;
        }

        var cancellation = host.Cancellation;
        IReadOnlyList<KubeObject>? restore = null;
        var removed = false;
        try
        {
            var tester = ProbeRun.CreateTester(options.Probe, url);
            restore = options.Restore ? await RestoreObjectsAsync(options, cancellation).ConfigureAwait(false) : null;
            var pod = await ProbeRun.FindClientPodAsync(from, options.Probe, cancellation).ConfigureAwait(false);

            ClusterWork.Report(host, await Samples.RemoveAsync(removeFrom, options.SampleNamespace, component, cancellation).ConfigureAwait(false));
            removed = true;
            await SettleAsync(host, options).ConfigureAwait(false);

            var probes = await ProbeRun.SendAsync(host, tester, options.Probe, from, pod, url).ConfigureAwait(false);
            var connectivity = ConnectivityTester.Summarize(from.Name, url, probes, minClusters: 0);
            host.WriteObject(connectivity);
            if (restore is not null)
            {
                var restored = await RestoreAsync(removeFrom, restore, cancellation).ConfigureAwait(false);
                removed = false;
                ClusterWork.Report(host, restored);
            }

            var passed = connectivity.Succeeded == connectivity.Requests;
            host.WriteObject(new MeshFailoverResult(removeFrom.Name, component, from.Name, url, passed, restore is not null,
                passed
                    ? $"All {connectivity.Requests} request(s) were served with {component} gone from '{removeFrom.Name}'."
                    : $"{connectivity.Requests - connectivity.Succeeded} of {connectivity.Requests} request(s) failed with {component} gone from '{removeFrom.Name}': check Get-MeshStatus (remote secrets, mesh networks, gateways)."));
        }
        catch (MeshException) when (removed && restore is not null && !cancellation.IsCancellationRequested)
        {
            // The check failed after the removal: restore anyway, then report why it failed.
            try
            {
                ClusterWork.Report(host, await RestoreAsync(removeFrom, restore, cancellation).ConfigureAwait(false));
            }
            catch (MeshException restoreError)
            {
                host.WriteError(restoreError);
            }

            throw;
        }
        catch (Exception) when (removed && restore is not null && cancellation.IsCancellationRequested)
        {
            await RestoreWhileStoppingAsync(removeFrom, restore).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Ctrl+C (or a write that failed) after the component was removed: put it back before stopping, as the command
    /// promised, so a stopped failover test does not leave the sample broken. Nothing can be written any more; the
    /// restore gets its own short deadline since the command's cancellation has fired.
    /// </summary>
    private static async Task RestoreWhileStoppingAsync(MeshCluster cluster, IReadOnlyList<KubeObject> restore)
    {
        using var deadline = new CancellationTokenSource(RestoreOnStopDeadline);
        try
        {
            await RestoreAsync(cluster, restore, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is MeshException or OperationCanceledException)
        {
            // The stop goes on; the component is then missing, as 'Install-MeshSample' or a re-run would tell.
        }
    }

    /// <summary>Lets the mesh notice the removal, with progress while waiting.</summary>
    private static async Task SettleAsync(IMeshHost host, FailoverOptions options)
    {
        var waiting = $"Waiting {options.Settle.TotalSeconds:0} s for the mesh to notice that {options.Component} left cluster '{options.RemoveFrom.Name}'";
        host.WriteVerbose(waiting + ".");
        host.WriteProgress(waiting, string.Empty);
        try
        {
            await Task.Delay(options.Settle, host.Cancellation).ConfigureAwait(false);
        }
        finally
        {
            host.WriteProgress(waiting, string.Empty, completed: true);
        }
    }

    /// <summary>Puts the removed component back: the sample's objects applied again on the cluster it left.</summary>
    private static Task<InstallOutcome> RestoreAsync(MeshCluster cluster, IReadOnlyList<KubeObject> restore, CancellationToken cancellation) =>
        ObjectInstaller.InstallAsync(cluster, restore, Array.Empty<(KubeKind, string)>(), force: false, cancellation);

    /// <summary>The sample's objects for the restore, read before anything is removed so a bad manifest removes nothing.</summary>
    private static async Task<IReadOnlyList<KubeObject>> RestoreObjectsAsync(FailoverOptions options, CancellationToken cancellation)
    {
        var (manifest, source) = await Samples.LoadAsync(options.Sample, options.ManifestFile, uri: null, cancellation).ConfigureAwait(false);
        return Samples.Objects(manifest, source, options.SampleNamespace, options.Sample == MeshSampleName.Helloworld ? options.Version : null);
    }
}
