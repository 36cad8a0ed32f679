using System.Management.Automation;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Rotates the reader tokens of the mesh's remote secrets: issues new tokens on each source cluster, updates every
/// secret that carries the old one, restarts istiod where they are read, then revokes the old tokens.
/// </summary>
[Cmdlet(VerbsData.Update, "MeshRemoteSecret", SupportsShouldProcess = true)]
[OutputType(typeof(MeshResourceResult))]
public sealed class UpdateMeshRemoteSecretCommand : MeshClusterCmdlet
{
    /// <summary>The clusters whose tokens to rotate (by name); default all that another cluster reads (not a primary whose only peers are its remotes).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string[]? Source { get; set; }

    [Parameter]
    public MeshTokenType TokenType { get; set; } = MeshTokenType.Secret;

    [Parameter]
    public TimeSpan TokenLifetime { get; set; } = MeshDefaults.TokenLifetime;

    /// <summary>API server URLs by cluster name, as for Connect-MeshCluster.</summary>
    [Parameter]
    [ValidateNotNull]
    public System.Collections.Hashtable? Server { get; set; }

    /// <summary>Do not restart istiod (it then keeps using the old tokens until restarted, and they are revoked).</summary>
    [Parameter]
    public SwitchParameter NoRestart { get; set; }

    /// <summary>How long to wait for the token controller to issue a service-account token (-TokenType Secret).</summary>
    [Parameter]
    [ValidateTimeout]
    public TimeSpan Timeout { get; set; } = MeshDefaults.TokenTimeout;

    private protected override void End()
    {
        var options = new RemoteSecretOptions { Namespace = Namespace, TokenType = TokenType, TokenLifetime = TokenLifetime, TokenTimeout = Timeout };
        var request = new TokenRotationRequest(Source, options, ByClusterName(Server, Clusters), Restart: !NoRestart);
        var clusters = Clusters;
        Run(host => TokenRotation.RunAsync(host, clusters, request));
    }
}
