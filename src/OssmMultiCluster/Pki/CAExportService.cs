using System.Text;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Pki;

/// <summary>
/// Writes CAs in the walkthrough's layout: root/root-cert.pem and root-key.pem; &lt;cluster&gt;/ca-cert.pem, ca-key.pem,
/// root-cert.pem and cert-chain.pem. Conflicts are found before anything is written, and a write that fails rolls
/// back what the export wrote: an export is whole or absent. Keys are only ever written to their own final file.
/// </summary>
internal sealed class CAExportService
{
    /// <summary>
    /// Export-MeshCA: the files planned for the CAs, each confirmed (-WhatIf, -Confirm), then the confirmed ones written
    /// all or nothing, each written file output.
    /// </summary>
    public async Task RunAsync(IMeshHost host, IReadOnlyList<MeshCertificateAuthority> authorities, string directory, bool force)
    {
        var confirmed = new List<PlannedFile>();
        foreach (var file in Plan(authorities))
        {
            if (await host.ShouldProcessAsync(Path.Combine(directory, file.RelativePath), file.IsPrivateKey ? "Write private key (mode 0600)" : "Write certificate").ConfigureAwait(false))
            {
                confirmed.Add(file);
            }
        }

        if (confirmed.Count == 0)
        {
            return;
        }

        foreach (var written in Export(directory, confirmed, force))
        {
            host.WriteObject(written);
        }
    }

    public const string RootFolder = "root";

    /// <summary>A file the export will produce.</summary>
    public sealed record PlannedFile(string Folder, string RelativePath, string Content, bool IsPrivateKey)
    {
        public UnixFileMode Mode => IsPrivateKey ? SecureFile.OwnerOnly : SecureFile.Readable;
    }

    /// <summary>Test seam: called before each file is written, so a test can make a write fail.</summary>
    internal Action<string>? BeforeWrite { get; set; }

    /// <summary>Test seam: called when a file has just been created, before any content is written to it.</summary>
    internal Action<string>? AfterCreate { get; set; }

    /// <summary>
    /// The files exporting <paramref name="authorities"/> produces. The root's key is written only when the root
    /// itself is exported: exporting intermediates writes the root's certificate, never its key.
    /// </summary>
    public IReadOnlyList<PlannedFile> Plan(IEnumerable<MeshCertificateAuthority> authorities)
    {
        var files = new List<PlannedFile>();
        foreach (var ca in authorities)
        {
            if (ca.Kind == MeshCAKind.Root)
            {
                files.Add(new(RootFolder, Join(RootFolder, "root-cert.pem"), PkiFormat.ToPem(ca.Certificate), false));
                if (ca.PrivateKey is not null)
                {
                    files.Add(new(RootFolder, Join(RootFolder, "root-key.pem"), PkiFormat.ToPem(ca.PrivateKey), true));
                }

                continue;
            }

            var cluster = ca.Cluster!;
            if (cluster == RootFolder)
            {
                throw new MeshException("ClusterNameReserved", MeshErrorKind.InvalidArgument,
                    $"A cluster named '{RootFolder}' would share the root CA's folder in the export.", cluster,
                    "Name the cluster differently (New-MeshIntermediateCA -ClusterName).");
            }

            if (ca.PrivateKey is null)
            {
                throw new MeshException("IntermediateKeyMissing", MeshErrorKind.InvalidArgument,
                    $"Intermediate CA of cluster '{cluster}' has no private key; istiod cannot use a plug-in CA without ca-key.pem.",
                    cluster, "Import the intermediate with its key (Import-MeshCA -KeyPath) or issue a new one.");
            }

            var rootPem = PkiFormat.ToPem(ca.RootCertificate);
            files.Add(new(cluster, Join(cluster, "ca-cert.pem"), PkiFormat.ToPem(ca.Certificate), false));
            files.Add(new(cluster, Join(cluster, "ca-key.pem"), PkiFormat.ToPem(ca.PrivateKey), true));
            files.Add(new(cluster, Join(cluster, "root-cert.pem"), rootPem, false));
            files.Add(new(cluster, Join(cluster, "cert-chain.pem"), string.Concat(ca.Chain.Select(PkiFormat.ToPem)), false));
            files.Add(new(RootFolder, Join(RootFolder, "root-cert.pem"), rootPem, false));
        }

        return Deduplicate(files);
    }

    /// <summary>Writes <paramref name="files"/> below <paramref name="directory"/>, all or nothing.</summary>
    public IReadOnlyList<MeshExportedFile> Export(string directory, IReadOnlyList<PlannedFile> files, bool force)
    {
        var target = Path.GetFullPath(directory);
        var actions = files.Select(file => (file, action: ActionFor(target, file))).ToList();
        var refused = actions.Where(a => a.action == MeshFileAction.Overwritten && !force).Select(a => Path.Combine(target, a.file.RelativePath)).ToList();
        if (refused.Count > 0)
        {
            throw new MeshException("ExportFileExists", MeshErrorKind.ResourceExists,
                $"Export-MeshCA would overwrite {refused.Count} file(s) with different content: {string.Join(", ", refused)}. Nothing was written.",
                refused[0], "Export to an empty folder, or add -Force to replace the files (a replaced CA means rotating istiod's certificates).");
        }

        var toWrite = actions.Where(a => a.action != MeshFileAction.Unchanged).Select(a => a.file).ToList();
        if (toWrite.Count > 0)
        {
            Commit(target, toWrite);
        }

        return actions.Select(a => new MeshExportedFile(a.file.Folder, Path.Combine(target, a.file.RelativePath), a.file.IsPrivateKey, a.action)).ToList();
    }

    /// <summary>
    /// Writes each file straight to its final path, created with its mode (key files 0600, O_EXCL): key material is
    /// never staged in another file. A file being replaced is held in memory, not moved aside, and written back if a
    /// later file fails; files and folders this export created are removed again.
    /// </summary>
    private void Commit(string target, IReadOnlyList<PlannedFile> files)
    {
        var createdDirectories = new List<string>();
        var written = new List<WrittenFile>();
        try
        {
            EnsureDirectory(target, createdDirectories);
            foreach (var file in files)
            {
                var path = Path.Combine(target, file.RelativePath);
                EnsureDirectory(Path.GetDirectoryName(path)!, createdDirectories);
                BeforeWrite?.Invoke(path);
                var entry = new WrittenFile(path);
                if (File.Exists(path))
                {
                    entry.Previous = File.ReadAllBytes(path);
                    entry.PreviousMode = OperatingSystem.IsWindows() ? file.Mode : File.GetUnixFileMode(path);
                }

                written.Add(entry);
                if (entry.Previous is not null)
                {
                    File.Delete(path);
                }

                SecureFile.CreateNew(path, Encoding.ASCII.GetBytes(file.Content), file.Mode, AfterCreate);
                entry.Created = true;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or MeshException)
        {
            RollBack(written, createdDirectories);
            throw new MeshException("ExportFailed", MeshErrorKind.WriteError,
                $"Export to '{target}' failed and was rolled back: {ex.Message}", target,
                "Check that the folder is writable and has space, then run Export-MeshCA again.", ex);
        }
    }

    private static void RollBack(List<WrittenFile> written, List<string> createdDirectories)
    {
        for (var i = written.Count - 1; i >= 0; i--)
        {
            var entry = written[i];
            if (entry.Created)
            {
                File.Delete(entry.Path);
            }

            if (entry.Previous is not null && !File.Exists(entry.Path))
            {
                SecureFile.CreateNew(entry.Path, entry.Previous, entry.PreviousMode);
            }
        }

        for (var i = createdDirectories.Count - 1; i >= 0; i--)
        {
            if (Directory.Exists(createdDirectories[i]) && !Directory.EnumerateFileSystemEntries(createdDirectories[i]).Any())
            {
                Directory.Delete(createdDirectories[i]);
            }
        }
    }

    /// <summary>One file of a commit: whether it was created yet, and what it replaced (for the rollback).</summary>
    private sealed class WrittenFile
    {
        public WrittenFile(string path) => Path = path;

        public string Path { get; }

        public bool Created { get; set; }

        public byte[]? Previous { get; set; }

        public UnixFileMode PreviousMode { get; set; }
    }

    private static void EnsureDirectory(string directory, List<string> created)
    {
        var missing = new Stack<string>();
        for (var current = directory; !Directory.Exists(current); current = Path.GetDirectoryName(current)!)
        {
            if (File.Exists(current))
            {
                throw new MeshException("ExportPathIsFile", MeshErrorKind.InvalidArgument,
                    $"'{current}' is a file where the export needs a folder.", current, "Choose another -Path, or move the file away.");
            }

            missing.Push(current);
        }

        while (missing.TryPop(out var next))
        {
            Directory.CreateDirectory(next);
            created.Add(next);
        }
    }

    private static MeshFileAction ActionFor(string target, PlannedFile file)
    {
        var path = Path.Combine(target, file.RelativePath);
        if (Directory.Exists(path))
        {
            throw new MeshException("ExportPathIsFolder", MeshErrorKind.InvalidArgument,
                $"'{path}' is a folder where the export needs a file. Nothing was written.", path, "Remove or rename that folder, or choose another -Path.");
        }

        if (!File.Exists(path))
        {
            return MeshFileAction.Created;
        }

        return File.ReadAllText(path, Encoding.ASCII) == file.Content ? MeshFileAction.Unchanged : MeshFileAction.Overwritten;
    }

    private static IReadOnlyList<PlannedFile> Deduplicate(List<PlannedFile> files)
    {
        var byPath = new Dictionary<string, PlannedFile>(StringComparer.Ordinal);
        var ordered = new List<PlannedFile>();
        foreach (var file in files)
        {
            if (byPath.TryGetValue(file.RelativePath, out var earlier))
            {
                if (earlier.Content != file.Content)
                {
                    throw new MeshException("ExportConflict", MeshErrorKind.InvalidArgument,
                        $"Two of the CAs given would both write '{file.RelativePath}' with different content (two intermediates for cluster '{file.Folder}', or intermediates of different roots). Nothing was written.",
                        file.RelativePath, "Export one root's CAs at a time, one intermediate per cluster.");
                }

                continue;
            }

            byPath[file.RelativePath] = file;
            ordered.Add(file);
        }

        return ordered;
    }

    private static string Join(string folder, string name) => Path.Combine(folder, name);
}
