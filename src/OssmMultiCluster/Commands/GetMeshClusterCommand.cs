using System.Management.Automation;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Resolves the mesh's clusters from kubeconfigs and contexts, the way kubectl does. Every cmdlet that talks to
/// Kubernetes takes the MeshCluster objects this outputs.
/// </summary>
[Cmdlet(VerbsCommon.Get, "MeshCluster")]
[OutputType(typeof(MeshCluster))]
public sealed class GetMeshClusterCommand : MeshCmdlet
{
    private readonly List<string> _kubeconfigs = new();

    /// <summary>Kubeconfig files, one cluster each unless -Context names several; default $env:KUBECONFIG, then ~/.kube/config.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "Path")]
    [ValidateNotNullOrEmpty]
    public string[]? Kubeconfig { get; set; }

    /// <summary>Contexts; default each kubeconfig's current context.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ContextCompleter))]
    public string[]? Context { get; set; }

    /// <summary>Mesh cluster names, in the order of the kubeconfigs or contexts; default derived from the context.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ContextNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary>Networks, in the same order; default &lt;name&gt;-network.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Network { get; set; }

    /// <summary>Also contact each API server (verified TLS, the kubeconfig's credentials).</summary>
    [Parameter]
    public SwitchParameter Test { get; set; }

    /// <summary>How long a kubeconfig's exec credential plugin (an SSO login, a cloud CLI) may run before it is stopped.</summary>
    [Parameter]
    [ValidateTimeout]
    public TimeSpan CredentialTimeout { get; set; } = CredentialPlugin.DefaultTimeout;

    /// <summary>How long each API call to these clusters may take, by every cmdlet they are given to.</summary>
    [Parameter]
    [ValidateTimeout]
    public TimeSpan RequestTimeout { get; set; } = ClusterSelection.DefaultRequestTimeout;

    private protected override void Process()
    {
        if (Kubeconfig is not null)
        {
            _kubeconfigs.AddRange(Kubeconfig.Select(GetUnresolvedProviderPathFromPSPath));
        }
    }

    private protected override void End()
    {
        var selection = new ClusterSelection
        {
            Kubeconfigs = _kubeconfigs.Count > 0 ? _kubeconfigs : null,
            Contexts = Context,
            Names = Name,
            Networks = Network,
            CredentialTimeout = CredentialTimeout,
            RequestTimeout = RequestTimeout,
        };
        Run(host => ClusterDiscovery.RunAsync(host, selection, Test));
    }
}
