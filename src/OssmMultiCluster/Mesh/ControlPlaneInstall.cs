using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh.Resources;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh;

/// <summary>Install-MeshControlPlane -Remote: the primary whose istiod the remotes use, and how long to wait for its address.</summary>
internal sealed record RemoteInstallOptions(MeshCluster Primary, string GatewayName, TimeSpan Wait);

/// <summary>What Install-MeshControlPlane was asked for: the options, whether -Flavor was given, and -Remote's.</summary>
internal sealed record ControlPlaneInstallRequest(ControlPlaneOptions Options, bool FlavorGiven, bool Force)
{
    public RemoteInstallOptions? Remote { get; init; }

    /// <summary>The parameters given that set a cluster's own istiod's mesh configuration (refused with -Remote).</summary>
    public IReadOnlyList<string> PrimaryParametersGiven { get; init; } = Array.Empty<string>();
}

/// <summary>
/// Install-MeshControlPlane as a plan: each cluster's flavour and version read where not given, then one control
/// plane per cluster (or, with -Remote, the primary read once and one remote control plane per cluster), delivered
/// to the clusters or to a GitOps tree by <see cref="PlanDelivery"/>.
/// </summary>
internal static class ControlPlaneInstall
{
    public static async Task RunAsync(IMeshHost host, IReadOnlyList<MeshCluster> clusters, ControlPlaneInstallRequest request, Delivery delivery)
    {
        if (request.Remote is not null)
        {
            RefuseParametersOfPrimaries(request.PrimaryParametersGiven);
        }

        var resolved = await ResolveAsync(host, clusters, request).ConfigureAwait(false);
        if (request.Remote is { } remote)
        {
            var remotePlans = await RemotePlansAsync(host, clusters, resolved, request, remote).ConfigureAwait(false);
            await PlanDelivery.DeliverAsync(host, "Installing remote control planes", remotePlans, delivery).ConfigureAwait(false);
            return;
        }

        await PlanDelivery.DeliverAsync(host, "Installing control planes", Plans(host, clusters, resolved, request), delivery).ConfigureAwait(false);
    }

    /// <summary>Each cluster's options with its flavour (read from the cluster unless -Flavor was given) and, for OSSM 3, a version.</summary>
    private static async Task<Dictionary<MeshCluster, ControlPlaneOptions>> ResolveAsync(IMeshHost host, IReadOnlyList<MeshCluster> clusters, ControlPlaneInstallRequest request)
    {
        var options = request.Options;
        var resolved = new Dictionary<MeshCluster, ControlPlaneOptions>();
        await ClusterWork.ForEachAsync(host, "Reading the clusters' operators", clusters, async (cluster, ct) =>
        {
            var detected = request.FlavorGiven ? null : await OperatorDetection.DetectAsync(cluster, options.Namespace, ct).ConfigureAwait(false);
            var clusterOptions = options with { Flavor = detected?.Flavor ?? options.Flavor };
            if (clusterOptions.Flavor == MeshFlavor.Ossm3 && clusterOptions.Version is null)
            {
                clusterOptions = clusterOptions with { Version = await OperatorDetection.DefaultVersionAsync(cluster, KubeKind.Of<Istio>(), ct).ConfigureAwait(false) };
            }

            return (clusterOptions, detected?.Reason);
        }, (cluster, result) =>
        {
            var (clusterOptions, reason) = result;
            host.WriteVerbose(reason is null
                ? $"{cluster.Name}: flavor {clusterOptions.Flavor} (-Flavor)."
                : $"{cluster.Name}: flavor {clusterOptions.Flavor}, read from the cluster: {reason}.");
            if (clusterOptions.Version is not null && options.Version is null)
            {
                host.WriteVerbose($"{cluster.Name}: version {clusterOptions.Version}, the default of the cluster's Sail operator CRD.");
            }

            resolved[cluster] = clusterOptions;
        }).ConfigureAwait(false);
        return resolved;
    }

    private static List<ClusterPlan> Plans(IMeshHost host, IReadOnlyList<MeshCluster> clusters, Dictionary<MeshCluster, ControlPlaneOptions> resolved, ControlPlaneInstallRequest request)
    {
        var plans = new List<ClusterPlan>();
        foreach (var cluster in clusters.Where(resolved.ContainsKey))
        {
            var clusterOptions = resolved[cluster];
            IReadOnlyList<KubeObject> objects;
            try
            {
                objects = ControlPlane.Objects(cluster, clusterOptions);
            }
            catch (MeshException error)
            {
                // -ExternalIstiod on an OSSM 2.6 cluster: refused for it, the others go on.
                host.WriteError(error);
                continue;
            }

            var apis = ControlPlane.RequiredApis(clusterOptions);
            plans.Add(new ClusterPlan(cluster, objects,
                $"Apply the {clusterOptions.Flavor} control plane '{clusterOptions.ResourceName}' (mesh {clusterOptions.MeshId}, cluster {cluster.Name}, network {cluster.Network})" +
                (clusterOptions.ExternalIstiod ? ", its istiod serving remote clusters" : string.Empty),
                ct => ObjectInstaller.InstallAsync(cluster, objects, apis, request.Force, ct)));
        }

        return plans;
    }

    /// <summary>A remote's mesh configuration is its primary's: parameters that set it on a remote would be ignored, so they are refused.</summary>
    private static void RefuseParametersOfPrimaries(IReadOnlyList<string> given)
    {
        if (given.Count > 0)
        {
            throw new MeshException("RemoteParameterConflict", MeshErrorKind.InvalidArgument,
                $"-{string.Join(" and -", given)} set(s) the mesh configuration of a cluster's own istiod, which a remote does not run: its workloads are configured by the primary's istiod.",
                given[0], $"Leave -{string.Join(" and -", given)} out with -Remote, and set them on the primary (Install-MeshControlPlane -ExternalIstiod).");
        }
    }

    /// <summary>
    /// -Remote: the primary read once (refused if it cannot serve remotes), then one plan per remote. An OSSM 2.6 remote,
    /// or the primary named as its own remote, is refused for that cluster; the others go on.
    /// </summary>
    private static async Task<List<ClusterPlan>> RemotePlansAsync(IMeshHost host, IReadOnlyList<MeshCluster> clusters, Dictionary<MeshCluster, ControlPlaneOptions> resolved,
        ControlPlaneInstallRequest request, RemoteInstallOptions remote)
    {
        var plans = new List<ClusterPlan>();
        var remotes = new List<MeshCluster>();
        foreach (var cluster in clusters.Where(resolved.ContainsKey))
        {
            if (resolved[cluster].Flavor == MeshFlavor.Ossm2)
            {
                host.WriteError(RemoteControlPlane.NotSupported(cluster.Name, "install a remote cluster"));
            }
            else if (cluster.Name == remote.Primary.Name)
            {
                host.WriteError(new MeshException("RemoteIsPrimary", MeshErrorKind.InvalidArgument,
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

        var ns = request.Options.Namespace;
        MeshPrimary? primary = null;
        await ClusterWork.ForEachAsync(host, "Reading the primary", new[] { remote.Primary },
            (c, ct) => RemoteControlPlane.ReadPrimaryAsync(c, ns, remote.GatewayName, remote.Wait, ct), (_, read) => primary = read).ConfigureAwait(false);
        if (primary is null)
        {
            return plans;
        }

        host.WriteVerbose($"{primary.Cluster}: istiod exposed at {primary.PilotAddress} (east-west gateway {ns}/{remote.GatewayName}), mesh {primary.MeshId}.");
        var meshId = request.Options.MeshId;
        if (primary.MeshId is { } primaryMesh && primaryMesh != meshId)
        {
            throw new MeshException("MeshIdMismatch", MeshErrorKind.InvalidArgument,
                $"-MeshId is '{meshId}', but the primary '{primary.Cluster}' is in mesh '{primaryMesh}': a remote is in its primary's mesh.", meshId,
                $"Use -MeshId {primaryMesh}.");
        }

        foreach (var cluster in remotes)
        {
            var clusterOptions = resolved[cluster];
            var objects = RemoteControlPlane.Objects(cluster, clusterOptions, primary);
            var apis = RemoteControlPlane.RequiredApis(clusterOptions);
            plans.Add(new ClusterPlan(cluster, objects,
                $"Apply the remote control plane '{clusterOptions.ResourceName}' (mesh {meshId}, cluster {cluster.Name}, network {cluster.Network}), using the istiod of '{primary.Cluster}' at {primary.PilotAddress}",
                ct => RemoteControlPlane.InstallAsync(cluster, objects, apis, request.Force, ct)));
        }

        return plans;
    }
}
