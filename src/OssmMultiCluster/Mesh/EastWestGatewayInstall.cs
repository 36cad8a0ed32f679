using OssmMultiCluster.Kube;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh;

/// <summary>What Install-MeshEastWestGateway was asked for; <see cref="WaitTimeout"/> set: wait for the addresses afterwards (-Wait).</summary>
internal sealed record EastWestGatewayInstallRequest(EastWestGatewayOptions Options, bool FlavorGiven, bool Force)
{
    public TimeSpan? WaitTimeout { get; init; }
}

/// <summary>
/// Install-MeshEastWestGateway as a plan: what each cluster's objects depend on is read first (the flavour, only for
/// -ExposeIstiod without -Flavor; the PodDisruptionBudget version the cluster serves, only with more than one replica),
/// then each cluster's objects are built once, for apply and export alike, and delivered by <see cref="PlanDelivery"/>.
/// -ExposeIstiod is refused on a cluster whose control plane is a remote: it has no istiod to expose.
/// </summary>
internal static class EastWestGatewayInstall
{
    private static readonly string[] PdbVersions = { "v1", "v1beta1" };

    public static async Task RunAsync(IMeshHost host, IReadOnlyList<MeshCluster> clusters, EastWestGatewayInstallRequest request, Delivery delivery)
    {
        var options = request.Options;
        var readFlavor = options.ExposeIstiod && !request.FlavorGiven;
        // An export that names its flavour is made without the clusters; everything else with -ExposeIstiod reads each
        // cluster's control plane, to refuse a remote.
        var checkRemote = options.ExposeIstiod && !delivery.Exporting;
        var readPdb = options.Replicas > 1;
        var perCluster = new Dictionary<MeshCluster, (EastWestGatewayOptions options, string pdbVersion)>();
        if (readFlavor || checkRemote || readPdb)
        {
            var activity = readFlavor ? "Reading the clusters' operators" : checkRemote ? "Reading the clusters' control planes" : "Reading the clusters' APIs";
            await ClusterWork.ForEachAsync(host, activity, clusters, async (cluster, ct) =>
            {
                // Only -ExposeIstiod depends on the flavour (istiod-basic or istiod): read it from the cluster.
                var detected = readFlavor ? await OperatorDetection.DetectAsync(cluster, options.Namespace, ct).ConfigureAwait(false) : null;
                if (detected?.IsRemote ?? (checkRemote && await RemoteControlPlane.IsRemoteClusterAsync(cluster, options.Namespace, ct).ConfigureAwait(false)))
                {
                    throw new MeshException("RemoteCannotExposeIstiod", MeshErrorKind.InvalidOperation,
                        $"Cluster '{cluster.Name}' runs a remote control plane for namespace {options.Namespace}: it has no istiod of its own to expose (its workloads use their primary's).",
                        cluster.Name, "Leave out -ExposeIstiod for the remote (its east-west gateway still carries cross-network traffic), and use it on the primary the remote names.");
                }

                var pdbVersion = readPdb ? await new ResourceApplier(cluster).ServedVersionAsync("policy", "poddisruptionbudgets", PdbVersions, ct).ConfigureAwait(false) : PdbVersions[0];
                return (detected, pdbVersion);
            }, (cluster, read) =>
            {
                if (read.detected is { } detected)
                {
                    host.WriteVerbose($"{cluster.Name}: flavor {detected.Flavor}, read from the cluster: {detected.Reason}.");
                }

                perCluster[cluster] = (read.detected is null ? options : options with { Flavor = read.detected.Flavor }, read.pdbVersion);
            }).ConfigureAwait(false);
        }
        else
        {
            foreach (var cluster in clusters)
            {
                perCluster[cluster] = (options, PdbVersions[0]);
            }
        }

        var plans = clusters.Where(perCluster.ContainsKey).Select(cluster =>
        {
            var (clusterOptions, pdbVersion) = perCluster[cluster];
            var objects = EastWestGateway.Objects(cluster, clusterOptions, pdbVersion);
            return new ClusterPlan(cluster, objects, $"Apply east-west gateway {options.Namespace}/{options.Name} ({options.ServiceType}, network {cluster.Network})",
                ct => ObjectInstaller.InstallAsync(cluster, objects, EastWestGateway.RequiredApis(clusterOptions), request.Force, ct));
        }).ToList();
        await PlanDelivery.DeliverAsync(host, "Installing east-west gateways", plans, delivery).ConfigureAwait(false);

        if (request.WaitTimeout is { } timeout && !delivery.Exporting)
        {
            await WaitAsync(host, clusters, options.Namespace, options.Name, timeout).ConfigureAwait(false);
        }
    }

    /// <summary>Wait-MeshGateway, and Install-MeshEastWestGateway -Wait: each gateway's address, in the clusters' order, as it is known.</summary>
    public static Task WaitAsync(IMeshHost host, IReadOnlyList<MeshCluster> clusters, string ns, string name, TimeSpan timeout) =>
        ClusterWork.ForEachAsync(host, "Waiting for gateway addresses", clusters,
            (c, ct) => GatewayAddresses.WaitAsync(c, ns, name, timeout, ct), (_, address) => host.WriteObject(address));
}
