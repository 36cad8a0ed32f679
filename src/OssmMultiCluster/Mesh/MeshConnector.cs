using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh.Resources;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh;

internal sealed record ConnectOptions
{
    public string Namespace { get; init; } = MeshNames.ControlPlaneNamespace;

    /// <summary>OSSM 3: also write mesh networks (OSSM 2.6 always needs them).</summary>
    public bool MeshNetworks { get; init; }

    public bool Force { get; init; }
}

/// <summary>
/// Multi-primary wiring (walkthrough steps 10, 12, 14): every cluster gets the other clusters' remote secrets, and
/// its control plane the other networks with their gateway addresses; Disconnect undoes exactly that for one cluster.
/// </summary>
internal static class MeshConnector
{
    /// <summary>Whether a control plane needs mesh networks written (a remote's never: it runs no istiod).</summary>
    public static bool NeedsMeshNetworks(ControlPlaneRef controlPlane, ConnectOptions options) =>
        !controlPlane.IsRemote && (controlPlane.Flavor == MeshFlavor.Ossm2 || options.MeshNetworks);

    /// <summary>What connecting <paramref name="target"/> applies: the others' secrets, then its mesh networks; nothing on a remote.</summary>
    public static IReadOnlyList<KubeObject> Objects(MeshCluster target, IEnumerable<MeshRemoteSecret> secrets, ControlPlaneRef? controlPlane,
        IReadOnlyList<MeshGatewayAddress> addresses, ConnectOptions options)
    {
        // A remote runs no istiod: nothing on it reads other clusters (its primary reads it).
        var objects = secrets.Where(s => s.SourceCluster != target.Name && controlPlane?.IsRemote != true)
            .Select(s => KubeObject.Of(s.Secret)).ToList();
        if (controlPlane is not null && NeedsMeshNetworks(controlPlane, options))
        {
            objects.Add(MeshNetworks.Object(controlPlane, MeshNetworks.For(target, addresses)));
        }

        return objects;
    }

    /// <summary>
    /// Whether <paramref name="source"/>'s remote secret is needed: some other target holds it, one that is not a remote
    /// (a remote reads no cluster). In a primary-remote pair only the remote's secret is made, for the primary.
    /// </summary>
    public static bool SecretNeeded(MeshCluster source, IEnumerable<(MeshCluster cluster, ControlPlaneRef? controlPlane)> targets) =>
        targets.Any(t => t.cluster != source && t.controlPlane?.IsRemote != true);

    public static async Task<InstallOutcome> ConnectAsync(MeshCluster target, IReadOnlyList<KubeObject> objects, bool force, CancellationToken cancellation)
    {
        var secrets = new ResourceApplier(target);
        var networks = new ResourceApplier(target, MeshNetworks.FieldManager);
        var applied = await Task.WhenAll(objects.Select(obj => (obj.Kind == KubeKind.Secret ? secrets : networks).ApplyAsync(obj, force, cancellation)))
            .ConfigureAwait(false);
        return InstallOutcome.Of(applied);
    }

    /// <summary>
    /// On <paramref name="cluster"/>, takes <paramref name="leaving"/> out of the mesh it formed with <paramref name="others"/>: its secret in each of them, theirs in it,
    /// and its network from their mesh networks (and theirs from its).
    /// </summary>
    public static async Task<InstallOutcome> DisconnectAsync(MeshCluster cluster, MeshCluster leaving, IReadOnlyList<MeshCluster> others,
        ConnectOptions options, CancellationToken cancellation)
    {
        var deleter = new ResourceApplier(cluster);
        var gone = cluster == leaving ? others : new[] { leaving };
        var results = new List<MeshResourceResult>();
        foreach (var other in gone)
        {
            results.Add(await deleter.DeleteAsync(KubeKind.Secret, options.Namespace, RemoteSecrets.SecretName(other.Name), cancellation).ConfigureAwait(false));
        }

        ControlPlaneRef controlPlane;
        try
        {
            controlPlane = await MeshNetworks.LocateAsync(cluster, options.Namespace, cancellation).ConfigureAwait(false);
        }
        catch (MeshException error) when (error.ErrorId == "ControlPlaneNotFound")
        {
            // No control plane (already uninstalled, as a second Remove-MeshCluster finds it): no mesh networks to edit.
            return InstallOutcome.Of(results);
        }

        var current = await MeshNetworks.ReadAsync(cluster, controlPlane, cancellation).ConfigureAwait(false);
        var remaining = Without(current, gone.Select(c => c.Name).ToHashSet(StringComparer.Ordinal));
        var networks = new ResourceApplier(cluster, MeshNetworks.FieldManager);
        if (remaining.Count == 0 && current.Count > 0)
        {
            results.Add(await networks.RemoveFieldAsync(controlPlane.Kind, controlPlane.Kind.Namespaced ? controlPlane.Namespace : null, controlPlane.Name,
                MeshNetworks.FieldPath(controlPlane), cancellation).ConfigureAwait(false));
        }
        else if (remaining.Count != current.Count || remaining.Values.Sum(n => n.Endpoints.Count) != current.Values.Sum(n => n.Endpoints.Count))
        {
            results.Add(await networks.ApplyAsync(MeshNetworks.Object(controlPlane, remaining), options.Force, cancellation).ConfigureAwait(false));
        }

        return InstallOutcome.Of(results);
    }

    /// <summary>The networks without the clusters leaving; a network left with no cluster is dropped with its gateways.</summary>
    private static Dictionary<string, MeshNetwork> Without(Dictionary<string, MeshNetwork> networks, HashSet<string> leaving)
    {
        var remaining = new Dictionary<string, MeshNetwork>(StringComparer.Ordinal);
        foreach (var (name, network) in networks)
        {
            var kept = network.Endpoints.Where(e => e.FromRegistry is null || !leaving.Contains(e.FromRegistry)).ToList();
            if (kept.Count == 0)
            {
                continue;
            }

            // Gateways are listed per cluster in registry order (MeshNetworks.For), so they are kept alongside their registry.
            var gateways = network.Endpoints.Count == network.Gateways.Count
                ? network.Endpoints.Zip(network.Gateways).Where(p => p.First.FromRegistry is null || !leaving.Contains(p.First.FromRegistry)).Select(p => p.Second).ToList()
                : network.Gateways;
            remaining[name] = new MeshNetwork { Endpoints = kept, Gateways = gateways };
        }

        return remaining;
    }
}
