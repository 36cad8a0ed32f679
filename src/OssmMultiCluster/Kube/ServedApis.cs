using k8s;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Kube;

/// <summary>
/// Which API groups and versions one cluster serves, from its discovery endpoint (/apis): asked once and kept on the
/// cluster's <see cref="MeshCluster"/>, so a pipeline of cmdlets checks its operators' APIs with one request per
/// cluster. A version found served stays known. One found missing is believed for <see cref="MissingLifetime"/> and
/// then asked again, so an operator installed after a CrdMissing error is seen by the next run of the same objects.
/// </summary>
internal sealed class ServedApis
{
    public static readonly TimeSpan MissingLifetime = TimeSpan.FromSeconds(10);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private HashSet<string>? _served;
    private DateTime _asked;

    /// <summary>True when the cluster serves <paramref name="apiVersion"/> (group/version); the core API (v1) always.</summary>
    public async Task<bool> ServesAsync(MeshCluster cluster, string apiVersion, CancellationToken cancellation)
    {
        if (!apiVersion.Contains('/', StringComparison.Ordinal))
        {
            return true;
        }

        await _gate.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            if (_served is null || (!_served.Contains(apiVersion) && DateTime.UtcNow - _asked > MissingLifetime))
            {
                _served = await AskAsync(cluster, cancellation).ConfigureAwait(false);
                _asked = DateTime.UtcNow;
            }

            return _served.Contains(apiVersion);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static async Task<HashSet<string>> AskAsync(MeshCluster cluster, CancellationToken cancellation)
    {
        try
        {
            var groups = await cluster.Client.Apis.GetAPIVersionsAsync(cancellation).ConfigureAwait(false);
            return groups.Groups.SelectMany(g => g.Versions).Select(v => v.GroupVersion).ToHashSet(StringComparer.Ordinal);
        }
        catch (Exception ex) when (KubeFailure.IsKubeFailure(ex) && !cancellation.IsCancellationRequested)
        {
            throw KubeFailure.From(ex, cluster.Name, "reading which APIs the cluster serves");
        }
    }
}
