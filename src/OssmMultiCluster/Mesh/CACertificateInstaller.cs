using System.Text;
using k8s;
using k8s.Models;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Model;
using OssmMultiCluster.Pki;

namespace OssmMultiCluster.Mesh;

/// <summary>
/// Walkthrough step 6: the control-plane namespace labelled with the cluster's network, and the cacerts secret
/// istiod reads its plug-in CA from. Replacing a different CA already there is a rotation, refused unless forced.
/// </summary>
internal sealed class CACertificateInstaller
{
    public const string SecretName = "cacerts";

    /// <summary>Applies <paramref name="objects"/> (from <see cref="Objects"/>, for a CA that passed <see cref="Validate"/>).</summary>
    public async Task<InstallOutcome> InstallAsync(MeshCluster cluster, IReadOnlyList<KubeObject> objects, string controlPlaneNamespace,
        bool force, CancellationToken cancellation)
    {
        var applier = new ResourceApplier(cluster);
        var secret = (V1Secret)objects.Single(o => o.Kind == KubeKind.Secret).Body;
        var existing = await applier.ReadAsync((client, ct) => client.CoreV1.ReadNamespacedSecretAsync(SecretName, controlPlaneNamespace, cancellationToken: ct),
            $"reading secret {controlPlaneNamespace}/{SecretName}", cancellation).ConfigureAwait(false);
        string? replaced = null;
        if (existing?.Data is { } data && data.TryGetValue("ca-cert.pem", out var installed) && !installed.AsSpan().SequenceEqual(secret.Data["ca-cert.pem"]))
        {
            replaced = Fingerprint(installed);
            if (!force)
            {
                throw new MeshException("CARotationRefused", MeshErrorKind.ResourceExists,
                    $"Cluster '{cluster.Name}' already has a different plug-in CA in {controlPlaneNamespace}/{SecretName} (ca-cert.pem fingerprint {replaced}); replacing it is a CA rotation.",
                    cluster.Name, "To rotate without downtime, use Update-MeshCACertificate (-Renew for a new intermediate under the same root, -Step for a new root). " +
                    "To replace the CA outright (traffic across clusters breaks until every cluster has it), rerun with -Force, then restart istiod and the workloads.");
            }
        }

        var results = new List<MeshResourceResult>();
        foreach (var obj in objects)
        {
            // The secret was read above: its apply is judged against that read rather than a second one.
            results.Add(obj.Kind == KubeKind.Secret && obj.Name == SecretName && obj.Namespace == controlPlaneNamespace
                ? await applier.ApplyAsync(obj, existing, force, cancellation).ConfigureAwait(false)
                : await applier.ApplyAsync(obj, force, cancellation).ConfigureAwait(false));
        }

        var warnings = replaced is null
            ? Array.Empty<string>()
            : new[]
            {
                $"Cluster '{cluster.Name}': replaced plug-in CA {replaced}. istiod keeps signing with the old CA until restarted: " +
                $"kubectl rollout restart deployment -n {controlPlaneNamespace} -l app=istiod, then restart the workloads.",
            };
        return new InstallOutcome(results, warnings);
    }

    /// <summary>
    /// Install-MeshCACertificate: one plan per CA, for the cluster it carries (or the one of <paramref name="clusters"/> with
    /// its name), delivered by <see cref="PlanDelivery"/>. A CA without a usable cluster is that CA's error; the others go on.
    /// </summary>
    public static Task RunAsync(IMeshHost host, IEnumerable<MeshCertificateAuthority> authorities, IReadOnlyList<MeshCluster>? clusters, string ns, bool force, Delivery delivery)
    {
        var plans = new List<ClusterPlan>();
        var installer = new CACertificateInstaller();
        foreach (var ca in authorities)
        {
            var cluster = ca.MeshCluster ?? clusters?.FirstOrDefault(c => c.Name == ca.Cluster);
            try
            {
                if (cluster is null)
                {
                    throw new MeshException("ClusterUnknown", MeshErrorKind.InvalidArgument,
                        $"No cluster is known for the CA '{ca}'.", ca.Cluster ?? ca.Subject,
                        "Pipe Get-MeshCluster's clusters into New-MeshIntermediateCA, or pass them with -Cluster (matched by name).");
                }

                Validate(cluster, ca);
            }
            catch (MeshException error)
            {
                host.WriteError(error);
                continue;
            }

            var objects = Objects(cluster, ca, ns);
            plans.Add(new ClusterPlan(cluster, objects,
                $"Install plug-in CA '{ca.Subject}' as secret {ns}/{SecretName}, label namespace with network {cluster.Network}",
                ct => installer.InstallAsync(cluster, objects, ns, force, ct)));
        }

        return PlanDelivery.DeliverAsync(host, "Installing plug-in CAs", plans, delivery);
    }

    public static void Validate(MeshCluster cluster, MeshCertificateAuthority ca)
    {
        if (ca.Kind != MeshCAKind.Intermediate)
        {
            throw new MeshException("NotAnIntermediateCA", MeshErrorKind.InvalidArgument,
                $"'{ca.Subject}' is the root CA; each cluster's istiod gets its own intermediate, and the root stays off the clusters.",
                ca, "Issue one with New-MeshIntermediateCA -RootCA and install that.");
        }

        if (!ca.HasPrivateKey)
        {
            throw new MeshException("IntermediateKeyMissing", MeshErrorKind.InvalidArgument,
                $"The intermediate CA of cluster '{ca.Cluster}' has no private key; istiod needs ca-key.pem to sign workload certificates.",
                ca.Cluster, "Import it with its key (Import-MeshCA -Path, or -KeyPath) or issue a new one.");
        }

        if (ca.Cluster != cluster.Name)
        {
            throw new MeshException("ClusterMismatch", MeshErrorKind.InvalidArgument,
                $"The intermediate CA issued for cluster '{ca.Cluster}' would be installed on cluster '{cluster.Name}'.", ca.Cluster,
                "Install each cluster's own intermediate: pipe the clusters into New-MeshIntermediateCA, or name them alike.");
        }
    }

    /// <summary>What step 6 puts on a cluster: the labelled namespace, then the cacerts secret.</summary>
    public static IReadOnlyList<KubeObject> Objects(MeshCluster cluster, MeshCertificateAuthority ca, string controlPlaneNamespace) => new[]
    {
        MeshObjects.Namespace(controlPlaneNamespace, cluster.Network),
        KubeObject.Of(BuildSecret(ca, controlPlaneNamespace)),
    };

    private static V1Secret BuildSecret(MeshCertificateAuthority ca, string controlPlaneNamespace) => new()
    {
        ApiVersion = "v1",
        Kind = "Secret",
        Type = "Opaque",
        Metadata = new V1ObjectMeta { Name = SecretName, NamespaceProperty = controlPlaneNamespace },
        Data = new Dictionary<string, byte[]>
        {
            ["ca-cert.pem"] = Encoding.ASCII.GetBytes(PkiFormat.ToPem(ca.Certificate)),
            ["ca-key.pem"] = Encoding.ASCII.GetBytes(PkiFormat.ToPem(ca.PrivateKey!)),
            ["root-cert.pem"] = Encoding.ASCII.GetBytes(PkiFormat.ToPem(ca.RootCertificate)),
            ["cert-chain.pem"] = Encoding.ASCII.GetBytes(string.Concat(ca.Chain.Select(PkiFormat.ToPem))),
        },
    };

    private static string Fingerprint(byte[] pem)
    {
        try
        {
            using var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(pem));
            return Convert.ToHexString(certificate.GetCertHash(System.Security.Cryptography.HashAlgorithmName.SHA256))[..16];
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return "unreadable";
        }
    }
}
