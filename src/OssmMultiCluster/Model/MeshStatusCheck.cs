namespace OssmMultiCluster.Model;

public enum MeshCheckStatus
{
    OK,
    Warning,
    Error,
}

/// <summary>One check of Get-MeshStatus on one cluster.</summary>
public sealed class MeshStatusCheck
{
    internal MeshStatusCheck(string cluster, string check, MeshCheckStatus status, string detail)
    {
        Cluster = cluster;
        Check = check;
        Status = status;
        Detail = detail;
    }

    public string Cluster { get; }

    /// <summary>trust, ca-rotation, network, control-plane, gateway, remote-secret, mesh-networks, primary (a remote's, primary-remote), reachable, or istiod-view (with -IstiodView).</summary>
    public string Check { get; }

    public MeshCheckStatus Status { get; }

    public string Detail { get; }

    public override string ToString() => $"{Cluster} {Check}: {Status} {Detail}";
}

/// <summary>The verdict over all checks.</summary>
public sealed class MeshStatusSummary
{
    internal MeshStatusSummary(int clusters, int checks, int warnings, int errors)
    {
        Clusters = clusters;
        Checks = checks;
        Warnings = warnings;
        Errors = errors;
    }

    public int Clusters { get; }

    public int Checks { get; }

    public int Warnings { get; }

    public int Errors { get; }

    public bool Healthy => Errors == 0;

    public override string ToString() => Healthy ? $"Healthy ({Warnings} warning(s))" : $"{Errors} error(s), {Warnings} warning(s)";
}
