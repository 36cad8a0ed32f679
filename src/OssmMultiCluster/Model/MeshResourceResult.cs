namespace OssmMultiCluster.Model;

public enum MeshResourceAction
{
    Created,
    Configured,
    Unchanged,
    Deleted,

    /// <summary>An uninstall left the object alone: the module did not make it, or others manage it too (see Reason).</summary>
    Retained,
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

    /// <summary>
    /// When -Force took fields over from another field manager: the server's account of the conflict (who set which
    /// fields). Null when nothing was taken over.
    /// </summary>
    public string? OwnershipTaken { get; init; }

    /// <summary>Why an uninstall left the object (Action Retained): who else manages it. Null otherwise.</summary>
    public string? Reason { get; init; }

    /// <summary>The object as users name it: "Kind namespace/name" (no namespace for cluster-scoped objects).</summary>
    internal string Describe() => $"{Kind} {(Namespace is null ? string.Empty : Namespace + "/")}{Name}";

    public override string ToString() => $"{Cluster}: {Describe()} {Action}{(Reason is null ? string.Empty : " (" + Reason + ")")}";
}
