using System.Management.Automation;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Takes one cluster out of the mesh completely, in the reverse order of the setup: Disconnect-MeshCluster from the
/// others (when given), then its east-west gateway, its control plane, the reader access other clusters had to it
/// (the module's token Secrets, and the reader account it created) and its plug-in CA. Each step runs only when the
/// one before it succeeded; only what the module made is deleted.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "MeshCluster", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(MeshResourceResult))]
public sealed class RemoveMeshClusterCommand : MeshCmdlet
{
    /// <summary>The cluster leaving the mesh.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    [ArgumentCompleter(typeof(SingleMeshClusterCompleter))]
    public MeshCluster Cluster { get; set; } = null!;

    /// <summary>The clusters that stay; their remote secrets for it, and its network in their mesh networks, are removed.</summary>
    [Parameter(Position = 1)]
    [ValidateNotNull]
    [ArgumentCompleter(typeof(MeshClusterCompleter))]
    public MeshCluster[] From { get; set; } = Array.Empty<MeshCluster>();

    [Parameter]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string Namespace { get; set; } = MeshNames.ControlPlaneNamespace;

    [Parameter]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string GatewayName { get; set; } = MeshNames.EastWestGatewayName;

    /// <summary>Only this flavour's control-plane objects; default: whichever the cluster has.</summary>
    [Parameter]
    public MeshFlavor? Flavor { get; set; }

    /// <summary>The control plane resource's name; default basic (SMCP) or default (Istio).</summary>
    [Parameter]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string? ControlPlaneName { get; set; }

    /// <summary>The reader account other clusters read this one with; the module's tokens for it are revoked.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string ServiceAccount { get; set; } = MeshNames.ReaderServiceAccount;

    /// <summary>Remove the control plane even if clusters still point at it (e.g. one that stayed could not be disconnected).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    private protected override void Process()
    {
        var options = new MeshDisconnectOptions
        {
            Namespace = Namespace,
            Force = Force,
            GatewayName = GatewayName,
            Flavor = Flavor,
            ControlPlaneName = ControlPlaneName,
            ServiceAccount = ServiceAccount,
        };
        Run(host => new MeshDisconnect(options).RemoveAsync(host, Cluster, From));
    }
}
