using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Kube;

/// <summary>
/// Server-side apply of <see cref="KubeObject"/>s to one cluster. Whether an apply created, changed or left an object
/// alone is decided by comparing, before and after, the fields the apply sets (the applied object's shape) and this
/// applier's managedFields entry without its time: what a controller writes meanwhile (a Deployment's status, its
/// revision annotation) is not a change the apply made.
/// </summary>
internal sealed class ResourceApplier
{
    /// <summary>The field manager of everything the Install cmdlets apply.</summary>
    public const string FieldManager = "ossm-multicluster";

    private readonly MeshCluster _cluster;
    private readonly string _fieldManager;

    public ResourceApplier(MeshCluster cluster, string fieldManager = FieldManager)
    {
        _cluster = cluster;
        _fieldManager = fieldManager;
    }

    public async Task<MeshResourceResult> ApplyAsync(KubeObject obj, bool force, CancellationToken cancellation) =>
        await ApplyAsync(obj, await ReadBeforeApplyAsync(obj, cancellation).ConfigureAwait(false), force, cancellation).ConfigureAwait(false);

    /// <summary>The object as the cluster has it now (null: it does not exist), for <see cref="ApplyAsync(KubeObject, object?, bool, CancellationToken)"/>.</summary>
    public Task<object?> ReadBeforeApplyAsync(KubeObject obj, CancellationToken cancellation) =>
        ReadAsync(obj.Kind, obj.Namespace, obj.Name, "applying " + obj.Describe(), cancellation);

    /// <summary>Reads an object of any kind, as JSON, or null when it (or its API version) is not there.</summary>
    public Task<object?> ReadAsync(KubeKind kind, string? ns, string name, string what, CancellationToken cancellation) =>
        Guard(() => ReadObjectAsync(kind, ns, name, cancellation), what, cancellation);

    /// <summary>
    /// Applies an object the caller has just read (<paramref name="before"/>, null: it does not exist), so the cluster
    /// is not asked for it twice in one cmdlet.
    /// </summary>
    public async Task<MeshResourceResult> ApplyAsync(KubeObject obj, object? before, bool force, CancellationToken cancellation)
    {
        var what = "applying " + obj.Describe();
        var (after, takenOver) = await Guard(() => PatchTakingOverAsync(obj, force, cancellation), what, cancellation).ConfigureAwait(false);
        var (afterSnapshot, resourceVersion) = Snapshot(after);
        var applied = JsonNode.Parse(KubernetesJson.Serialize(obj.Body));
        var action = before is null ? MeshResourceAction.Created
            : SameAsApplied(Snapshot(before).content, afterSnapshot, applied) ? MeshResourceAction.Unchanged
            : MeshResourceAction.Configured;
        return new MeshResourceResult(_cluster.Name, obj.Kind.Kind, obj.Namespace, obj.Name, action, resourceVersion) { OwnershipTaken = takenOver };
    }

    /// <summary>
    /// Applies without force first, so fields someone else set are never overwritten silently: without
    /// <paramref name="force"/> the conflict fails the apply (FieldConflict); with it, the apply is repeated with force and
    /// the server's account of the conflict (managers and field paths, never values) is returned, for the user to be told.
    /// </summary>
    private async Task<(object after, string? takenOver)> PatchTakingOverAsync(KubeObject obj, bool force, CancellationToken cancellation)
    {
        try
        {
            return (await PatchAsync(obj, force: false, cancellation).ConfigureAwait(false), null);
        }
        catch (HttpOperationException ex) when (force && ex.Response.StatusCode == HttpStatusCode.Conflict)
        {
            return (await PatchAsync(obj, force: true, cancellation).ConfigureAwait(false), KubeFailure.ServerMessage(ex).Replace("\n", " ", StringComparison.Ordinal));
        }
    }

    /// <summary>
    /// Removes one field of a custom resource with a JSON merge patch. Server-side apply cannot do it on Kubernetes 1.20:
    /// giving up the last keys of a map leaves the map null, which a CRD's schema rejects.
    /// </summary>
    public async Task<MeshResourceResult> RemoveFieldAsync(KubeKind kind, string? ns, string name, IReadOnlyList<string> path, CancellationToken cancellation)
    {
        JsonNode? body = null;
        for (var i = path.Count - 1; i >= 0; i--)
        {
            body = new JsonObject { [path[i]] = body };
        }

        var patch = new V1Patch(body!, V1Patch.PatchType.MergePatch);
        var what = $"removing {string.Join('.', path)} of {kind.Kind} {name}";
        var after = await Guard(async () => kind.Namespaced
            ? await _cluster.Client.CustomObjects.PatchNamespacedCustomObjectAsync(patch, kind.Group, kind.Version, ns, kind.Plural, name, fieldManager: _fieldManager, cancellationToken: cancellation).ConfigureAwait(false)
            : await _cluster.Client.CustomObjects.PatchClusterCustomObjectAsync(patch, kind.Group, kind.Version, kind.Plural, name, fieldManager: _fieldManager, cancellationToken: cancellation).ConfigureAwait(false),
            what, cancellation).ConfigureAwait(false);
        return new MeshResourceResult(_cluster.Name, kind.Kind, ns, name, MeshResourceAction.Configured, Snapshot(after).resourceVersion);
    }

    /// <summary>Deletes an object; one already gone is reported Unchanged.</summary>
    public async Task<MeshResourceResult> DeleteAsync(KubeKind kind, string? ns, string name, CancellationToken cancellation)
    {
        var what = $"deleting {kind.Kind} {(ns is null ? string.Empty : ns + "/")}{name}";
        try
        {
            // The answer is taken as it comes, never read as the object: servers before 1.21 answer a Service deletion
            // with a Status, not the Service (any failure is an HTTP error, caught below).
            _ = kind.Namespaced
                ? await _cluster.Client.CustomObjects.DeleteNamespacedCustomObjectAsync(kind.Group, kind.Version, ns, kind.Plural, name, cancellationToken: cancellation).ConfigureAwait(false)
                : await _cluster.Client.CustomObjects.DeleteClusterCustomObjectAsync(kind.Group, kind.Version, kind.Plural, name, cancellationToken: cancellation).ConfigureAwait(false);
            return new MeshResourceResult(_cluster.Name, kind.Kind, ns, name, MeshResourceAction.Deleted, null);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return new MeshResourceResult(_cluster.Name, kind.Kind, ns, name, MeshResourceAction.Unchanged, null);
        }
        catch (Exception ex) when (KubeFailure.IsKubeFailure(ex) && !cancellation.IsCancellationRequested)
        {
            throw KubeFailure.From(ex, _cluster.Name, what);
        }
    }

    /// <summary>Reads an object, or null when it does not exist.</summary>
    public async Task<T?> ReadAsync<T>(Func<IKubernetes, CancellationToken, Task<T>> read, string what, CancellationToken cancellation)
        where T : class
    {
        try
        {
            return await read(_cluster.Client, cancellation).ConfigureAwait(false);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (Exception ex) when (KubeFailure.IsKubeFailure(ex) && !cancellation.IsCancellationRequested)
        {
            throw KubeFailure.From(ex, _cluster.Name, what);
        }
    }

    /// <summary>
    /// The objects of <paramref name="kind"/> in <paramref name="ns"/> (every namespace when null, or when the kind is
    /// cluster-scoped); none when the cluster does not serve the kind.
    /// </summary>
    public async Task<IReadOnlyList<JsonElement>> ListAsync(KubeKind kind, string? ns, string what, CancellationToken cancellation)
    {
        var list = await ReadAsync((c, ct) => kind.Namespaced && ns is not null
                ? c.CustomObjects.ListNamespacedCustomObjectAsync(kind.Group, kind.Version, ns, kind.Plural, cancellationToken: ct)
                : c.CustomObjects.ListClusterCustomObjectAsync(kind.Group, kind.Version, kind.Plural, cancellationToken: ct),
            what, cancellation).ConfigureAwait(false);
        return list is JsonElement json && json.TryGetProperty("items", out var items) && items.ValueKind == JsonValueKind.Array
            ? items.EnumerateArray().ToList()
            : Array.Empty<JsonElement>();
    }

    /// <summary>
    /// Fails with CrdMissing unless the cluster serves <paramref name="kind"/>: checked before anything is applied,
    /// so a cluster without the operator is left untouched rather than half-configured.
    /// </summary>
    public async Task RequireApiAsync(KubeKind kind, string install, CancellationToken cancellation)
    {
        if (!await _cluster.Apis.ServesAsync(_cluster, kind.ApiVersion, cancellation).ConfigureAwait(false))
        {
            throw new MeshException("CrdMissing", MeshErrorKind.NotInstalled,
                $"Cluster '{_cluster.Name}' does not serve {kind.Kind} ({kind.ApiVersion}): its operator is not installed.", _cluster.Name,
                $"Install {install} on cluster '{_cluster.Name}' (OperatorHub), wait for it to be ready, then run this again.");
        }
    }

    /// <summary>The first of <paramref name="versions"/> the cluster serves for a resource, e.g. policy/v1 or v1beta1.</summary>
    public async Task<string> ServedVersionAsync(string group, string plural, IReadOnlyList<string> versions, CancellationToken cancellation)
    {
        foreach (var version in versions)
        {
            if (await _cluster.Apis.ServesAsync(_cluster, $"{group}/{version}", cancellation).ConfigureAwait(false))
            {
                return version;
            }
        }

        throw new MeshException("CrdMissing", MeshErrorKind.NotInstalled,
            $"Cluster '{_cluster.Name}' serves none of {string.Join(", ", versions.Select(v => $"{group}/{v}"))} for {plural}.", _cluster.Name,
            "Check the cluster's Kubernetes version ('kubectl api-versions').");
    }

    private async Task<T> Guard<T>(Func<Task<T>> call, string what, CancellationToken cancellation)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (KubeFailure.IsKubeFailure(ex) && !cancellation.IsCancellationRequested)
        {
            throw KubeFailure.From(ex, _cluster.Name, what);
        }
    }

    /// <summary>
    /// One object of any kind, as the server has it (JSON); null when it (or its API version) is not there. Every kind
    /// takes the same way: KubernetesClient's custom-object calls, which address the core group ("") under /api/v1 and
    /// every other under /apis/&lt;group&gt;/&lt;version&gt;, through the cluster's client (its retries, log and TLS check).
    /// </summary>
    public async Task<object?> ReadObjectAsync(KubeKind kind, string? ns, string name, CancellationToken cancellation)
    {
        try
        {
            return kind.Namespaced
                ? await _cluster.Client.CustomObjects.GetNamespacedCustomObjectAsync(kind.Group, kind.Version, ns, kind.Plural, name, cancellation).ConfigureAwait(false)
                : await _cluster.Client.CustomObjects.GetClusterCustomObjectAsync(kind.Group, kind.Version, kind.Plural, name, cancellation).ConfigureAwait(false);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<object> PatchAsync(KubeObject obj, bool force, CancellationToken cancellation)
    {
        var patch = new V1Patch(obj.Body, V1Patch.PatchType.ApplyPatch);
        var kind = obj.Kind;
        return kind.Namespaced
            ? await _cluster.Client.CustomObjects.PatchNamespacedCustomObjectAsync(patch, kind.Group, kind.Version, obj.Namespace, kind.Plural, obj.Name,
                fieldManager: _fieldManager, force: force, cancellationToken: cancellation).ConfigureAwait(false)
            : await _cluster.Client.CustomObjects.PatchClusterCustomObjectAsync(patch, kind.Group, kind.Version, kind.Plural, obj.Name,
                fieldManager: _fieldManager, force: force, cancellationToken: cancellation).ConfigureAwait(false);
    }

    /// <summary>
    /// True when the apply changed nothing of its own: the fields the applied object sets hold the same values before and
    /// after, and this applier's managedFields entry (the set of fields it owns) is the same.
    /// </summary>
    internal static bool SameAsApplied(JsonNode? before, JsonNode? after, JsonNode? applied) =>
        JsonNode.DeepEquals(Project(before, applied), Project(after, applied))
        && JsonNode.DeepEquals(before?["metadata"]?["managedFields"], after?["metadata"]?["managedFields"]);

    /// <summary>
    /// The part of <paramref name="actual"/> at the paths <paramref name="shape"/> has. Lists are taken element by element
    /// up to the longer of the two, so an element added or dropped counts; scalars are taken as they are.
    /// </summary>
    internal static JsonNode? Project(JsonNode? actual, JsonNode? shape)
    {
        switch (shape)
        {
            case JsonObject shapeObject when actual is JsonObject actualObject:
                var projected = new JsonObject();
                foreach (var (key, value) in shapeObject)
                {
                    projected[key] = Project(actualObject[key], value);
                }

                return projected;
            case JsonArray shapeArray when actual is JsonArray actualArray:
                var list = new JsonArray();
                for (var i = 0; i < actualArray.Count; i++)
                {
                    list.Add(i < shapeArray.Count ? Project(actualArray[i], shapeArray[i]) : actualArray[i]?.DeepClone());
                }

                return list;
            default:
                return actual?.DeepClone();
        }
    }

    /// <summary>
    /// The object as JSON without what changes on its own: status, resourceVersion, and managedFields other than this
    /// applier's (a controller's status updates rewrite its own entry); the entries' times are dropped too.
    /// </summary>
    private (JsonNode? content, string? resourceVersion) Snapshot(object obj)
    {
        var node = JsonNode.Parse(KubernetesJson.Serialize(obj))!.AsObject();
        node.Remove("status");
        string? resourceVersion = null;
        if (node["metadata"] is JsonObject metadata)
        {
            resourceVersion = metadata["resourceVersion"]?.GetValue<string>();
            metadata.Remove("resourceVersion");
            if (metadata["managedFields"] is JsonArray managedFields)
            {
                var ours = new JsonArray();
                foreach (var entry in managedFields.OfType<JsonObject>().Where(e => e["manager"]?.GetValue<string>() == _fieldManager).ToList())
                {
                    managedFields.Remove(entry);
                    entry.Remove("time");
                    ours.Add(entry);
                }

                metadata["managedFields"] = ours;
            }
        }

        return (node, resourceVersion);
    }
}
