namespace OssmMultiCluster.Model;

public enum MeshFileAction
{
    Created,
    Overwritten,
    Unchanged,
}

/// <summary>One file Export-MeshCA wrote, or found already in place with the same content.</summary>
public sealed class MeshExportedFile
{
    internal MeshExportedFile(string folder, string path, bool isPrivateKey, MeshFileAction action)
    {
        Folder = folder;
        Path = path;
        IsPrivateKey = isPrivateKey;
        Action = action;
    }

    /// <summary>The folder of the export layout: "root" or a cluster's name.</summary>
    public string Folder { get; }

    public string Name => System.IO.Path.GetFileName(Path);

    public string Path { get; }

    public bool IsPrivateKey { get; }

    public MeshFileAction Action { get; }

    public override string ToString() => Path;
}
