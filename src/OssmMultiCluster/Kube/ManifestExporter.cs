using System.Text;
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
public sealed class ManifestExporter
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
            var yaml = KubernetesYaml.Serialize(obj.Body);
            var action = Write(path, yaml, isSecret);
            written.Add(new MeshManifestFile(cluster, obj.Kind.Kind, obj.Namespace, obj.Name, path, isSecret, action));
        }

        return written;
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
