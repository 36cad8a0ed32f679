namespace OssmMultiCluster.Model;

public enum MeshPrerequisiteStatus
{
    Pass,
    Warning,
    Fail,
}

/// <summary>One check of Test-MeshPrerequisite on one cluster: what was found, and what to do when it is not a Pass.</summary>
public sealed class MeshPrerequisiteCheck
{
    internal MeshPrerequisiteCheck(string cluster, string check, MeshPrerequisiteStatus status, string message, string? fix = null)
    {
        Cluster = cluster;
        Check = check;
        Status = status;
        Message = message;
        Fix = fix;
    }

    public string Cluster { get; }

    /// <summary>api, version, clock, identity, operator, permissions, load-balancer or node-port.</summary>
    public string Check { get; }

    public MeshPrerequisiteStatus Status { get; }

    public string Message { get; }

    /// <summary>What to do about a Warning or Fail; null for a Pass.</summary>
    public string? Fix { get; }

    public override string ToString() => $"{Cluster} {Check}: {Status} {Message}";
}

/// <summary>The verdict over all prerequisite checks: ready when nothing failed.</summary>
public sealed class MeshPrerequisiteSummary
{
    internal MeshPrerequisiteSummary(int clusters, int checks, int warnings, int failures)
    {
        Clusters = clusters;
        Checks = checks;
        Warnings = warnings;
        Failures = failures;
    }

    public int Clusters { get; }

    public int Checks { get; }

    public int Warnings { get; }

    public int Failures { get; }

    public bool Ready => Failures == 0;

    public override string ToString() => Ready ? $"Ready ({Warnings} warning(s))" : $"Not ready: {Failures} failure(s), {Warnings} warning(s)";
}
