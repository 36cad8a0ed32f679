using OssmMultiCluster.Model;

namespace OssmMultiCluster.Kube;

/// <summary>
/// Applies one cluster's objects after checking that the cluster serves every API they need. Every object is read
/// first, all at once: an API that is listed but does not answer (an aggregated API whose service is down) fails the
/// step before anything is written. Then namespaces go, one after the other; everything else is independent of the
/// rest and is applied concurrently, so that a cluster far away costs a few round trips per step rather than a few per
/// object. Results come back in the order given.
/// </summary>
internal static class ObjectInstaller
{
    public static async Task<InstallOutcome> InstallAsync(MeshCluster cluster, IReadOnlyList<KubeObject> objects,
        IReadOnlyList<(KubeKind kind, string install)> requiredApis, bool force, CancellationToken cancellation)
    {
        var applier = new ResourceApplier(cluster);
        await Task.WhenAll(requiredApis.Select(api => applier.RequireApiAsync(api.kind, api.install, cancellation))).ConfigureAwait(false);
        var before = await Task.WhenAll(objects.Select(obj => applier.ReadBeforeApplyAsync(obj, cancellation))).ConfigureAwait(false);

        var results = new MeshResourceResult[objects.Count];
        for (var i = 0; i < objects.Count; i++)
        {
            if (objects[i].Kind == KubeKind.Namespace)
            {
                results[i] = await applier.ApplyAsync(objects[i], before[i], force, cancellation).ConfigureAwait(false);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, objects.Count).Where(i => objects[i].Kind != KubeKind.Namespace)
            .Select(async i => results[i] = await applier.ApplyAsync(objects[i], before[i], force, cancellation).ConfigureAwait(false))).ConfigureAwait(false);
        return InstallOutcome.Of(results);
    }
}
