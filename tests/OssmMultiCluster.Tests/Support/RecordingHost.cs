using System.Collections.Concurrent;

namespace OssmMultiCluster.Tests.Support;

/// <summary>
/// An <see cref="IMeshHost"/> that keeps what a service wrote, in order, as "stream: text" lines, and answers
/// ShouldProcess with <see cref="Answer"/> (recording the question), so services are tested without a runspace.
/// </summary>
internal sealed class RecordingHost : IMeshHost
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<object> _objects = new();

    public CancellationToken Cancellation { get; init; } = CancellationToken.None;

    /// <summary>What ShouldProcess answers for a target; default yes.</summary>
    public Func<string, bool> Answer { get; init; } = _ => true;

    public IReadOnlyList<string> Lines => _lines.ToList();

    public IReadOnlyList<object> Objects => _objects.ToList();

    public IEnumerable<string> Of(string stream) => Lines.Where(l => l.StartsWith(stream + ": ", StringComparison.Ordinal)).Select(l => l[(stream.Length + 2)..]);

    public void WriteObject(object value)
    {
        _objects.Enqueue(value);
        _lines.Enqueue($"output: {value}");
    }

    public void WriteWarning(string message) => _lines.Enqueue($"warning: {message}");

    public void WriteVerbose(string message) => _lines.Enqueue($"verbose: {message}");

    public void WriteError(MeshException error) => _lines.Enqueue($"error: {error.ErrorId}: {error.Message}");

    public void WriteProgress(string activity, string status, int? percent = null, bool completed = false) =>
        _lines.Enqueue($"progress: {activity}|{(completed ? "Completed" : status)}");

    public Task<bool> ShouldProcessAsync(string target, string action)
    {
        _lines.Enqueue($"shouldprocess: {target}|{action}");
        return Task.FromResult(Answer(target));
    }
}
