using System.Collections;
using System.Management.Automation;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Mesh.Resources;
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
    public string Namespace { get; set; } = MeshNames.ControlPlaneNamespace;

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
    public string GatewayName { get; set; } = "istio-eastwestgateway";

    /// <summary>With -Remote: how long to wait for the primary's gateway address (default 5 minutes; with -OutputPath, no wait unless given).</summary>
    [Parameter(ParameterSetName = RemoteSet)]
    [ValidateTimeout]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(5);

    protected override void ProcessRecord() => _clusters.AddRange(Cluster);

    protected override void EndProcessing()
    {
        if (Remote)
        {
            RefuseParametersOfPrimaries();
        }

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
        var flavorGiven = MyInvocation.BoundParameters.ContainsKey(nameof(Flavor));
        var resolved = new Dictionary<MeshCluster, ControlPlaneOptions>();
        ForEachCluster("Reading the clusters' operators", _clusters.Select(cluster => (cluster.Name,
            (Func<CancellationToken, Task<(MeshCluster, ControlPlaneOptions, string?)>>)(async ct =>
            {
                var detected = flavorGiven ? null : await OperatorDetection.DetectAsync(cluster, Namespace, ct).ConfigureAwait(false);
                var clusterOptions = options with { Flavor = detected?.Flavor ?? Flavor };
                if (clusterOptions.Flavor == MeshFlavor.Ossm3 && clusterOptions.Version is null)
                {
                    clusterOptions = clusterOptions with { Version = await OperatorDetection.DefaultVersionAsync(cluster, KubeKind.Of<Istio>(), ct).ConfigureAwait(false) };
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

        if (Remote)
        {
            Deliver("Installing remote control planes", RemotePlans(resolved));
            return;
        }

        var plans = new List<ClusterPlan>();
        foreach (var cluster in _clusters.Where(resolved.ContainsKey))
        {
            var clusterOptions = resolved[cluster];
            IReadOnlyList<Kube.KubeObject> objects;
            try
            {
                objects = ControlPlane.Objects(cluster, clusterOptions);
            }
            catch (MeshException error)
            {
                // -ExternalIstiod on an OSSM 2.6 cluster: refused for it, the others go on.
                WriteMeshError(error);
                continue;
            }

            var apis = ControlPlane.RequiredApis(clusterOptions);
            plans.Add(new ClusterPlan(cluster, objects,
                $"Apply the {clusterOptions.Flavor} control plane '{clusterOptions.ResourceName}' (mesh {MeshId}, cluster {cluster.Name}, network {cluster.Network})" +
                (clusterOptions.ExternalIstiod ? ", its istiod serving remote clusters" : string.Empty),
                ct => ObjectInstaller.InstallAsync(cluster, objects, apis, Force, ct)));
        }

        Deliver("Installing control planes", plans);
    }

    /// <summary>A remote's mesh configuration is its primary's: parameters that set it on a remote would be ignored, so they are refused.</summary>
    private void RefuseParametersOfPrimaries()
    {
        var given = new[] { nameof(TrustDomain), nameof(DiscoverySelector) }.Where(MyInvocation.BoundParameters.ContainsKey).ToList();
        if (given.Count > 0)
        {
            ThrowMeshError(new MeshException("RemoteParameterConflict", MeshErrorKind.InvalidArgument,
                $"-{string.Join(" and -", given)} set(s) the mesh configuration of a cluster's own istiod, which a remote does not run: its workloads are configured by the primary's istiod.",
                given[0], $"Leave -{string.Join(" and -", given)} out with -Remote, and set them on the primary (Install-MeshControlPlane -ExternalIstiod)."));
        }
    }

    /// <summary>
    /// -Remote: the primary read once (refused if it cannot serve remotes), then one plan per remote. An OSSM 2.6 remote,
    /// or the primary named as its own remote, is refused for that cluster; the others go on.
    /// </summary>
    private List<ClusterPlan> RemotePlans(Dictionary<MeshCluster, ControlPlaneOptions> resolved)
    {
        var plans = new List<ClusterPlan>();
        var remotes = new List<MeshCluster>();
        foreach (var cluster in _clusters.Where(resolved.ContainsKey))
        {
            if (resolved[cluster].Flavor == MeshFlavor.Ossm2)
            {
                WriteMeshError(RemoteControlPlane.NotSupported(cluster.Name, "install a remote cluster"));
            }
            else if (cluster.Name == Primary!.Name)
            {
                WriteMeshError(new MeshException("RemoteIsPrimary", MeshErrorKind.InvalidArgument,
                    $"Cluster '{cluster.Name}' is the -Primary: a cluster cannot be its own remote.", cluster.Name,
                    "Pipe only the remote clusters to Install-MeshControlPlane -Remote; install the primary without -Remote (with -ExternalIstiod)."));
            }
            else
            {
                remotes.Add(cluster);
            }
        }

        if (remotes.Count == 0)
        {
            return plans;
        }

        // An export waits for no address unless told how long (the primary's gateway may exist only in a tree not yet applied).
        var wait = OutputPath is not null && !MyInvocation.BoundParameters.ContainsKey(nameof(Timeout)) ? TimeSpan.Zero : Timeout;
        MeshPrimary? primary = null;
        ForEachCluster("Reading the primary", new[] { (Primary!.Name, (Func<CancellationToken, Task<MeshPrimary>>)(ct =>
            RemoteControlPlane.ReadPrimaryAsync(Primary, Namespace, GatewayName, wait, ct))) }, read => primary = read);
        if (primary is null)
        {
            return plans;
        }

        WriteVerbose($"{primary.Cluster}: istiod exposed at {primary.PilotAddress} (east-west gateway {Namespace}/{GatewayName}), mesh {primary.MeshId}.");
        if (primary.MeshId is { } meshId && meshId != MeshId)
        {
            ThrowMeshError(new MeshException("MeshIdMismatch", MeshErrorKind.InvalidArgument,
                $"-MeshId is '{MeshId}', but the primary '{primary.Cluster}' is in mesh '{meshId}': a remote is in its primary's mesh.", MeshId,
                $"Use -MeshId {meshId}."));
        }

        foreach (var cluster in remotes)
        {
            var clusterOptions = resolved[cluster];
            var objects = RemoteControlPlane.Objects(cluster, clusterOptions, primary);
            var apis = RemoteControlPlane.RequiredApis(clusterOptions);
            plans.Add(new ClusterPlan(cluster, objects,
                $"Apply the remote control plane '{clusterOptions.ResourceName}' (mesh {MeshId}, cluster {cluster.Name}, network {cluster.Network}), using the istiod of '{primary.Cluster}' at {primary.PilotAddress}",
                ct => RemoteControlPlane.InstallAsync(cluster, objects, apis, Force, ct)));
        }

        return plans;
    }
}
