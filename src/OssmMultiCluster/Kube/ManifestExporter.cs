using System.Text;
using System.Text.Json.Nodes;
using k8s;
using OssmMultiCluster.Model;
using OssmMultiCluster.Pki;

namespace OssmMultiCluster.Kube;

/// <summary>
/// Writes what an Install step would apply as a GitOps tree: &lt;cluster&gt;/&lt;namespace&gt;/&lt;kind&gt;-&lt;name&gt;.yaml,
/// cluster-scoped objects under &lt;cluster&gt;/_cluster (which sorts first, so 'kubectl apply -f &lt;dir&gt;/&lt;cluster&gt;
/// --recursive' creates namespaces before what goes in them). YAML comes from the typed objects through KubernetesClient's
/// serializer, the same objects the cmdlets apply.
/// </summary>
internal sealed class ManifestExporter
{
    public const string ClusterScopedFolder = "_cluster";

    public IReadOnlyList<MeshManifestFile> Export(string directory, string cluster, IEnumerable<KubeObject> objects, bool excludeSecrets)
    {
        var written = new List<MeshManifestFile>();
        foreach (var obj in objects)
        {
            var isSecret = obj.Kind == KubeKind.Secret;
            if (isSecret && excludeSecrets)
            {
                continue;
            }

            var folder = Path.Combine(directory, cluster, obj.Namespace ?? ClusterScopedFolder);
            Directory.CreateDirectory(folder);
            var path = Path.Combine(folder, $"{obj.Kind.Kind.ToLowerInvariant()}-{obj.Name}.yaml");
            var yaml = string.Join("\n---\n", new[] { Merged(obj, path) }.Concat(obj.Companions.Select(c => KubernetesYaml.Serialize(c.Body))).Select(d => d.TrimEnd('\n')))
                + (obj.Companions.Count > 0 ? "\n" : string.Empty);
            var file = new MeshManifestFile(cluster, obj.Kind.Kind, obj.Namespace, obj.Name, path, isSecret, Write(path, yaml, isSecret));
            // Two parts of one object (a control plane's mesh networks and its trust-domain aliases) share its file: it is
            // one file, reported once, with what the writes did to it together (the first write's, unless it changed nothing).
            var earlier = written.FindIndex(f => f.Path == path);
            if (earlier < 0)
            {
                written.Add(file);
            }
            else if (written[earlier].Action == MeshFileAction.Unchanged)
            {
                written[earlier] = file;
            }
        }

        return written;
    }

    /// <summary>
    /// One file per object, shared by the steps that write parts of it: Connect-MeshCluster's mesh networks go into
    /// the control plane Install-MeshControlPlane wrote, and a re-export of the control plane keeps them. (Two files
    /// for one object would not do: kubectl apply replaces what the first applied with what the second holds.)
    /// </summary>
    private static string Merged(KubeObject obj, string path)
    {
        if (obj.SharedField is not { } field || !File.Exists(path))
        {
            return KubernetesYaml.Serialize(obj.Body);
        }

        var type = obj.Body.GetType();
        JsonObject existing;
        try
        {
            var read = typeof(KubernetesYaml).GetMethods().Single(m => m.Name == nameof(KubernetesYaml.Deserialize) && m.IsGenericMethod
                && m.GetParameters() is [{ ParameterType: var p }, ..] && p == typeof(string)).MakeGenericMethod(type)
                .Invoke(null, new object?[] { File.ReadAllText(path), false });
            existing = JsonNode.Parse(KubernetesJson.Serialize(read))!.AsObject();
        }
        catch (Exception ex) when (ex is System.Reflection.TargetInvocationException or YamlDotNet.Core.YamlException or InvalidOperationException or System.Text.Json.JsonException)
        {
            // Not the module's object (edited by hand beyond reading): it is replaced, as any other file is.
            return KubernetesYaml.Serialize(obj.Body);
        }

        var written = JsonNode.Parse(KubernetesJson.Serialize(obj.Body))!.AsObject();
        var (whole, part) = obj.Partial ? (existing, written) : (written, existing);
        foreach (var shared in obj.Partial ? new[] { field } : obj.KeptFields.Prepend(field))
        {
            SetAt(whole, shared, At(part, shared)?.DeepClone());
        }

        var merged = typeof(KubernetesJson).GetMethods().Single(m => m.Name == nameof(KubernetesJson.Deserialize) && m.IsGenericMethod
            && m.GetParameters() is [{ ParameterType: var q }, ..] && q == typeof(string)).MakeGenericMethod(type)
            .Invoke(null, new object?[] { whole.ToJsonString(), null });
        return KubernetesYaml.Serialize(merged!);
    }

    private static JsonNode? At(JsonObject root, IReadOnlyList<string> field)
    {
        JsonNode? node = root;
        foreach (var step in field)
        {
            node = node is JsonObject o && o.TryGetPropertyValue(step, out var next) ? next : null;
        }

        return node;
    }

    private static void SetAt(JsonObject root, IReadOnlyList<string> field, JsonNode? value)
    {
        var node = root;
        foreach (var step in field.Take(field.Count - 1))
        {
            if (node[step] is not JsonObject next)
            {
                if (value is null)
                {
                    return;
                }

                node[step] = next = new JsonObject();
            }

            node = next;
        }

        if (value is null)
        {
            node.Remove(field[^1]);
        }
        else
        {
            node[field[^1]] = value;
        }
    }

    /// <summary>Test seam: called when a file has just been created, before any content is written to it.</summary>
    internal Action<string>? AfterCreate { get; set; }

    private MeshFileAction Write(string path, string yaml, bool isSecret)
    {
        var existed = File.Exists(path);
        if (existed && File.ReadAllText(path) == yaml)
        {
            return MeshFileAction.Unchanged;
        }

        if (isSecret)
        {
            // A Secret holds keys or tokens: it is written only to its own file, created 0600, never to a temporary
            // file first. The file it replaces is removed first (it may have been created with a wider mode).
            if (existed)
            {
                File.Delete(path);
            }

            SecureFile.CreateNew(path, Encoding.UTF8.GetBytes(yaml), SecureFile.OwnerOnly, AfterCreate);
            return existed ? MeshFileAction.Overwritten : MeshFileAction.Created;
        }

        // Other manifests are written beside the target and moved into place, so a reader never sees half of one.
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        SecureFile.CreateNew(temporary, Encoding.UTF8.GetBytes(yaml), SecureFile.Readable, AfterCreate);
        File.Move(temporary, path, overwrite: true);
        return existed ? MeshFileAction.Overwritten : MeshFileAction.Created;
    }
}
