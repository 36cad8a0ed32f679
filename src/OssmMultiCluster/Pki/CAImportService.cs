using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Pki;

/// <summary>The outcome of importing one CA: the CA, or why its files cannot serve istiod.</summary>
internal sealed record CAImportResult(string Source, MeshCertificateAuthority? Authority, MeshException? Error);

/// <summary>
/// Reads CAs back from the walkthrough's layout or from explicit files, and refuses what istiod would choke on:
/// a leaf in ca-cert.pem, a key of another certificate, cert-chain.pem out of order or with the root twice,
/// an intermediate not issued under root-cert.pem.
/// </summary>
internal sealed class CAImportService
{
    /// <summary>
    /// Import-MeshCA -Path: every folder's CAs written as they are read. A folder, or a CA in it, that cannot be read
    /// is its error, and the next one is still read.
    /// </summary>
    public void ImportLayouts(IMeshHost host, IEnumerable<string> directories, char[] keyPassword)
    {
        foreach (var directory in directories)
        {
            try
            {
                foreach (var result in ImportLayout(directory, keyPassword))
                {
                    if (result.Authority is not null)
                    {
                        host.WriteObject(result.Authority);
                    }
                    else
                    {
                        host.WriteError(result.Error!);
                    }
                }
            }
            catch (MeshException error)
            {
                host.WriteError(error);
            }
        }
    }

    /// <summary>Imports root/ (if present) and every &lt;cluster&gt;/ folder holding a ca-cert.pem.</summary>
    public IReadOnlyList<CAImportResult> ImportLayout(string directory, ReadOnlySpan<char> keyPassword = default)
    {
        var full = Path.GetFullPath(directory);
        if (!Directory.Exists(full))
        {
            throw new MeshException("ImportPathNotFound", MeshErrorKind.ObjectNotFound, $"Folder '{full}' does not exist.", full,
                "Give -Path the folder Export-MeshCA wrote (or the walkthrough's cacerts folder).");
        }

        var results = new List<CAImportResult>();
        MeshCertificateAuthority? root = null;
        var rootFolder = Path.Combine(full, CAExportService.RootFolder);
        var rootCertPath = Path.Combine(rootFolder, "root-cert.pem");
        if (File.Exists(rootCertPath))
        {
            var rootKeyPath = Path.Combine(rootFolder, "root-key.pem");
            var result = Attempt(rootFolder, pw => ImportRoot(rootCertPath, File.Exists(rootKeyPath) ? rootKeyPath : null, pw), keyPassword);
            root = result.Authority;
            results.Add(result);
        }

        var clusterFolders = Directory.EnumerateDirectories(full)
            .Where(d => Path.GetFileName(d) != CAExportService.RootFolder && File.Exists(Path.Combine(d, "ca-cert.pem")))
            .OrderBy(d => d, StringComparer.Ordinal);
        foreach (var folder in clusterFolders)
        {
            var clusterRoot = Path.Combine(folder, "root-cert.pem");
            var files = new IntermediateFiles(
                Path.Combine(folder, "ca-cert.pem"),
                Path.Combine(folder, "ca-key.pem"),
                File.Exists(Path.Combine(folder, "cert-chain.pem")) ? Path.Combine(folder, "cert-chain.pem") : null,
                File.Exists(clusterRoot) ? clusterRoot : File.Exists(rootCertPath) ? rootCertPath : null,
                Path.GetFileName(folder));
            results.Add(Attempt(folder, pw => ImportIntermediate(files, root, pw, sharedRootPath: File.Exists(rootCertPath) ? rootCertPath : null), keyPassword));
        }

        if (results.Count == 0)
        {
            throw new MeshException("ImportNothingFound", MeshErrorKind.ObjectNotFound,
                $"Folder '{full}' has neither root/root-cert.pem nor a <cluster>/ca-cert.pem.", full,
                "Point -Path at the folder holding root/ and the cluster folders, or use -CertificatePath and -KeyPath.");
        }

        return results;
    }

    /// <summary>Imports one CA from explicit files; a self-issued certificate is a root, any other an intermediate.</summary>
    public MeshCertificateAuthority ImportFiles(string certificatePath, string? keyPath, string? chainPath, string? rootCertificatePath,
        string? cluster, ReadOnlySpan<char> keyPassword = default)
    {
        var first = PemFiles.ReadCertificates(certificatePath)[0];
        if (PkiFormat.IsSelfIssued(first))
        {
            return ImportRoot(certificatePath, keyPath, keyPassword);
        }

        var clusterName = cluster ?? ClusterFromSubject(first) ?? Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(certificatePath)));
        if (!MeshNames.IsDns1123Label(clusterName))
        {
            throw new MeshException("ClusterNameMissing", MeshErrorKind.InvalidArgument,
                $"Cannot tell which cluster '{certificatePath}' belongs to (no L= in its subject, and its folder name '{clusterName}' is not a cluster name).",
                certificatePath, "Add -ClusterName <name>.");
        }

        var rootPath = rootCertificatePath ?? chainPath;
        if (rootPath is null)
        {
            throw new MeshException("RootCertificateMissing", MeshErrorKind.InvalidArgument,
                $"'{certificatePath}' is an intermediate, and no root certificate was given to check it against.", certificatePath,
                "Add -RootCertificatePath root-cert.pem (or -ChainPath cert-chain.pem, whose last certificate is the root).");
        }

        var files = new IntermediateFiles(certificatePath, keyPath, chainPath, rootCertificatePath, clusterName!);
        return ImportIntermediate(files, root: null, keyPassword, sharedRootPath: null);
    }

    /// <summary>
    /// Checks an installed plug-in CA (a cacerts secret) the way Import-MeshCA checks files: a CA in ca-cert.pem, alone,
    /// and cert-chain.pem in order up to root-cert.pem. <paramref name="source"/> names the secret in error messages.
    /// </summary>
    public static void CheckPlugInCA(string caCertPem, string? certChainPem, string rootCertPem, string source)
    {
        var files = new IntermediateFiles($"{source}[ca-cert.pem]", null, certChainPem is null ? null : $"{source}[cert-chain.pem]", $"{source}[root-cert.pem]", "status");
        var caCertificates = PemFiles.ParseCertificates(caCertPem, files.CaCert);
        if (caCertificates.Count > 1)
        {
            throw new MeshException("CaCertHoldsChain", MeshErrorKind.InvalidData,
                $"'{files.CaCert}' holds {caCertificates.Count} certificates; istiod reads only the first and expects the intermediate alone.",
                files.CaCert, "Reinstall the intermediate: New-MeshIntermediateCA | Install-MeshCACertificate -Force.");
        }

        RequireCA(caCertificates[0], files.CaCert, "CaCertNotCA", "intermediate");
        // root-cert.pem is istiod's trust bundle: during a root rotation it holds the old and the new root. The chain
        // must lead to one of them.
        var roots = PemFiles.ParseCertificates(rootCertPem, files.RootCert!);
        foreach (var candidate in roots)
        {
            RequireCA(candidate, files.RootCert!, "RootNotCA", "root");
        }

        var chain = certChainPem is null ? null : PemFiles.ParseCertificates(certChainPem, files.CertChain!);
        var top = chain is { Count: > 0 } ? chain[^1] : caCertificates[0];
        var root = roots.FirstOrDefault(r => r.RawData.AsSpan().SequenceEqual(top.RawData) || PkiFormat.IsSignedBy(top, r)) ?? roots[0];
        CheckChain(caCertificates[0], chain, root, files);
    }

    private sealed record IntermediateFiles(string CaCert, string? CaKey, string? CertChain, string? RootCert, string Cluster);

    private static CAImportResult Attempt(string source, ImportStep step, ReadOnlySpan<char> password)
    {
        try
        {
            return new CAImportResult(source, step(password), null);
        }
        catch (MeshException ex)
        {
            return new CAImportResult(source, null, ex);
        }
    }

    private delegate MeshCertificateAuthority ImportStep(ReadOnlySpan<char> password);

    private static MeshCertificateAuthority ImportRoot(string certificatePath, string? keyPath, ReadOnlySpan<char> password)
    {
        var certificates = PemFiles.ReadCertificates(certificatePath);
        var certificate = certificates[0];
        RequireCA(certificate, certificatePath, "RootNotCA", "root");
        var key = keyPath is null ? null : ReadMatchingKey(certificate, certificatePath, keyPath, password);
        return new MeshCertificateAuthority(MeshCAKind.Root, certificate, key, cluster: null, root: null, rootCertificate: null);
    }

    private static MeshCertificateAuthority ImportIntermediate(IntermediateFiles files, MeshCertificateAuthority? root,
        ReadOnlySpan<char> password, string? sharedRootPath)
    {
        MeshNames.ValidateClusterName(files.Cluster);
        var caCertificates = PemFiles.ReadCertificates(files.CaCert);
        if (caCertificates.Count > 1)
        {
            throw new MeshException("CaCertHoldsChain", MeshErrorKind.InvalidData,
                $"'{files.CaCert}' holds {caCertificates.Count} certificates; istiod reads only the first and expects the intermediate alone.",
                files.CaCert, "Keep only the intermediate CA certificate in ca-cert.pem; the chain belongs in cert-chain.pem (intermediate first, root last).");
        }

        var caCertificate = caCertificates[0];
        RequireCA(caCertificate, files.CaCert, "CaCertNotCA", "intermediate");

        var chain = files.CertChain is null ? null : PemFiles.ReadCertificates(files.CertChain);
        if (files.RootCert is null && chain is null)
        {
            throw new MeshException("RootCertificateMissing", MeshErrorKind.ObjectNotFound,
                $"Cluster '{files.Cluster}' has neither root-cert.pem nor cert-chain.pem beside '{files.CaCert}', and there is no root/root-cert.pem.",
                files.CaCert, "Put the root certificate in root-cert.pem (and the chain in cert-chain.pem) as the walkthrough does.");
        }

        var rootCertificate = files.RootCert is not null ? PemFiles.ReadCertificates(files.RootCert)[0] : chain![^1];
        RequireCA(rootCertificate, files.RootCert ?? files.CertChain!, "RootNotCA", "root");
        if (sharedRootPath is not null && files.RootCert != sharedRootPath)
        {
            var shared = PemFiles.ReadCertificates(sharedRootPath)[0];
            if (!shared.RawData.AsSpan().SequenceEqual(rootCertificate.RawData))
            {
                throw new MeshException("RootMismatch", MeshErrorKind.InvalidData,
                    $"'{files.RootCert}' is not the same certificate as '{sharedRootPath}'.", files.RootCert,
                    "Every cluster must trust the same root: copy root/root-cert.pem into the cluster folder, or re-issue the intermediate from that root.");
            }
        }

        var fullChain = CheckChain(caCertificate, chain, rootCertificate, files);
        var key = files.CaKey is null ? null : ReadMatchingKey(caCertificate, files.CaCert, files.CaKey, password);
        var rootObject = root is not null && root.Certificate.RawData.AsSpan().SequenceEqual(rootCertificate.RawData) ? root : null;
        return new MeshCertificateAuthority(MeshCAKind.Intermediate, caCertificate, key, files.Cluster, rootObject, rootCertificate, fullChain);
    }

    /// <summary>Checks cert-chain.pem against ca-cert.pem and root-cert.pem; returns the chain to serve.</summary>
    private static IReadOnlyList<X509Certificate2> CheckChain(X509Certificate2 ca, IReadOnlyList<X509Certificate2>? chain,
        X509Certificate2 root, IntermediateFiles files)
    {
        if (chain is null)
        {
            RequireIssuedBy(ca, root, files.CaCert, files.RootCert!);
            return new[] { ca, root };
        }

        var path = files.CertChain!;
        var duplicates = chain.GroupBy(c => c.Thumbprint).FirstOrDefault(g => g.Count() > 1);
        if (duplicates is not null)
        {
            var what = duplicates.First().RawData.AsSpan().SequenceEqual(root.RawData) ? "the root certificate" : $"'{duplicates.First().Subject}'";
            throw new MeshException("CertChainDuplicate", MeshErrorKind.InvalidData,
                $"'{path}' holds {what} {duplicates.Count()} times.", path,
                "cert-chain.pem must list each certificate once: the intermediate (ca-cert.pem) first, the root (root-cert.pem) last.");
        }

        if (!chain[0].RawData.AsSpan().SequenceEqual(ca.RawData))
        {
            var position = chain.ToList().FindIndex(c => c.RawData.AsSpan().SequenceEqual(ca.RawData));
            throw new MeshException(position < 0 ? "CertChainMismatch" : "CertChainWrongOrder", MeshErrorKind.InvalidData,
                position < 0
                    ? $"'{path}' does not contain the certificate of '{files.CaCert}'."
                    : $"'{path}' lists ca-cert.pem's certificate at position {position + 1}; istiod needs it first.",
                path, "Rebuild it: cat ca-cert.pem root-cert.pem > cert-chain.pem (intermediate first, root last).");
        }

        for (var i = 0; i + 1 < chain.Count; i++)
        {
            if (!PkiFormat.IsSignedBy(chain[i], chain[i + 1]))
            {
                throw new MeshException("CertChainWrongOrder", MeshErrorKind.InvalidData,
                    $"In '{path}', certificate {i + 1} ('{chain[i].Subject}') was not issued by certificate {i + 2} ('{chain[i + 1].Subject}').",
                    path, "Order cert-chain.pem from the intermediate up to the root: cat ca-cert.pem root-cert.pem > cert-chain.pem.");
            }
        }

        var last = chain[^1];
        if (last.RawData.AsSpan().SequenceEqual(root.RawData))
        {
            return chain;
        }

        RequireIssuedBy(last, root, path, files.RootCert ?? path);
        return chain.Append(root).ToArray();
    }

    private static void RequireIssuedBy(X509Certificate2 certificate, X509Certificate2 root, string certificatePath, string rootPath)
    {
        if (!PkiFormat.IsSignedBy(certificate, root))
        {
            throw new MeshException("IntermediateNotFromRoot", MeshErrorKind.InvalidData,
                $"'{certificatePath}' ('{certificate.Subject}', issued by '{certificate.Issuer}') was not issued by '{rootPath}' ('{root.Subject}').",
                certificatePath, "Use the root-cert.pem of the root that issued this intermediate, or issue a new intermediate with New-MeshIntermediateCA -RootCA.");
        }
    }

    private static void RequireCA(X509Certificate2 certificate, string path, string errorId, string role)
    {
        if (!PkiFormat.IsCA(certificate) || !PkiFormat.CanSignCertificates(certificate))
        {
            throw new MeshException(errorId, MeshErrorKind.InvalidData,
                $"'{path}' holds '{certificate.Subject}', which is not a CA certificate (basicConstraints CA:TRUE with keyCertSign); istiod cannot sign workload certificates with it.",
                path, $"Use the {role} CA certificate here, not a leaf (server or workload) certificate.");
        }
    }

    private static AsymmetricAlgorithm ReadMatchingKey(X509Certificate2 certificate, string certificatePath, string keyPath, ReadOnlySpan<char> password)
    {
        var key = PemFiles.ReadPrivateKey(keyPath, password);
        if (!PkiFormat.KeyMatches(certificate, key))
        {
            key.Dispose();
            throw new MeshException("KeyMismatch", MeshErrorKind.InvalidData,
                $"The private key in '{keyPath}' does not belong to the certificate in '{certificatePath}'.", keyPath,
                "Pair each certificate with its own key (ca-cert.pem with ca-key.pem, root-cert.pem with root-key.pem).");
        }

        return key;
    }

    private static string? ClusterFromSubject(X509Certificate2 certificate)
    {
        // A multi-valued RDN (CN=x+L=west) has no single element to ask for: only plain L= RDNs name the cluster.
        foreach (var rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames().Where(r => !r.HasMultipleElements))
        {
            if (rdn.GetSingleElementType().Value == "2.5.4.7")
            {
                return rdn.GetSingleElementValue();
            }
        }

        return null;
    }
}
