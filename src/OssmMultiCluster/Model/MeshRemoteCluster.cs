namespace OssmMultiCluster.Model;

/// <summary>
/// One remote cluster as one istiod sees it (istiod's debug/clusterz, what 'istioctl remote-clusters' lists), set
/// against the remote secrets on that istiod's cluster: synced, still syncing, timed out, closed, or missing
/// (a remote secret names it but istiod has not loaded it).
/// </summary>
public sealed class MeshRemoteCluster
{
    internal MeshRemoteCluster(string cluster, string istiod, string remoteCluster, string? secretName, string syncStatus,
        MeshCheckStatus status, string detail)
    {
        Cluster = cluster;
        Istiod = istiod;
        RemoteCluster = remoteCluster;
        SecretName = secretName;
        SyncStatus = syncStatus;
        Status = status;
        Detail = detail;
    }

    /// <summary>The cluster whose istiod was asked.</summary>
    public string Cluster { get; }

    /// <summary>The istiod pod that answered.</summary>
    public string Istiod { get; }

    /// <summary>The remote cluster's ID (the key of its kubeconfig in the remote secret).</summary>
    public string RemoteCluster { get; }

    /// <summary>The remote secret istiod read it from (namespace/name); null when istiod did not load it.</summary>
    public string? SecretName { get; }

    /// <summary>istiod's own word: synced, syncing, timeout, closed; 'missing' when istiod does not list the cluster.</summary>
    public string SyncStatus { get; }

    /// <summary>OK when synced; Warning while syncing or for a cluster no remote secret here names; Error otherwise.</summary>
    public MeshCheckStatus Status { get; }

    public string Detail { get; }

    public override string ToString() => $"{Cluster} -> {RemoteCluster}: {SyncStatus}";
}
