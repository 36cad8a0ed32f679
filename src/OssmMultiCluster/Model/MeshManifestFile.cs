namespace OssmMultiCluster.Model;

/// <summary>One manifest an Install step wrote with -OutputPath instead of applying it.</summary>
public sealed class MeshManifestFile
{
    internal MeshManifestFile(string cluster, string kind, string? @namespace, string name, string path, bool containsSecret, MeshFileAction action)
    {
        Cluster = cluster;
        Kind = kind;
        Namespace = @namespace;
        Name = name;
        Path = path;
        ContainsSecret = containsSecret;
        Action = action;
    }

    public string Cluster { get; }

    public string Kind { get; }

    public string? Namespace { get; }

    public string Name { get; }

    public string Path { get; }

    /// <summary>Whether the file holds secret data (keys); such files are written 0600.</summary>
    public bool ContainsSecret { get; }

    public MeshFileAction Action { get; }

    public override string ToString() => Path;
}
