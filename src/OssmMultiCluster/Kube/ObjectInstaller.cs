using OssmMultiCluster.Model;

namespace OssmMultiCluster.Kube;

/// <summary>Applies one cluster's objects in order, after checking that the cluster serves every API they need.</summary>
public static class ObjectInstaller
{
    public static async Task<InstallOutcome> InstallAsync(MeshCluster cluster, IReadOnlyList<KubeObject> objects,
        IReadOnlyList<(KubeKind kind, string install)> requiredApis, bool force, CancellationToken cancellation)
    {
        var applier = new ResourceApplier(cluster);
        foreach (var (kind, install) in requiredApis)
        {
            await applier.RequireApiAsync(kind, install, cancellation).ConfigureAwait(false);
        }

        var results = new List<MeshResourceResult>();
        foreach (var obj in objects)
        {
            results.Add(await applier.ApplyAsync(obj, force, cancellation).ConfigureAwait(false));
        }

        return InstallOutcome.Of(results);
    }
}
