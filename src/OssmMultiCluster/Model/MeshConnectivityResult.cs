using System.Collections.Specialized;

namespace OssmMultiCluster.Model;

/// <summary>The verdict of Test-MeshConnectivity: how many requests succeeded and how they spread over the servers.</summary>
public sealed class MeshConnectivityResult
{
    internal MeshConnectivityResult(string from, string url, int requests, int succeeded, OrderedDictionary distribution, int minClusters, bool passed, string detail)
    {
        From = from;
        Url = url;
        Requests = requests;
        Succeeded = succeeded;
        Distribution = distribution;
        MinClusters = minClusters;
        Passed = passed;
        Detail = detail;
    }

    /// <summary>The cluster the requests were sent from.</summary>
    public string From { get; }

    public string Url { get; }

    public int Requests { get; }

    /// <summary>Requests answered 2xx.</summary>
    public int Succeeded { get; }

    /// <summary>Server (cluster or version) → requests it served, in name order; responses that did not say are not counted.</summary>
    public OrderedDictionary Distribution { get; }

    public int DistinctServers => Distribution.Count;

    /// <summary>How many distinct servers the verdict asked for (-MinClusters).</summary>
    public int MinClusters { get; }

    /// <summary>Every request answered 2xx, by at least <see cref="MinClusters"/> distinct servers.</summary>
    public bool Passed { get; }

    /// <summary>The verdict in words: what failed, or how the requests were spread.</summary>
    public string Detail { get; }

    /// <summary>The distribution as one line, e.g. "v1=6, v2=4".</summary>
    public string DistributionText => string.Join(", ", Distribution.Cast<System.Collections.DictionaryEntry>().Select(e => $"{e.Key}={e.Value}"));

    public override string ToString() => $"{From} → {Url}: {(Passed ? "Passed" : "Failed")} ({Detail})";
}
