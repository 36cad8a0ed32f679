using k8s;
using k8s.Autorest;
using k8s.Models;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Kube;

/// <summary>
/// Server-side apply with the module's one field manager. Whether an apply created, changed or left an object alone
/// is read from its resourceVersion before and after: the server bumps it only when something changed.
/// </summary>
public sealed class ResourceApplier
{
    public const string FieldManager = "ossm-multicluster";

    private readonly MeshCluster _cluster;

    public ResourceApplier(MeshCluster cluster) => _cluster = cluster;

    public Task<MeshResourceResult> ApplyNamespaceAsync(V1Namespace body, bool force, CancellationToken cancellation) =>
        ApplyAsync("Namespace", null, body.Metadata.Name,
            ct => _cluster.Client.CoreV1.ReadNamespaceAsync(body.Metadata.Name, cancellationToken: ct),
            ct => _cluster.Client.CoreV1.PatchNamespaceAsync(Patch(body), body.Metadata.Name, fieldManager: FieldManager, force: force, cancellationToken: ct),
            cancellation);

    public Task<MeshResourceResult> ApplySecretAsync(V1Secret body, bool force, CancellationToken cancellation) =>
        ApplyAsync("Secret", body.Metadata.NamespaceProperty, body.Metadata.Name,
            ct => _cluster.Client.CoreV1.ReadNamespacedSecretAsync(body.Metadata.Name, body.Metadata.NamespaceProperty, cancellationToken: ct),
            ct => _cluster.Client.CoreV1.PatchNamespacedSecretAsync(Patch(body), body.Metadata.Name, body.Metadata.NamespaceProperty,
                fieldManager: FieldManager, force: force, cancellationToken: ct),
            cancellation);

    /// <summary>Reads an object, or null when it does not exist.</summary>
    public async Task<T?> ReadAsync<T>(Func<IKubernetes, CancellationToken, Task<T>> read, string what, CancellationToken cancellation)
        where T : class
    {
        try
        {
            return await read(_cluster.Client, cancellation).ConfigureAwait(false);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (Exception ex) when (KubeFailure.IsKubeFailure(ex) && !cancellation.IsCancellationRequested)
        {
            throw KubeFailure.From(ex, _cluster.Name, what);
        }
    }

    private async Task<MeshResourceResult> ApplyAsync<T>(string kind, string? ns, string name,
        Func<CancellationToken, Task<T>> read, Func<CancellationToken, Task<T>> apply, CancellationToken cancellation)
        where T : class, IMetadata<V1ObjectMeta>
    {
        var what = $"applying {kind} {(ns is null ? string.Empty : ns + "/")}{name}";
        var before = await ReadAsync((_, ct) => read(ct), what, cancellation).ConfigureAwait(false);
        T after;
        try
        {
            after = await apply(cancellation).ConfigureAwait(false);
        }
        catch (Exception ex) when (KubeFailure.IsKubeFailure(ex) && !cancellation.IsCancellationRequested)
        {
            throw KubeFailure.From(ex, _cluster.Name, what);
        }

        var action = before is null ? MeshResourceAction.Created
            : before.Metadata.ResourceVersion == after.Metadata.ResourceVersion ? MeshResourceAction.Unchanged
            : MeshResourceAction.Configured;
        return new MeshResourceResult(_cluster.Name, kind, ns, name, action, after.Metadata.ResourceVersion);
    }

    private static V1Patch Patch(object body) => new(body, V1Patch.PatchType.ApplyPatch);
}
