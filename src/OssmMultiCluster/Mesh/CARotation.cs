using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Models;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh.Resources;
using OssmMultiCluster.Model;
using OssmMultiCluster.Pki;

namespace OssmMultiCluster.Mesh;

/// <summary>
/// A cluster's cacerts Secret as istiod reads it: the intermediate it signs with (ca-cert.pem), the chain it serves
/// (cert-chain.pem) and the trust bundle it hands to workloads (root-cert.pem, one root or several). The raw data is
/// kept as read so a step that changes only root-cert.pem writes everything else back byte for byte.
/// </summary>
internal sealed class PlugInCAState
{
    private PlugInCAState(IReadOnlyDictionary<string, byte[]> data, X509Certificate2 intermediate, IReadOnlyList<X509Certificate2> roots, X509Certificate2? signingRoot)
    {
        Data = data;
        Intermediate = intermediate;
        Roots = roots;
        SigningRoot = signingRoot;
    }

    public IReadOnlyDictionary<string, byte[]> Data { get; }

    public X509Certificate2 Intermediate { get; }

    /// <summary>Every certificate in root-cert.pem, in the order written (old roots first, the new root last, during a rotation).</summary>
    public IReadOnlyList<X509Certificate2> Roots { get; }

    /// <summary>The root in the bundle the intermediate chains to; null when none of them does.</summary>
    public X509Certificate2? SigningRoot { get; }

    /// <summary>Reads cacerts data; a missing or unreadable key is an error naming it.</summary>
    public static PlugInCAState Parse(string cluster, IReadOnlyDictionary<string, byte[]>? data, string ns)
    {
        if (data is null || !data.ContainsKey("ca-cert.pem") || !data.ContainsKey("root-cert.pem") || !data.ContainsKey("ca-key.pem"))
        {
            throw new MeshException("PlugInCAMissing", MeshErrorKind.ObjectNotFound,
                $"Cluster '{cluster}' has no plug-in CA in {ns}/{CACertificateInstaller.SecretName} (ca-cert.pem, ca-key.pem and root-cert.pem).", cluster,
                "Install one first: New-MeshIntermediateCA | Install-MeshCACertificate.");
        }

        var source = $"{cluster}:{ns}/{CACertificateInstaller.SecretName}";
        var intermediate = PemFiles.ParseCertificates(Encoding.ASCII.GetString(data["ca-cert.pem"]), $"{source}[ca-cert.pem]")[0];
        var roots = ReadBundle(Encoding.ASCII.GetString(data["root-cert.pem"]), $"{source}[root-cert.pem]");
        var chain = data.TryGetValue("cert-chain.pem", out var chainPem)
            ? PemFiles.ParseCertificates(Encoding.ASCII.GetString(chainPem), $"{source}[cert-chain.pem]")
            : new[] { intermediate };
        return new PlugInCAState(data, intermediate, roots, SigningRootOf(chain, roots));
    }

    /// <summary>All certificates of a root-cert.pem, duplicates (same fingerprint) dropped.</summary>
    public static IReadOnlyList<X509Certificate2> ReadBundle(string pem, string source) =>
        PemFiles.ParseCertificates(pem, source).DistinctBy(c => c.Thumbprint).ToList();

    /// <summary>The root of <paramref name="roots"/> that the top of the chain is, or that signed it.</summary>
    public static X509Certificate2? SigningRootOf(IReadOnlyList<X509Certificate2> chain, IReadOnlyList<X509Certificate2> roots)
    {
        var top = chain[^1];
        return roots.FirstOrDefault(r => r.Thumbprint == top.Thumbprint)
            ?? roots.FirstOrDefault(r => top.IssuerName.RawData.AsSpan().SequenceEqual(r.SubjectName.RawData) && PkiFormat.IsSignedBy(top, r));
    }

    public bool Trusts(X509Certificate2 root) => Roots.Any(r => r.Thumbprint == root.Thumbprint);

    public bool SignsFrom(X509Certificate2 root) => SigningRoot?.Thumbprint == root.Thumbprint;

    /// <summary>Where this cluster stands in a move to <paramref name="newRoot"/>.</summary>
    public MeshCARotationPhase PhaseFor(X509Certificate2 newRoot) => (Trusts(newRoot), SignsFrom(newRoot), Roots.Count) switch
    {
        (false, _, _) => MeshCARotationPhase.NotStarted,
        (true, true, 1) => MeshCARotationPhase.Complete,
        (true, true, _) => MeshCARotationPhase.IssuesFromNewRoot,
        (true, false, _) => MeshCARotationPhase.TrustsBoth,
    };
}

/// <summary>What a rotation step does to one cluster: a new cacerts Secret, or nothing when the step is already done.</summary>
internal sealed record CARotationPlan(string Cluster, MeshCARotationPhase Before, V1Secret? Secret, string Description)
{
    public bool Changes => Secret is not null;
}

/// <summary>
/// Moving a mesh from one root CA to another without downtime, in three steps each run on every cluster: trust both
/// roots (root-cert.pem carries the old roots and the new one), then sign with an intermediate of the new root, then,
/// once workloads hold certificates from the new intermediates, drop the old root. A step refuses to run out of order
/// across the clusters given; a step already done on a cluster changes nothing there. Renewal under the same root is
/// one more plan: a new intermediate, the bundle left as it is.
/// </summary>
internal static class CARotation
{
    public const string RestartFieldManager = "ossm-multicluster-ca-restart";
    public const string MultiRootFieldManager = "ossm-multicluster-ca-rotation";

    /// <summary>istiod's switch for accepting certificates of more than one root in one mesh (see the Sail plug-in CA guide).</summary>
    public const string MultiRootEnv = "ISTIO_MULTIROOT_MESH";

    /// <summary>The proxy setting the same guide pairs with it: proxies take their config (with the trust bundle) over XDS.</summary>
    public const string ProxyXdsAgentEnv = "PROXY_CONFIG_XDS_AGENT";

    /// <summary>
    /// Plans <paramref name="step"/> for every cluster in <paramref name="states"/> (all the mesh's clusters, read
    /// beforehand; an unreadable cluster is null and blocks steps that need every cluster's state).
    /// </summary>
    /// <param name="intermediates">For IssueFromNewRoot: each cluster's intermediate from <paramref name="newRoot"/>, by cluster name.</param>
    /// <returns>Per cluster, a plan or the error that refuses the step there.</returns>
    /// <exception cref="MeshException">CARotationOutOfOrder: a cluster has not done the step before (or could not be read); nothing is planned.</exception>
    public static IReadOnlyList<(string Cluster, CARotationPlan? Plan, MeshException? Refused)> Plan(MeshCARotationStep step,
        IReadOnlyDictionary<string, PlugInCAState?> states, X509Certificate2 newRoot, IReadOnlyDictionary<string, MeshCertificateAuthority> intermediates, string ns)
    {
        var results = new List<(string, CARotationPlan?, MeshException?)>();
        var unreadable = states.Where(s => s.Value is null).Select(s => s.Key).Order(StringComparer.Ordinal).ToList();
        switch (step)
        {
            case MeshCARotationStep.IssueFromNewRoot:
                RequireEveryCluster(step, states, unreadable, s => s.Trusts(newRoot), "does not trust the new root yet",
                    $"Run Update-MeshCACertificate -Step {MeshCARotationStep.TrustBoth} on every cluster first, and restart their istiod, so their workloads accept certificates from the new root.");
                break;
            case MeshCARotationStep.RemoveOldRoot:
                RequireEveryCluster(step, states, unreadable, s => s.SignsFrom(newRoot), "does not sign with an intermediate from the new root yet",
                    $"Run Update-MeshCACertificate -Step {MeshCARotationStep.IssueFromNewRoot} on every cluster first, restart their istiod, and wait until the workloads have new certificates (restart them, or wait for their renewal).");
                break;
        }

        foreach (var (cluster, state) in states.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            if (state is null)
            {
                continue;
            }

            try
            {
                results.Add((cluster, PlanOne(step, cluster, state, newRoot, intermediates, ns), null));
            }
            catch (MeshException refused)
            {
                results.Add((cluster, null, refused));
            }
        }

        return results;
    }

    private static CARotationPlan PlanOne(MeshCARotationStep step, string cluster, PlugInCAState state, X509Certificate2 newRoot, IReadOnlyDictionary<string, MeshCertificateAuthority> intermediates, string ns)
    {
        var phase = state.PhaseFor(newRoot);
        var root = Short(newRoot);
        switch (step)
        {
            case MeshCARotationStep.TrustBoth:
                if (phase != MeshCARotationPhase.NotStarted)
                {
                    return new(cluster, phase, null, $"already trusts the new root {root} ({phase})");
                }

                if (state.SigningRoot is null)
                {
                    throw new MeshException("SigningRootUnknown", MeshErrorKind.InvalidData,
                        $"Cluster '{cluster}': the intermediate in {ns}/{CACertificateInstaller.SecretName} chains to none of the roots in its root-cert.pem, so the old root to keep trusting is unknown.",
                        cluster, "Repair the cluster's plug-in CA first (Get-MeshStatus shows what is wrong; Install-MeshCACertificate -Force installs a consistent one).");
                }

                return new(cluster, phase, BuildSecret(ns, state.Data, rootCertPem: Bundle(state.Roots.Append(newRoot))),
                    $"Add root {root} to root-cert.pem (trust both roots); istiod keeps signing with intermediate '{Subject(state.Intermediate)}'");

            case MeshCARotationStep.IssueFromNewRoot:
                if (phase is MeshCARotationPhase.IssuesFromNewRoot or MeshCARotationPhase.Complete)
                {
                    return new(cluster, phase, null, $"already signs with an intermediate from the new root {root} ('{Subject(state.Intermediate)}')");
                }

                if (!intermediates.TryGetValue(cluster, out var ca))
                {
                    throw new MeshException("IntermediateCAMissing", MeshErrorKind.InvalidArgument,
                        $"No intermediate CA from the new root was given for cluster '{cluster}'.", cluster,
                        "Pass a new root with its private key in -NewRootCA (the intermediates are issued from it), or pipe New-MeshIntermediateCA -RootCA <new root> for every cluster.");
                }

                if (ca.RootCertificate.Thumbprint != newRoot.Thumbprint)
                {
                    throw new MeshException("IntermediateFromOtherRoot", MeshErrorKind.InvalidArgument,
                        $"The intermediate CA '{ca.Subject}' given for cluster '{cluster}' chains to root {Short(ca.RootCertificate)}, not to the new root {root}.",
                        ca, "Issue the intermediates from the root given in -NewRootCA: New-MeshIntermediateCA -RootCA <new root>.");
                }

                return new(cluster, phase, BuildSecret(ns, state.Data, rootCertPem: Bundle(state.Roots), ca),
                    $"Sign with intermediate '{ca.Subject}' from root {root}; root-cert.pem keeps both roots");

            case MeshCARotationStep.RemoveOldRoot:
                if (phase == MeshCARotationPhase.Complete)
                {
                    return new(cluster, phase, null, $"trusts the new root {root} alone already");
                }

                return new(cluster, phase, BuildSecret(ns, state.Data, rootCertPem: Bundle(new[] { newRoot })),
                    $"Remove the old root(s) {string.Join(", ", state.Roots.Where(r => r.Thumbprint != newRoot.Thumbprint).Select(Short))} from root-cert.pem; keep root {root} alone");

            default:
                throw new ArgumentOutOfRangeException(nameof(step), step, null);
        }
    }

    /// <summary>Renewal under the same root: a new intermediate from <paramref name="root"/>, the trust bundle left as it is.</summary>
    public static CARotationPlan PlanRenewal(string cluster, PlugInCAState state, MeshCertificateAuthority root, MeshCertificateAuthority intermediate, string ns)
    {
        if (!state.SignsFrom(root.Certificate))
        {
            throw new MeshException("RenewRootMismatch", MeshErrorKind.InvalidArgument,
                $"Cluster '{cluster}' signs with an intermediate from root {(state.SigningRoot is { } r ? Short(r) : "(none in its root-cert.pem)")}, not from the root given ({Short(root.Certificate)}); renewal keeps the root.",
                cluster, "Renew with the cluster's own root (Import-MeshCA), or move to the new root with Update-MeshCACertificate -Step TrustBoth, IssueFromNewRoot, RemoveOldRoot.");
        }

        if (intermediate.RootCertificate.Thumbprint != root.Certificate.Thumbprint)
        {
            throw new MeshException("IntermediateFromOtherRoot", MeshErrorKind.InvalidArgument,
                $"The intermediate CA '{intermediate.Subject}' given for cluster '{cluster}' chains to root {Short(intermediate.RootCertificate)}, not to {Short(root.Certificate)}.",
                intermediate, "Issue it from the cluster's root: New-MeshIntermediateCA -RootCA <root>.");
        }

        return new(cluster, state.PhaseFor(root.Certificate), BuildSecret(ns, state.Data, Bundle(state.Roots), intermediate),
            $"Renew: sign with new intermediate '{intermediate.Subject}' (until {intermediate.NotAfter:u}) from the same root {Short(root.Certificate)}");
    }

    /// <summary>
    /// The partial control-plane object that turns on multi-root trust (istiod's ISTIO_MULTIROOT_MESH and the proxies'
    /// PROXY_CONFIG_XDS_AGENT), applied with a field manager of its own so it takes no field from Install-MeshControlPlane.
    /// </summary>
    public static KubeObject MultiRootObject(ControlPlaneRef controlPlane) => controlPlane.Flavor == MeshFlavor.Ossm2
        ? KubeObject.Of(new ServiceMeshControlPlane
        {
            Metadata = new V1ObjectMeta { Name = controlPlane.Name, NamespaceProperty = controlPlane.Namespace },
            Spec = new SmcpSpec
            {
                Runtime = new SmcpRuntime
                {
                    Components = new Dictionary<string, SmcpComponentRuntime>
                    {
                        ["pilot"] = new() { Container = new SmcpContainer { Env = new Dictionary<string, string> { [MultiRootEnv] = "true" } } },
                    },
                },
                Proxy = new SmcpProxy { Runtime = new SmcpComponentRuntime { Container = new SmcpContainer { Env = new Dictionary<string, string> { [ProxyXdsAgentEnv] = "true" } } } },
            },
        })
        : KubeObject.Of(new Istio
        {
            Metadata = new V1ObjectMeta { Name = controlPlane.Name },
            Spec = new IstioSpec
            {
                Values = new IstioValues
                {
                    Pilot = new IstioPilot { Env = new Dictionary<string, string> { [MultiRootEnv] = "true" } },
                    MeshConfig = new IstioMeshConfig
                    {
                        DefaultConfig = new IstioProxyConfig { ProxyMetadata = new Dictionary<string, string> { [ProxyXdsAgentEnv] = "true" } },
                    },
                },
            },
        });

    /// <summary>Reads a cluster's cacerts.</summary>
    public static async Task<PlugInCAState> ReadAsync(MeshCluster cluster, string ns, CancellationToken cancellation)
    {
        var secret = await new ResourceApplier(cluster).ReadAsync((c, ct) => c.CoreV1.ReadNamespacedSecretAsync(CACertificateInstaller.SecretName, ns, cancellationToken: ct),
            $"reading secret {ns}/{CACertificateInstaller.SecretName}", cancellation).ConfigureAwait(false);
        return PlugInCAState.Parse(cluster.Name, secret?.Data?.ToDictionary(kv => kv.Key, kv => kv.Value), ns);
    }

    /// <summary>Applies one cluster's objects and, when cacerts changed and <paramref name="restart"/>, restarts istiod.</summary>
    public static async Task<InstallOutcome> ApplyAsync(MeshCluster cluster, IReadOnlyList<KubeObject> objects, string ns, bool force, bool restart, CancellationToken cancellation)
    {
        var results = new List<MeshResourceResult>();
        var warnings = new List<string>();
        foreach (var obj in objects)
        {
            var applier = obj.Kind == KubeKind.Secret ? new ResourceApplier(cluster) : new ResourceApplier(cluster, MultiRootFieldManager);
            results.Add(await applier.ApplyAsync(obj, force, cancellation).ConfigureAwait(false));
        }

        if (results.All(r => r.Action == MeshResourceAction.Unchanged))
        {
            return new InstallOutcome(results, warnings);
        }

        if (!restart)
        {
            warnings.Add($"Cluster '{cluster.Name}': istiod reads cacerts only when it starts; restart it before the next step (kubectl rollout restart deployment -n {ns} -l app=istiod).");
            return new InstallOutcome(results, warnings);
        }

        var restarted = await TokenRotation.RestartIstiodAsync(cluster, ns, RestartFieldManager, cancellation).ConfigureAwait(false);
        if (restarted.Count == 0)
        {
            warnings.Add($"Cluster '{cluster.Name}' has no istiod Deployment (label app=istiod) in {ns} to restart; restart its control plane so it reads the new cacerts.");
        }

        results.AddRange(restarted);
        return new InstallOutcome(results, warnings);
    }

    /// <summary>The first 16 hex digits of a certificate's SHA-256 fingerprint, as Get-MeshStatus shows roots.</summary>
    public static string Short(X509Certificate2 certificate) =>
        Convert.ToHexString(certificate.GetCertHash(System.Security.Cryptography.HashAlgorithmName.SHA256))[..16];

    private static string Subject(X509Certificate2 certificate) => certificate.SubjectName.Decode(X500DistinguishedNameFlags.None);

    private static void RequireEveryCluster(MeshCARotationStep step, IReadOnlyDictionary<string, PlugInCAState?> states, IReadOnlyList<string> unreadable,
        Func<PlugInCAState, bool> done, string notDone, string action)
    {
        var behind = states.Where(s => s.Value is not null && !done(s.Value)).Select(s => $"'{s.Key}' {notDone}")
            .Concat(unreadable.Select(c => $"'{c}' could not be read"))
            .Order(StringComparer.Ordinal).ToList();
        if (behind.Count > 0)
        {
            throw new MeshException("CARotationOutOfOrder", MeshErrorKind.InvalidOperation,
                $"Step {step} refused: cluster {string.Join(", ", behind)}.", step, action);
        }
    }

    private static string Bundle(IEnumerable<X509Certificate2> roots) => string.Concat(roots.DistinctBy(r => r.Thumbprint).Select(PkiFormat.ToPem));

    private static V1Secret BuildSecret(string ns, IReadOnlyDictionary<string, byte[]> current, string rootCertPem, MeshCertificateAuthority? intermediate = null)
    {
        var data = intermediate is null
            ? new Dictionary<string, byte[]>
            {
                ["ca-cert.pem"] = current["ca-cert.pem"],
                ["ca-key.pem"] = current["ca-key.pem"],
                ["cert-chain.pem"] = current.TryGetValue("cert-chain.pem", out var chain) ? chain : current["ca-cert.pem"],
            }
            : new Dictionary<string, byte[]>
            {
                ["ca-cert.pem"] = Encoding.ASCII.GetBytes(PkiFormat.ToPem(intermediate.Certificate)),
                ["ca-key.pem"] = Encoding.ASCII.GetBytes(PkiFormat.ToPem(intermediate.PrivateKey!)),
                ["cert-chain.pem"] = Encoding.ASCII.GetBytes(string.Concat(intermediate.Chain.Select(PkiFormat.ToPem))),
            };
        data["root-cert.pem"] = Encoding.ASCII.GetBytes(rootCertPem);
        return new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Type = "Opaque",
            Metadata = new V1ObjectMeta { Name = CACertificateInstaller.SecretName, NamespaceProperty = ns },
            Data = data,
        };
    }
}
