using k8s.Models;

namespace OssmMultiCluster.Model;

public enum MeshTokenType
{
    /// <summary>A service-account token Secret: does not expire (what istioctl uses).</summary>
    Secret,

    /// <summary>A bound token from the TokenRequest API (what 'oc create token' gives): expires.</summary>
    Bound,
}

/// <summary>
/// The remote secret that lets other clusters' istiod read a source cluster's API server: a kubeconfig for the source's
/// reader account. The kubeconfig (with its token) is held inside and never shown.
/// </summary>
public sealed class MeshRemoteSecret
{
    internal MeshRemoteSecret(MeshCluster source, string server, string serviceAccount, MeshTokenType tokenType, DateTime? expiresAt,
        V1Secret secret, IReadOnlyList<string> warnings)
    {
        Source = source;
        Server = server;
        ServiceAccount = serviceAccount;
        TokenType = tokenType;
        ExpiresAt = expiresAt;
        Secret = secret;
        Warnings = warnings;
    }

    /// <summary>The cluster whose API server the secret opens.</summary>
    public string SourceCluster => Source.Name;

    public string Name => Secret.Metadata.Name;

    /// <summary>The API server URL written into the kubeconfig.</summary>
    public string Server { get; }

    public string ServiceAccount { get; }

    public MeshTokenType TokenType { get; }

    /// <summary>When a bound token stops working; null for a token that does not expire.</summary>
    public DateTime? ExpiresAt { get; }

    internal MeshCluster Source { get; }

    internal V1Secret Secret { get; }

    internal IReadOnlyList<string> Warnings { get; }

    /// <summary>
    /// After a rotation: the module's other token Secrets on the source, each with its token's fingerprint; those whose
    /// token a replaced remote secret carried are deleted, which revokes them.
    /// </summary>
    internal IReadOnlyList<Mesh.ReplacedToken> ReplacedTokenSecrets { get; init; } = Array.Empty<Mesh.ReplacedToken>();

    public override string ToString() => Name;
}
