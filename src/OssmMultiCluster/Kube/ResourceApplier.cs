using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Kube;

/// <summary>
/// Server-side apply of <see cref="KubeObject"/>s to one cluster. Whether an apply created, changed or left an object
/// alone is read from its resourceVersion before and after: the server bumps it only when something changed.
/// </summary>
public sealed class ResourceApplier
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

    public async Task<MeshResourceResult> ApplyAsync(KubeObject obj, bool force, CancellationToken cancellation)
    {
        var what = "applying " + obj.Describe();
        var before = await Guard(() => ReadVersionAsync(obj.Kind, obj.Namespace, obj.Name, cancellation), what, cancellation).ConfigureAwait(false);
        var after = await Guard(() => PatchAsync(obj, force, cancellation), what, cancellation).ConfigureAwait(false);
        var action = before is null ? MeshResourceAction.Created
            : before == after ? MeshResourceAction.Unchanged
            : MeshResourceAction.Configured;
        return new MeshResourceResult(_cluster.Name, obj.Kind.Kind, obj.Namespace, obj.Name, action, after);
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
    /// Fails with CrdMissing unless the cluster serves <paramref name="kind"/>: checked before anything is applied,
    /// so a cluster without the operator is left untouched rather than half-configured.
    /// </summary>
    public async Task RequireApiAsync(KubeKind kind, string install, CancellationToken cancellation)
    {
        if (kind.IsCore)
        {
            return;
        }

        try
        {
            await _cluster.Client.CustomObjects.ListClusterCustomObjectAsync(kind.Group, kind.Version, kind.Plural, limit: 1, cancellationToken: cancellation)
                .ConfigureAwait(false);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new MeshException("CrdMissing", MeshErrorKind.NotInstalled,
                $"Cluster '{_cluster.Name}' does not serve {kind.Kind} ({kind.ApiVersion}): its operator is not installed.", _cluster.Name,
                $"Install {install} on cluster '{_cluster.Name}' (OperatorHub), wait for it to be ready, then run this again.", ex);
        }
        catch (Exception ex) when (KubeFailure.IsKubeFailure(ex) && !cancellation.IsCancellationRequested)
        {
            throw KubeFailure.From(ex, _cluster.Name, $"checking for the {kind.Kind} API");
        }
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

    private async Task<string?> ReadVersionAsync(KubeKind kind, string? ns, string name, CancellationToken cancellation)
    {
        try
        {
            var core = _cluster.Client.CoreV1;
            return kind.Kind switch
            {
                "Namespace" when kind.IsCore => (await core.ReadNamespaceAsync(name, cancellationToken: cancellation).ConfigureAwait(false)).Metadata.ResourceVersion,
                "Secret" when kind.IsCore => (await core.ReadNamespacedSecretAsync(name, ns, cancellationToken: cancellation).ConfigureAwait(false)).Metadata.ResourceVersion,
                "Service" when kind.IsCore => (await core.ReadNamespacedServiceAsync(name, ns, cancellationToken: cancellation).ConfigureAwait(false)).Metadata.ResourceVersion,
                "ServiceAccount" when kind.IsCore => (await core.ReadNamespacedServiceAccountAsync(name, ns, cancellationToken: cancellation).ConfigureAwait(false)).Metadata.ResourceVersion,
                _ when kind.IsCore => throw new NotSupportedException($"Core kind {kind.Kind} is not handled."),
                _ => ResourceVersionOf(kind.Namespaced
                    ? await _cluster.Client.CustomObjects.GetNamespacedCustomObjectAsync(kind.Group, kind.Version, ns, kind.Plural, name, cancellation).ConfigureAwait(false)
                    : await _cluster.Client.CustomObjects.GetClusterCustomObjectAsync(kind.Group, kind.Version, kind.Plural, name, cancellation).ConfigureAwait(false)),
            };
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<string?> PatchAsync(KubeObject obj, bool force, CancellationToken cancellation)
    {
        var patch = new V1Patch(obj.Body, V1Patch.PatchType.ApplyPatch);
        var kind = obj.Kind;
        var core = _cluster.Client.CoreV1;
        return kind.Kind switch
        {
            "Namespace" when kind.IsCore => (await core.PatchNamespaceAsync(patch, obj.Name, fieldManager: _fieldManager, force: force, cancellationToken: cancellation).ConfigureAwait(false)).Metadata.ResourceVersion,
            "Secret" when kind.IsCore => (await core.PatchNamespacedSecretAsync(patch, obj.Name, obj.Namespace, fieldManager: _fieldManager, force: force, cancellationToken: cancellation).ConfigureAwait(false)).Metadata.ResourceVersion,
            "Service" when kind.IsCore => (await core.PatchNamespacedServiceAsync(patch, obj.Name, obj.Namespace, fieldManager: _fieldManager, force: force, cancellationToken: cancellation).ConfigureAwait(false)).Metadata.ResourceVersion,
            "ServiceAccount" when kind.IsCore => (await core.PatchNamespacedServiceAccountAsync(patch, obj.Name, obj.Namespace, fieldManager: _fieldManager, force: force, cancellationToken: cancellation).ConfigureAwait(false)).Metadata.ResourceVersion,
            _ when kind.IsCore => throw new NotSupportedException($"Core kind {kind.Kind} is not handled."),
            _ => ResourceVersionOf(kind.Namespaced
                ? await _cluster.Client.CustomObjects.PatchNamespacedCustomObjectAsync(patch, kind.Group, kind.Version, obj.Namespace, kind.Plural, obj.Name,
                    fieldManager: _fieldManager, force: force, cancellationToken: cancellation).ConfigureAwait(false)
                : await _cluster.Client.CustomObjects.PatchClusterCustomObjectAsync(patch, kind.Group, kind.Version, kind.Plural, obj.Name,
                    fieldManager: _fieldManager, force: force, cancellationToken: cancellation).ConfigureAwait(false)),
        };
    }

    private static string? ResourceVersionOf(object response) =>
        response is JsonElement element && element.TryGetProperty("metadata", out var metadata) && metadata.TryGetProperty("resourceVersion", out var version)
            ? version.GetString()
            : null;
}
