namespace OssmMultiCluster.Model;

/// <summary>One request of Test-MeshConnectivity: curl run in the client pod of <see cref="Cluster"/>.</summary>
public sealed class MeshConnectivityProbe
{
    internal MeshConnectivityProbe(string cluster, string pod, string url, int index, int statusCode, double timeMs, string? servedBy, string? detail)
    {
        Cluster = cluster;
        Pod = pod;
        Url = url;
        Index = index;
        StatusCode = statusCode;
        TimeMs = timeMs;
        ServedBy = servedBy;
        Detail = detail;
    }

    /// <summary>The cluster the request was sent from.</summary>
    public string Cluster { get; }

    /// <summary>The client pod, namespace/name.</summary>
    public string Pod { get; }

    public string Url { get; }

    /// <summary>1 for the first request.</summary>
    public int Index { get; }

    /// <summary>The HTTP status; 0 when no response came (curl's error is in <see cref="Detail"/>).</summary>
    public int StatusCode { get; }

    /// <summary>curl's time_total, in milliseconds.</summary>
    public double TimeMs { get; }

    /// <summary>Who served the request, read from the response (helloworld's version, or -Pattern's match); null when unknown.</summary>
    public string? ServedBy { get; }

    /// <summary>Why the request failed (curl's error); null when it got a response.</summary>
    public string? Detail { get; }

    /// <summary>A 2xx response.</summary>
    public bool Succeeded => StatusCode is >= 200 and < 300;

    public override string ToString() => $"{Cluster} #{Index}: {StatusCode} {ServedBy}".TrimEnd();
}
