using System.Collections;
using System.Management.Automation;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Makes the clusters one multi-primary mesh: for every ordered pair, the remote secret of one in the other, and
/// every control plane's mesh networks listing every other network with its gateway address. Clusters are worked
/// on in parallel; a re-run changes only what changed.
/// </summary>
[Cmdlet(VerbsCommunications.Connect, "MeshCluster", SupportsShouldProcess = true)]
[OutputType(typeof(MeshResourceResult), typeof(MeshManifestFile))]
public sealed class ConnectMeshClusterCommand : MeshInstallCmdlet
{
    /// <summary>The id that starts the warning of an export made before a cluster had its control plane.</summary>
    public const string MeshNetworksPendingWarning = MeshConnect.MeshNetworksPendingWarning;

    /// <summary>The id that starts the warning of an export made before another cluster's trust domain could be read.</summary>
    public const string TrustDomainAliasesPendingWarning = MeshConnect.TrustDomainAliasesPendingWarning;

    [Parameter]
    public MeshTokenType TokenType { get; set; } = MeshTokenType.Secret;

    [Parameter]
    public TimeSpan TokenLifetime { get; set; } = MeshDefaults.TokenLifetime;

    /// <summary>API server URLs the other clusters reach each cluster at, by cluster name: @{ west = 'https://api.west.example.com:6443' }.</summary>
    [Parameter]
    [ValidateNotNull]
    public Hashtable? Server { get; set; }

    /// <summary>
    /// Names istiod verifies each cluster's API server certificate against, by cluster name, where the server URL's host
    /// is not in the certificate: @{ west = 'api.west.internal' } (the kubeconfig's tls-server-name is used otherwise).
    /// </summary>
    [Parameter]
    [ValidateNotNull]
    public Hashtable? TlsServerName { get; set; }

    /// <summary>Existing token Secrets of each cluster's reader account for the remote secrets to carry, by cluster name (istioctl's --secret-name).</summary>
    [Parameter]
    [ValidateNotNull]
    public Hashtable? TokenSecretName { get; set; }

    [Parameter]
    public SwitchParameter CreateServiceAccount { get; set; }

    /// <summary>OSSM 3: also write mesh networks (OSSM 2.6 always gets them).</summary>
    [Parameter]
    public SwitchParameter MeshNetworks { get; set; }

    [Parameter]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string GatewayName { get; set; } = MeshNames.EastWestGatewayName;

    /// <summary>More trust domains every control plane accepts, besides the other clusters' (e.g. one being migrated from).</summary>
    [Parameter]
    [ValidateNotNull]
    [ValidatePattern(MeshNames.TrustDomainPattern)]
    [ValidateLength(1, 255)]
    public string[] TrustDomainAlias { get; set; } = Array.Empty<string>();

    /// <summary>How long to wait for each gateway's address, and for each cluster's token controller to issue a reader token.</summary>
    [Parameter]
    [ValidateTimeout]
    public TimeSpan Timeout { get; set; } = MeshDefaults.ReadyTimeout;

    private protected override void End()
    {
        var options = new MeshConnectOptions
        {
            Namespace = Namespace,
            TokenType = TokenType,
            TokenLifetime = TokenLifetime,
            Server = ByClusterName(Server, Clusters),
            TlsServerName = ByClusterName(TlsServerName, Clusters),
            TokenSecretName = ByClusterName(TokenSecretName, Clusters),
            CreateServiceAccount = CreateServiceAccount,
            MeshNetworks = MeshNetworks,
            GatewayName = GatewayName,
            TrustDomainAlias = TrustDomainAlias,
            Timeout = Timeout,
            TimeoutGiven = MyInvocation.BoundParameters.ContainsKey(nameof(Timeout)),
            Force = Force,
        };
        var delivery = Delivery;
        Run(host => new MeshConnect(options).RunAsync(host, Clusters, delivery));
    }
}
