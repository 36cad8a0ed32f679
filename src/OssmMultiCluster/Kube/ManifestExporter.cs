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

    private static MeshFileAction Write(string path, string yaml, bool isSecret)
    {
        if (File.Exists(path) && File.ReadAllText(path) == yaml)
        {
            return MeshFileAction.Unchanged;
        }

        var existed = File.Exists(path);
        // Written beside the target and moved into place, so a reader never sees half a manifest; secrets are
        // created 0600 from the start.
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        SecureFile.CreateNew(temporary, yaml, isSecret ? SecureFile.OwnerOnly : SecureFile.Readable);
        File.Move(temporary, path, overwrite: true);
        return existed ? MeshFileAction.Overwritten : MeshFileAction.Created;
    }
}
