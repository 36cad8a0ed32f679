namespace OssmMultiCluster.Model;

/// <summary>The verdict of Test-MeshFailover: with a component gone from one cluster, was it still served?</summary>
public sealed class MeshFailoverResult
{
    internal MeshFailoverResult(string removedFrom, string component, string from, string url, bool passed, bool restored, string detail)
    {
        RemovedFrom = removedFrom;
        Component = component;
        From = from;
        Url = url;
        Passed = passed;
        Restored = restored;
        Detail = detail;
    }

    public string RemovedFrom { get; }

    public string Component { get; }

    public string From { get; }

    public string Url { get; }

    /// <summary>Every request succeeded while the component was gone from <see cref="RemovedFrom"/>.</summary>
    public bool Passed { get; }

    public bool Restored { get; }

    public string Detail { get; }

    public override string ToString() => $"{Component} removed from {RemovedFrom}: {(Passed ? "still served" : "NOT served")}";
}
