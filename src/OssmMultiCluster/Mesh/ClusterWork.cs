using OssmMultiCluster.Kube;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh;

/// <summary>
/// How the services work on several clusters at once: each cluster's work runs concurrently, its result is handed on in
/// the order the clusters were given (so output reads the same on every run), progress names the cluster waited for,
/// and a cluster that fails is reported while the others go on.
/// </summary>
internal static class ClusterWork
{
    /// <summary>
    /// Runs every item's work concurrently and hands each result to <paramref name="take"/> in the items' order. A
    /// <see cref="MeshException"/> of one item is written as that item's error; anything else fails the whole call.
    /// </summary>
    public static async Task ForEachAsync<T>(IMeshHost host, string activity, IReadOnlyList<(string cluster, Func<CancellationToken, Task<T>> work)> items, Action<T> take)
    {
        var cancellation = host.Cancellation;
        var tasks = items.Select(item => Task.Run(() => item.work(cancellation), cancellation)).ToList();
        try
        {
            for (var i = 0; i < items.Count; i++)
            {
                host.WriteProgress(activity, $"{items[i].cluster} ({i + 1} of {items.Count})", 100 * i / items.Count);
                try
                {
                    take(await tasks[i].ConfigureAwait(false));
                }
                catch (MeshException error)
                {
                    host.WriteError(error);
                }
            }
        }
        finally
        {
            host.WriteProgress(activity, string.Empty, completed: true);
        }
    }

    /// <summary>Like <see cref="ForEachAsync{T}"/> with one piece of work per cluster, the results paired with their cluster.</summary>
    public static Task ForEachAsync<T>(IMeshHost host, string activity, IEnumerable<MeshCluster> clusters, Func<MeshCluster, CancellationToken, Task<T>> work, Action<MeshCluster, T> take) =>
        ForEachAsync(host, activity, clusters.Select(c => (c.Name, (Func<CancellationToken, Task<(MeshCluster, T)>>)(async ct => (c, await work(c, ct).ConfigureAwait(false))))).ToList(),
            pair => take(pair.Item1, pair.Item2));

    /// <summary>
    /// Runs one step on every cluster not in <paramref name="failed"/>; the clusters that fail are reported, added to
    /// <paramref name="failed"/> and left out of the result, so a later step does not report the same cluster again.
    /// </summary>
    public static async Task<Dictionary<MeshCluster, T>> CollectAsync<T>(IMeshHost host, string activity, IEnumerable<MeshCluster> clusters, ISet<MeshCluster> failed,
        Func<MeshCluster, CancellationToken, Task<T>> step)
    {
        var collected = new Dictionary<MeshCluster, T>();
        var working = clusters.Where(c => !failed.Contains(c)).ToList();
        await ForEachAsync(host, activity, working, step, (c, value) => collected[c] = value).ConfigureAwait(false);
        failed.UnionWith(working.Where(c => !collected.ContainsKey(c)));
        return collected;
    }

    /// <summary>Writes what working on one cluster did: its warnings, its results, then what failed.</summary>
    public static void Report(IMeshHost host, InstallOutcome outcome)
    {
        foreach (var warning in outcome.AllWarnings)
        {
            host.WriteWarning(warning);
        }

        foreach (var result in outcome.Results)
        {
            host.WriteObject(result);
        }

        foreach (var error in outcome.Errors)
        {
            host.WriteError(error);
        }
    }
}
