using System.Collections;
using System.Management.Automation;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Applies each cluster's control plane (walkthrough step 7): an OSSM 2.6 ServiceMeshControlPlane, or OSSM 3's Istio
/// and IstioCNI, derived from the cluster's name and network. Mesh networks are left to Connect-MeshCluster. With
/// -Remote (OSSM 3, primary-remote), a remote's Istio with the remote profile, pointing at the istiod of -Primary.
/// </summary>
[Cmdlet(VerbsLifecycle.Install, "MeshControlPlane", SupportsShouldProcess = true, DefaultParameterSetName = PrimarySet)]
[OutputType(typeof(MeshResourceResult), typeof(MeshManifestFile))]
public sealed class InstallMeshControlPlaneCommand : MeshInstallCmdlet
{
    private const string PrimarySet = "Primary";
    private const string RemoteSet = "Remote";

    /// <summary>The mesh ID, the same on every cluster of the mesh.</summary>
    [Parameter(Mandatory = true)]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string MeshId { get; set; } = string.Empty;

    /// <summary>Ossm2 or Ossm3; not given: read from each cluster (its control plane, else the operator API it serves).</summary>
    [Parameter]
    public MeshFlavor Flavor { get; set; } = MeshFlavor.Ossm2;

    /// <summary>The control plane resource's name; default basic (SMCP) or default (Istio).</summary>
    [Parameter]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string? Name { get; set; }

    /// <summary>spec.version, e.g. v2.6 (OSSM 2) or v1.24.3 (OSSM 3); default: the operator's.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Version { get; set; }

    /// <summary>matchLabels of the discovery selector; default @{ 'istio-injection' = 'enabled' }; @{} for none.</summary>
    [Parameter]
    [ValidateNotNull]
    public Hashtable DiscoverySelector { get; set; } = new() { ["istio-injection"] = "enabled" };

    /// <summary>OSSM 3: do not apply the IstioCNI resource (and its namespace).</summary>
    [Parameter]
    public SwitchParameter SkipCni { get; set; }

    /// <summary>The trust domain of the workloads' identities (spiffe://&lt;domain&gt;/ns/...); default: the operator's, cluster.local.</summary>
    [Parameter]
    [ValidatePattern(MeshNames.TrustDomainPattern)]
    [ValidateLength(1, 255)]
    public string? TrustDomain { get; set; }

    /// <summary>OSSM 3, primary-remote: this primary's istiod also serves remote clusters (values.global.externalIstiod).</summary>
    [Parameter(ParameterSetName = PrimarySet)]
    public SwitchParameter ExternalIstiod { get; set; }

    /// <summary>OSSM 3, primary-remote: install a remote, which runs no istiod and uses the istiod of -Primary.</summary>
    [Parameter(Mandatory = true, ParameterSetName = RemoteSet)]
    public SwitchParameter Remote { get; set; }

    /// <summary>With -Remote: the primary cluster whose istiod, exposed through its east-west gateway, the remotes use.</summary>
    [Parameter(Mandatory = true, ParameterSetName = RemoteSet)]
    [ValidateNotNull]
    [ArgumentCompleter(typeof(MeshClusterCompleter))]
    public MeshCluster? Primary { get; set; }

    /// <summary>With -Remote: the primary's east-west gateway, whose address is the remotes' pilot address.</summary>
    [Parameter(ParameterSetName = RemoteSet)]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string GatewayName { get; set; } = MeshNames.EastWestGatewayName;

    /// <summary>With -Remote: how long to wait for the primary's gateway address (default 5 minutes; with -OutputPath, no wait unless given).</summary>
    [Parameter(ParameterSetName = RemoteSet)]
    [ValidateTimeout]
    public TimeSpan Timeout { get; set; } = MeshDefaults.ReadyTimeout;

    private protected override void End()
    {
        var options = new ControlPlaneOptions
        {
            MeshId = MeshId,
            Flavor = Flavor,
            Name = Name,
            Namespace = Namespace,
            Version = Version,
            DiscoverySelector = DiscoverySelector.Cast<DictionaryEntry>().ToDictionary(e => e.Key.ToString()!, e => e.Value?.ToString() ?? string.Empty),
            SkipCni = SkipCni,
            TrustDomain = TrustDomain,
            ExternalIstiod = ExternalIstiod,
        };
        var request = new ControlPlaneInstallRequest(options, MyInvocation.BoundParameters.ContainsKey(nameof(Flavor)), Force)
        {
            // An export waits for no address unless told how long (the primary's gateway may exist only in a tree not yet applied).
            Remote = Remote ? new RemoteInstallOptions(Primary!, GatewayName,
                OutputPath is not null && !MyInvocation.BoundParameters.ContainsKey(nameof(Timeout)) ? TimeSpan.Zero : Timeout) : null,
            PrimaryParametersGiven = new[] { nameof(TrustDomain), nameof(DiscoverySelector) }.Where(MyInvocation.BoundParameters.ContainsKey).ToList(),
        };
        var delivery = Delivery;
        Run(host => ControlPlaneInstall.RunAsync(host, Clusters, request, delivery));
    }
}
