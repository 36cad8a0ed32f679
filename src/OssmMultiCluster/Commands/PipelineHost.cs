using System.Collections.Concurrent;
using System.Diagnostics;
using System.Management.Automation;
using OssmMultiCluster.Kube;

namespace OssmMultiCluster.Commands;

/// <summary>
/// A cmdlet's <see cref="IMeshHost"/>: the services call it from any thread; every call becomes an action in one queue
/// that the pipeline thread drains as the actions arrive (PowerShell allows stream writes from that thread only). The
/// work's own cancellation is tripped by Ctrl+C and by a failure on the pipeline thread (a write that -ErrorAction Stop
/// turns into an exception), so the work never outlives the command.
/// </summary>
internal sealed class PipelineHost : IMeshHost, IDisposable
{
    private static readonly TimeSpan FirstProgress = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan ProgressRefresh = TimeSpan.FromMilliseconds(500);

    private readonly BlockingCollection<Action> _queue = new();
    private readonly PSCmdlet _cmdlet;
    private readonly CancellationTokenSource _work;
    private readonly Dictionary<string, (ProgressRecord record, string status, Stopwatch clock)> _open = new(StringComparer.Ordinal);

    public PipelineHost(PSCmdlet cmdlet, CancellationToken stopping)
    {
        _cmdlet = cmdlet;
        _work = CancellationTokenSource.CreateLinkedTokenSource(stopping);
    }

    public CancellationToken Cancellation => _work.Token;

    public void WriteObject(object value) => Post(() => _cmdlet.WriteObject(value));

    public void WriteWarning(string message) => Post(() => _cmdlet.WriteWarning(message));

    public void WriteVerbose(string message) => Post(() => _cmdlet.WriteVerbose(message));

    public void WriteError(MeshException error) => Post(() => _cmdlet.WriteError(MeshCmdlet.ToErrorRecord(error)));

    public void WriteProgress(string activity, string status, int? percent = null, bool completed = false) =>
        Post(() => ShowProgress(activity, status, percent, completed));

    public Task<bool> ShouldProcessAsync(string target, string action)
    {
        var answer = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

        // A question nobody will answer any more (Ctrl+C, a failed write) ends the wait for it.
        var unanswered = _work.Token.Register(() => answer.TrySetCanceled());
        _ = answer.Task.ContinueWith(_ => unanswered.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        Post(() =>
        {
            try
            {
                answer.SetResult(_cmdlet.ShouldProcess(target, action));
            }
            catch
            {
                answer.TrySetCanceled();
                throw;
            }
        });
        return answer.Task;
    }

    /// <summary>Runs an action on the pipeline thread; for the cmdlet's own callbacks (its writes of results it was handed).</summary>
    public void Post(Action action)
    {
        try
        {
            _queue.Add(action);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            // The work has ended and the queue is closed: nobody is left to tell.
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the thread pool and carries out its calls on this (the pipeline) thread until it
    /// ends, then returns its result or rethrows its failure. With an <paramref name="activity"/>, a wait longer than a
    /// moment shows progress under that name.
    /// </summary>
    /// <param name="finishOnStop">
    /// The work cleans up after its cancellation (with a short deadline of its own): when the command stops, or a write
    /// fails, wait for it to end before stopping. Nothing it writes meanwhile is shown.
    /// </param>
    public T Run<T>(Func<IMeshHost, Task<T>> work, string? activity, bool finishOnStop = false)
    {
        var token = Cancellation;
        var task = Task.Run(() =>
        {
            ApiLog.Current = WriteVerbose;
            return work(this);
        }, token);
        _ = task.ContinueWith(_ => _queue.CompleteAdding(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        using var heartbeat = new Timer(_ => Post(RefreshProgress), null, FirstProgress, ProgressRefresh);
        if (activity is not null)
        {
            _open[activity] = (NewRecord(activity), string.Empty, Stopwatch.StartNew());
        }

        try
        {
            foreach (var action in _queue.GetConsumingEnumerable(token))
            {
                action();
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            WaitForCleanUp(task, finishOnStop);
            throw new PipelineStoppedException();
        }
        catch
        {
            // A write failed on the pipeline thread (-ErrorAction Stop, a stopped pipeline): the work stops too.
            _work.Cancel();
            WaitForCleanUp(task, finishOnStop);
            throw;
        }
        finally
        {
            heartbeat.Change(Timeout.Infinite, Timeout.Infinite);
            CloseProgress();
        }

        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    private static void WaitForCleanUp(Task task, bool wait)
    {
        if (wait)
        {
            // The work's own deadline bounds this wait; how it ended was already decided by the stop.
            ((IAsyncResult)task).AsyncWaitHandle.WaitOne();
        }
    }

    /// <summary>A progress record for <paramref name="activity"/>, its id derived from the activity's name.</summary>
    public static ProgressRecord NewRecord(string activity) => new(Math.Abs(activity.GetHashCode()) % 100000, activity, "Starting");

    private void ShowProgress(string activity, string status, int? percent, bool completed)
    {
        if (!_open.TryGetValue(activity, out var open))
        {
            if (completed)
            {
                return;
            }

            open = (NewRecord(activity), status, Stopwatch.StartNew());
        }

        if (completed)
        {
            _open.Remove(activity);
            open.record.RecordType = ProgressRecordType.Completed;
            _cmdlet.WriteProgress(open.record);
            return;
        }

        if (percent is { } value)
        {
            open.record.PercentComplete = value;
        }

        _open[activity] = (open.record, status, open.clock);
        Write(open.record, status, open.clock);
    }

    /// <summary>Brings the elapsed time of every open activity up to date (a wait shows that it is still waiting).</summary>
    private void RefreshProgress()
    {
        foreach (var (record, status, clock) in _open.Values)
        {
            Write(record, status, clock);
        }
    }

    private void Write(ProgressRecord record, string status, Stopwatch clock)
    {
        var seconds = $"{clock.Elapsed.TotalSeconds:0} s";
        record.StatusDescription = status.Length == 0 ? seconds : $"{status}, {seconds}";
        _cmdlet.WriteProgress(record);
    }

    /// <summary>Closes what the work left open, as the work does when it ends normally.</summary>
    private void CloseProgress()
    {
        foreach (var (record, _, _) in _open.Values)
        {
            record.RecordType = ProgressRecordType.Completed;
            _cmdlet.WriteProgress(record);
        }

        _open.Clear();
    }

    public void Dispose()
    {
        _queue.Dispose();
        _work.Dispose();
    }
}
