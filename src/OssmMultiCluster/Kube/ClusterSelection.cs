namespace OssmMultiCluster.Kube;

/// <summary>What a user asked Get-MeshCluster for; null lists mean "the default".</summary>
internal sealed record ClusterSelection
{
    /// <summary>Kubeconfig files, each a separate source; null: $KUBECONFIG (merged, as kubectl does), else ~/.kube/config.</summary>
    public IReadOnlyList<string>? Kubeconfigs { get; init; }

    /// <summary>Contexts; null: each source's current context.</summary>
    public IReadOnlyList<string>? Contexts { get; init; }

    /// <summary>Mesh cluster names, paired in order with the clusters; null: derived from the context.</summary>
    public IReadOnlyList<string>? Names { get; init; }

    /// <summary>Networks, paired in order; null: &lt;name&gt;-network.</summary>
    public IReadOnlyList<string>? Networks { get; init; }

    /// <summary>How long a kubeconfig's exec credential plugin may run before it is stopped.</summary>
    public TimeSpan CredentialTimeout { get; init; } = CredentialPlugin.DefaultTimeout;

    /// <summary>How long one API call may take (the answer included) before it fails with ClusterTimeout.</summary>
    public TimeSpan RequestTimeout { get; init; } = DefaultRequestTimeout;

    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(30);
}
