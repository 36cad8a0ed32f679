using System.Text.Json.Nodes;
using k8s;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Kube;

/// <summary>One object an uninstall step would delete; <see cref="Versions"/> lists the API versions to look in, first served first.</summary>
internal sealed record RemovalTarget(KubeKind Kind, string? Namespace, string Name, IReadOnlyList<string>? Versions = null)
{
    /// <summary>
    /// An object the module makes only sometimes (the reader account, which the operator usually makes): found but never
    /// made by the module, it is skipped without a report; one the module made and someone else changed is still Retained.
    /// </summary>
    public bool SkipWhenNotMade { get; init; }

    public string Describe() => $"{Kind.Kind} {(Namespace is null ? string.Empty : Namespace + "/")}{Name}";
}

/// <summary>
/// Deletes, in the order given, the objects of one cluster that are the module's (<see cref="Ownership"/>); anything
/// else found under those names is left and reported Retained with the reason, and what is not there is skipped, so a
/// second run deletes nothing. An API the cluster does not serve (no operator) means the object is not there.
/// </summary>
internal static class ObjectRemover
{
    /// <param name="dryRun">Only find: what would be deleted is reported Unchanged, what would be kept Retained.</param>
    public static async Task<IReadOnlyList<MeshResourceResult>> RemoveAsync(MeshCluster cluster, IReadOnlyList<RemovalTarget> targets, CancellationToken cancellation,
        bool dryRun = false)
    {
        var applier = new ResourceApplier(cluster);
        var results = new List<MeshResourceResult>();
        foreach (var target in targets)
        {
            var (kind, found) = await FindAsync(cluster, target, cancellation).ConfigureAwait(false);
            if (found is null)
            {
                continue;
            }

            if (target.SkipWhenNotMade && !Ownership.MadeByModule(found))
            {
                continue;
            }

            if (Ownership.WhyNotOurs(found) is { } reason)
            {
                results.Add(new MeshResourceResult(cluster.Name, kind.Kind, target.Namespace, target.Name, MeshResourceAction.Retained,
                    found["metadata"]?["resourceVersion"]?.GetValue<string>()) { Reason = reason });
                continue;
            }

            if (dryRun)
            {
                results.Add(new MeshResourceResult(cluster.Name, kind.Kind, target.Namespace, target.Name, MeshResourceAction.Unchanged,
                    found["metadata"]?["resourceVersion"]?.GetValue<string>()));
                continue;
            }

            var deleted = await applier.DeleteAsync(kind, target.Namespace, target.Name, cancellation).ConfigureAwait(false);
            if (deleted.Action == MeshResourceAction.Deleted)
            {
                results.Add(deleted);
            }
        }

        return results;
    }

    /// <summary>The object under the first version it exists in, as JSON; null when it is nowhere (or its API is not served).</summary>
    private static async Task<(KubeKind kind, JsonNode? found)> FindAsync(MeshCluster cluster, RemovalTarget target, CancellationToken cancellation)
    {
        var reader = new ResourceApplier(cluster);
        foreach (var version in target.Versions ?? new[] { target.Kind.Version })
        {
            var kind = target.Kind.WithVersion(version);
            object? obj;
            try
            {
                // Null when not there in this version, or when the version (the CRD) is not served: look in the next.
                obj = await reader.ReadObjectAsync(kind, target.Namespace, target.Name, cancellation).ConfigureAwait(false);
            }
            catch (Exception ex) when (KubeFailure.IsKubeFailure(ex) && !cancellation.IsCancellationRequested)
            {
                throw KubeFailure.From(ex, cluster.Name, "reading " + target.Describe());
            }

            if (obj is not null)
            {
                return (kind, JsonNode.Parse(KubernetesJson.Serialize(obj)));
            }
        }

        return (target.Kind, null);
    }
}
