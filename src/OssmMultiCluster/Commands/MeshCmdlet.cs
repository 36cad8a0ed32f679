using System.Management.Automation;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// What every cmdlet of the module shares: a cancellation token that Ctrl+C (StopProcessing) trips; <c>Run</c>, which runs
/// a service with a <see cref="PipelineHost"/> carrying out what it writes and asks on the pipeline thread as it happens
/// (its API calls as verbose messages); and the one mapping from <see cref="MeshException"/> to ErrorRecord.
/// </summary>
public abstract class MeshCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();

    private protected CancellationToken Cancellation => _stopping.Token;

    protected override void StopProcessing() => _stopping.Cancel();

    // The one place a service's failure becomes an ErrorRecord: a MeshException that escapes Begin, Process or End is
    // terminating; what fails for one cluster while the others go on, the services write as they go (IMeshHost.WriteError).
    protected sealed override void BeginProcessing() => Guard(Begin);

    protected sealed override void ProcessRecord() => Guard(Process);

    protected sealed override void EndProcessing() => Guard(End);

    private protected virtual void Begin()
    {
    }

    private protected virtual void Process()
    {
    }

    private protected virtual void End()
    {
    }

    private void Guard(Action step)
    {
        try
        {
            step();
        }
        catch (MeshException error)
        {
            ThrowMeshError(error);
        }
    }

    /// <summary>
    /// Runs a service off the pipeline thread and carries out, on this thread and as they happen, everything it writes or
    /// asks (<see cref="IMeshHost"/>); returns its result. Ctrl+C cancels it and stops the wait at once.
    /// </summary>
    /// <param name="activity">With an activity, a wait longer than a moment shows progress under that name.</param>
    private protected T Run<T>(Func<IMeshHost, Task<T>> work, string? activity = null)
    {
        using var host = new PipelineHost(this, Cancellation);
        return host.Run(work, activity);
    }

    /// <summary>Like <see cref="Run{T}(Func{IMeshHost, Task{T}}, string?)"/> for work without a result.</summary>
    private protected void Run(Func<IMeshHost, Task> work, string? activity = null) => Run(async host =>
    {
        await work(host).ConfigureAwait(false);
        return true;
    }, activity);

    /// <summary>
    /// Like <see cref="Run(Func{IMeshHost, Task}, string?)"/> for work that puts things back after Ctrl+C (with a short
    /// deadline of its own, since the command's cancellation has fired): the stop waits for it to end.
    /// </summary>
    private protected void RunToEnd(Func<IMeshHost, Task> work)
    {
        using var host = new PipelineHost(this, Cancellation);
        host.Run(async h =>
        {
            await work(h).ConfigureAwait(false);
            return true;
        }, activity: null, finishOnStop: true);
    }

    /// <summary>Like <see cref="Run{T}(Func{IMeshHost, Task{T}}, string?)"/> for work that needs only the cancellation.</summary>
    private protected T Run<T>(Func<CancellationToken, Task<T>> work, string? activity = null) => Run(host => work(host.Cancellation), activity);

    /// <summary>
    /// A hashtable parameter keyed by cluster name (-Server, -TlsServerName, -TokenSecretName) as the services take it: the
    /// entries of the clusters given, each looked up as the table looks up (a literal @{} ignores case).
    /// </summary>
    private protected static Dictionary<string, string> ByClusterName(System.Collections.Hashtable? table, IEnumerable<MeshCluster> clusters)
    {
        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var cluster in clusters)
        {
            if (table?[cluster.Name]?.ToString() is { } value)
            {
                entries[cluster.Name] = value;
            }
        }

        return entries;
    }

    private protected void WriteMeshError(MeshException error) => WriteError(ToErrorRecord(error));

    /// <summary>
    /// Runs the work of one pipeline input whose failure must not stop the next input: its MeshException is written as
    /// that input's (non-terminating) error, and null returned.
    /// </summary>
    private protected T? Guarded<T>(Func<T> work)
        where T : class
    {
        try
        {
            return work();
        }
        catch (MeshException error)
        {
            WriteMeshError(error);
            return null;
        }
    }

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
