namespace OssmMultiCluster.Model;

public enum MeshResourceAction
{
    Created,
    Configured,
    Unchanged,
    Deleted,
}

/// <summary>What an Install/Connect step did to one Kubernetes object on one cluster.</summary>
public sealed class MeshResourceResult
{
    internal MeshResourceResult(string cluster, string kind, string? @namespace, string name, MeshResourceAction action, string? resourceVersion)
    {
        Cluster = cluster;
        Kind = kind;
        Namespace = @namespace;
        Name = name;
        Action = action;
        ResourceVersion = resourceVersion;
    }

    public string Cluster { get; }

    public string Kind { get; }

    public string? Namespace { get; }

    public string Name { get; }

    public MeshResourceAction Action { get; }

    public string? ResourceVersion { get; }

    public override string ToString() => $"{Cluster}: {Kind} {(Namespace is null ? string.Empty : Namespace + "/")}{Name} {Action}";
}
