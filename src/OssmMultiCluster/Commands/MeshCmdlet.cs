using System.Management.Automation;

namespace OssmMultiCluster.Commands;

/// <summary>
/// What every cmdlet of the module shares: a cancellation token that Ctrl+C (StopProcessing) trips, waiting on the
/// services' tasks from the pipeline thread, and the one mapping from <see cref="MeshException"/> to ErrorRecord.
/// </summary>
public abstract class MeshCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();

    protected CancellationToken Cancellation => _stopping.Token;

    protected override void StopProcessing() => _stopping.Cancel();

    /// <summary>Waits for <paramref name="task"/> on the pipeline thread; Ctrl+C stops the wait at once.</summary>
    protected T Await<T>(Task<T> task)
    {
        try
        {
            return task.WaitAsync(Cancellation).GetAwaiter().GetResult();
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
    protected void ForEachCluster<T>(string activity, IReadOnlyList<(string cluster, Func<CancellationToken, Task<T>> work)> items, Action<T> write)
    {
        var tasks = items.Select(item => Task.Run(() => item.work(Cancellation), Cancellation)).ToList();
        var progress = new ProgressRecord(Math.Abs(activity.GetHashCode()) % 100000, activity, "Starting");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < items.Count; i++)
        {
            while (true)
            {
                progress.StatusDescription = $"{items[i].cluster} ({i + 1} of {items.Count}), {clock.Elapsed.TotalSeconds:0} s";
                progress.PercentComplete = 100 * i / items.Count;
                WriteProgress(progress);
                try
                {
                    if (tasks[i].Wait(TimeSpan.FromMilliseconds(500), Cancellation))
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

    /// <summary>Writes what working on one cluster did: its warnings, its results, then what failed.</summary>
    protected void WriteOutcome(Kube.InstallOutcome outcome)
    {
        foreach (var warning in outcome.Warnings)
        {
            WriteWarning(warning);
        }

        WriteObject(outcome.Results, enumerateCollection: true);
        foreach (var error in outcome.Errors)
        {
            WriteMeshError(error);
        }
    }

    /// <summary>Waits for <paramref name="task"/> on the pipeline thread; Ctrl+C stops the wait at once.</summary>
    protected void Await(Task task) => Await(task.ContinueWith(t => { t.GetAwaiter().GetResult(); return true; }, TaskScheduler.Default));

    protected void WriteMeshError(MeshException error) => WriteError(ToErrorRecord(error));

    protected void ThrowMeshError(MeshException error) => ThrowTerminatingError(ToErrorRecord(error));

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
