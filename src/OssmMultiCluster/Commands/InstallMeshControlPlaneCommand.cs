using System.Collections;
using System.Management.Automation;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Applies each cluster's control plane (walkthrough step 7): an OSSM 2.6 ServiceMeshControlPlane, or OSSM 3's Istio
/// and IstioCNI, derived from the cluster's name and network. Mesh networks are left to Connect-MeshCluster.
/// </summary>
[Cmdlet(VerbsLifecycle.Install, "MeshControlPlane", SupportsShouldProcess = true)]
[OutputType(typeof(MeshResourceResult), typeof(MeshManifestFile))]
public sealed class InstallMeshControlPlaneCommand : MeshInstallCmdlet
{
    private readonly List<MeshCluster> _clusters = new();

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(MeshClusterCompleter))]
    public MeshCluster[] Cluster { get; set; } = Array.Empty<MeshCluster>();

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

    [Parameter]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string Namespace { get; set; } = "istio-system";

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

    protected override void ProcessRecord() => _clusters.AddRange(Cluster);

    protected override void EndProcessing()
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
        };
        var flavorGiven = MyInvocation.BoundParameters.ContainsKey(nameof(Flavor));
        var resolved = new Dictionary<MeshCluster, ControlPlaneOptions>();
        ForEachCluster("Reading the clusters' operators", _clusters.Select(cluster => (cluster.Name,
            (Func<CancellationToken, Task<(MeshCluster, ControlPlaneOptions, string?)>>)(async ct =>
            {
                var detected = flavorGiven ? null : await OperatorDetection.DetectAsync(cluster, Namespace, ct).ConfigureAwait(false);
                var clusterOptions = options with { Flavor = detected?.Flavor ?? Flavor };
                if (clusterOptions.Flavor == MeshFlavor.Ossm3 && clusterOptions.Version is null)
                {
                    clusterOptions = clusterOptions with { Version = await OperatorDetection.DefaultVersionAsync(cluster, KubeKind.Istio, ct).ConfigureAwait(false) };
                }

                return (cluster, clusterOptions, detected?.Reason);
            }))).ToList(),
            result =>
            {
                var (cluster, clusterOptions, reason) = result;
                WriteVerbose(reason is null
                    ? $"{cluster.Name}: flavor {clusterOptions.Flavor} (-Flavor)."
                    : $"{cluster.Name}: flavor {clusterOptions.Flavor}, read from the cluster: {reason}.");
                if (clusterOptions.Version is not null && Version is null)
                {
                    WriteVerbose($"{cluster.Name}: version {clusterOptions.Version}, the default of the cluster's Sail operator CRD.");
                }

                resolved[cluster] = clusterOptions;
            });

        var plans = _clusters.Where(resolved.ContainsKey).Select(cluster =>
        {
            var clusterOptions = resolved[cluster];
            var objects = ControlPlane.Objects(cluster, clusterOptions);
            var apis = ControlPlane.RequiredApis(clusterOptions);
            return new ClusterPlan(cluster, objects,
                $"Apply the {clusterOptions.Flavor} control plane '{clusterOptions.ResourceName}' (mesh {MeshId}, cluster {cluster.Name}, network {cluster.Network})",
                ct => ObjectInstaller.InstallAsync(cluster, objects, apis, Force, ct));
        }).ToList();
        Deliver("Installing control planes", plans);
    }
}
