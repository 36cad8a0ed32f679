using System.Management.Automation;

namespace OssmMultiCluster.Tests.Support;

/// <summary>Everything one script run through the engine produced, stream by stream.</summary>
public sealed class ScriptRun
{
    public required IReadOnlyList<PSObject> Output { get; init; }
    public required IReadOnlyList<ErrorRecord> Errors { get; init; }
    public required IReadOnlyList<string> Warnings { get; init; }
    public required IReadOnlyList<string> Verbose { get; init; }
    public required IReadOnlyList<string> Debug { get; init; }
    public required IReadOnlyList<string> Information { get; init; }

    /// <summary>Progress records, as "activity|status operation|record type".</summary>
    public required IReadOnlyList<string> Progress { get; init; }

    /// <summary>The terminating error, if the script stopped on one.</summary>
    public RuntimeException? Terminating { get; init; }

    /// <summary>Every error id, terminating one included, as FullyQualifiedErrorId.</summary>
    public IEnumerable<string> ErrorIds => Errors.Select(e => e.FullyQualifiedErrorId)
        .Concat(Terminating is null ? Enumerable.Empty<string>() : new[] { Terminating.ErrorRecord.FullyQualifiedErrorId });

    /// <summary>All text any stream carried, for scanning for secrets.</summary>
    public string AllText => string.Join("\n", Output.Select(o => o?.ToString() ?? string.Empty)
        .Concat(Errors.Select(e => e.ToString() + " " + e.ErrorDetails?.RecommendedAction))
        .Concat(Warnings).Concat(Verbose).Concat(Debug).Concat(Information).Concat(Progress)
        .Concat(Terminating is null ? Array.Empty<string>() : new[] { Terminating.Message }));

    public void AssertNoErrors()
    {
        Assert.True(Terminating is null, "terminating error: " + Terminating?.ErrorRecord.FullyQualifiedErrorId + " " + Terminating?.Message);
        Assert.True(Errors.Count == 0, "errors: " + string.Join(" | ", Errors.Select(e => e.FullyQualifiedErrorId + " " + e)));
    }
}
