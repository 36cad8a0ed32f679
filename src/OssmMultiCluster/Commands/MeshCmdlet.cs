using System.Collections.Concurrent;
using System.Management.Automation;
using OssmMultiCluster.Kube;

namespace OssmMultiCluster.Commands;

/// <summary>
/// What every cmdlet of the module shares: a cancellation token that Ctrl+C (StopProcessing) trips, waiting on the
/// services' tasks from the pipeline thread (writing their API calls as verbose messages meanwhile), and the one
/// mapping from <see cref="MeshException"/> to ErrorRecord.
/// </summary>
public abstract class MeshCmdlet : PSCmdlet, IDisposable
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentQueue<string> _apiCalls = new();

    private protected CancellationToken Cancellation => _stopping.Token;

    protected override void StopProcessing() => _stopping.Cancel();

    /// <summary>
    /// Starts <paramref name="work"/> off the pipeline thread with this cmdlet listening to its API calls, and waits for
    /// it; Ctrl+C cancels it and stops the wait at once.
    /// </summary>
    /// <param name="activity">With an activity, the wait shows progress under that name.</param>
    private protected T Run<T>(Func<CancellationToken, Task<T>> work, string? activity = null) => Await(Start(work), activity);

    /// <summary>Like <see cref="Run{T}(Func{CancellationToken, Task{T}}, string?)"/> for work without a result.</summary>
    private protected void Run(Func<CancellationToken, Task> work, string? activity = null) => Await(Start(async ct =>
    {
        await work(ct).ConfigureAwait(false);
        return true;
    }), activity);

    /// <summary>Waits for <paramref name="task"/> on the pipeline thread, with progress if given an activity; Ctrl+C stops the wait at once.</summary>
    private protected T Await<T>(Task<T> task, string? activity = null)
    {
        var progress = activity is null ? null : NewProgress(activity);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            while (!task.Wait(Poll, Cancellation))
            {
                WriteApiCalls();
                if (progress is not null)
                {
                    progress.StatusDescription = $"{clock.Elapsed.TotalSeconds:0} s";
                    WriteProgress(progress);
                }
            }
        }
        catch (AggregateException)
        {
            // The task failed: GetResult below rethrows its exception as it is.
        }
        catch (OperationCanceledException) when (Cancellation.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        finally
        {
            WriteApiCalls();
            if (progress is not null)
            {
                progress.RecordType = ProgressRecordType.Completed;
                WriteProgress(progress);
            }
        }

        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (Cancellation.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    /// <summary>
    /// Runs one piece of work per cluster concurrently and writes each result from the pipeline thread, in the
    /// order given, with progress while waiting. A failing cluster becomes an error record naming it; the others go on.
    /// </summary>
    private protected void ForEachCluster<T>(string activity, IReadOnlyList<(string cluster, Func<CancellationToken, Task<T>> work)> items, Action<T> write)
    {
        var tasks = items.Select(item => Start(item.work)).ToList();
        var progress = NewProgress(activity);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < items.Count; i++)
        {
            while (true)
            {
                progress.StatusDescription = $"{items[i].cluster} ({i + 1} of {items.Count}), {clock.Elapsed.TotalSeconds:0} s";
                progress.PercentComplete = 100 * i / items.Count;
                WriteProgress(progress);
                WriteApiCalls();
                try
                {
                    if (tasks[i].Wait(Poll, Cancellation))
                    {
                        break;
                    }
                }
                catch (AggregateException)
                {
                    break;
                }
                catch (OperationCanceledException) when (Cancellation.IsCancellationRequested)
                {
                    throw new PipelineStoppedException();
                }
            }

            try
            {
                write(Await(tasks[i]));
            }
            catch (MeshException error)
            {
                WriteMeshError(error);
            }
        }

        progress.RecordType = ProgressRecordType.Completed;
        WriteProgress(progress);
    }

    /// <summary>A progress record for <paramref name="activity"/>, its id derived from the activity's name.</summary>
    private protected static ProgressRecord NewProgress(string activity) => new(Math.Abs(activity.GetHashCode()) % 100000, activity, "Starting");

    /// <summary>Starts work on the thread pool with this cmdlet as the listener of the API calls it makes.</summary>
    private Task<T> Start<T>(Func<CancellationToken, Task<T>> work)
    {
        var token = Cancellation;
        return Task.Run(() =>
        {
            ApiLog.Current = _apiCalls.Enqueue;
            return work(token);
        }, token);
    }

    /// <summary>The API calls made since the last look, as verbose messages (written from the pipeline thread only).</summary>
    private void WriteApiCalls()
    {
        while (_apiCalls.TryDequeue(out var call))
        {
            WriteVerbose(call);
        }
    }

    /// <summary>Writes what working on one cluster did: its warnings, its results, then what failed.</summary>
    private protected void WriteOutcome(Kube.InstallOutcome outcome)
    {
        foreach (var warning in outcome.Warnings)
        {
            WriteWarning(warning);
        }

        foreach (var taken in outcome.Results.Where(r => r.OwnershipTaken is not null))
        {
            WriteWarning($"Cluster '{taken.Cluster}': -Force took ownership of fields of {taken.Describe()} " +
                         $"from another field manager, and overwrote their values: {taken.OwnershipTaken}");
        }

        WriteObject(outcome.Results, enumerateCollection: true);
        foreach (var error in outcome.Errors)
        {
            WriteMeshError(error);
        }
    }

    private protected void WriteMeshError(MeshException error) => WriteError(ToErrorRecord(error));

    private protected void ThrowMeshError(MeshException error) => ThrowTerminatingError(ToErrorRecord(error));

    internal static ErrorRecord ToErrorRecord(MeshException error)
    {
        var record = new ErrorRecord(error, error.ErrorId, CategoryOf(error.Kind), error.Target)
        {
            ErrorDetails = new ErrorDetails(error.Message) { RecommendedAction = error.RecommendedAction },
        };
        return record;
    }

    private static ErrorCategory CategoryOf(MeshErrorKind kind) => kind switch
    {
        MeshErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        MeshErrorKind.InvalidData => ErrorCategory.InvalidData,
        MeshErrorKind.InvalidOperation => ErrorCategory.InvalidOperation,
        MeshErrorKind.ResourceExists => ErrorCategory.ResourceExists,
        MeshErrorKind.ObjectNotFound => ErrorCategory.ObjectNotFound,
        MeshErrorKind.SecurityError => ErrorCategory.SecurityError,
        MeshErrorKind.WriteError => ErrorCategory.WriteError,
        MeshErrorKind.ReadError => ErrorCategory.ReadError,
        MeshErrorKind.ConnectionError => ErrorCategory.ConnectionError,
        MeshErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
        MeshErrorKind.NotInstalled => ErrorCategory.NotInstalled,
        MeshErrorKind.OperationTimeout => ErrorCategory.OperationTimeout,
        _ => ErrorCategory.NotSpecified,
    };

    public void Dispose()
    {
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }
}
