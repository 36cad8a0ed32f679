using System.Management.Automation;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Renders, for each source cluster, the remote secret that lets other clusters' istiod read it (walkthrough steps
/// 9-10). It may create the reader account's token Secret on the source (and the account, with -CreateServiceAccount).
/// </summary>
[Cmdlet(VerbsCommon.New, "MeshRemoteSecret", SupportsShouldProcess = true)]
[OutputType(typeof(MeshRemoteSecret))]
public sealed class NewMeshRemoteSecretCommand : MeshClusterCmdlet
{
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string ServiceAccount { get; set; } = MeshNames.ReaderServiceAccount;

    /// <summary>Secret (default: a service-account token that does not expire) or Bound (expires after -TokenLifetime).</summary>
    [Parameter]
    public MeshTokenType TokenType { get; set; } = MeshTokenType.Secret;

    [Parameter]
    public TimeSpan TokenLifetime { get; set; } = MeshDefaults.TokenLifetime;

    /// <summary>The API server URL the other clusters reach this one at, when the kubeconfig's is not reachable from them.</summary>
    [Parameter]
    [ValidatePattern("^https://")]
    public string? Server { get; set; }

    [Parameter]
    public SwitchParameter CreateServiceAccount { get; set; }

    /// <summary>The name istiod verifies the API server's certificate against, when -Server's host (or the kubeconfig's) is not in it.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TlsServerName { get; set; }

    /// <summary>An existing token Secret of the reader account whose token the remote secret carries (istioctl's --secret-name).</summary>
    [Parameter]
    [ValidatePattern(MeshNames.Dns1123SubdomainPattern)]
    public string? TokenSecretName { get; set; }

    /// <summary>How long to wait for the token controller to issue a service-account token (-TokenType Secret).</summary>
    [Parameter]
    [ValidateTimeout]
    public TimeSpan Timeout { get; set; } = MeshDefaults.TokenTimeout;

    private protected override void End()
    {
        var options = new RemoteSecretOptions
        {
            TlsServerName = TlsServerName,
            TokenSecretName = TokenSecretName,
            Namespace = Namespace,
            ServiceAccount = ServiceAccount,
            TokenType = TokenType,
            TokenLifetime = TokenLifetime,
            Server = Server,
            CreateServiceAccount = CreateServiceAccount,
            TokenTimeout = Timeout,
        };
        Run(host => RemoteSecretIssue.RunAsync(host, Clusters, options));
    }
}
