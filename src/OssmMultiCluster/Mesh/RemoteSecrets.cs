using System.Net;
using System.Text;
using k8s;
using k8s.KubeConfigModels;
using k8s.Models;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh;

/// <summary>What Connect-MeshCluster -OutputPath writes for one source cluster: its own objects, and its remote secret once it has a token.</summary>
internal sealed record RemoteSecretExport(MeshCluster Source, IReadOnlyList<KubeObject> SourceObjects, MeshRemoteSecret? Secret, IReadOnlyList<string> Warnings);

internal sealed record RemoteSecretOptions
{
    public string Namespace { get; init; } = MeshNames.ControlPlaneNamespace;
    public string ServiceAccount { get; init; } = MeshNames.ReaderServiceAccount;
    public MeshTokenType TokenType { get; init; } = MeshTokenType.Secret;
    public TimeSpan TokenLifetime { get; init; } = MeshDefaults.TokenLifetime;

    /// <summary>The API server URL other clusters use; null: the one in the admin's kubeconfig.</summary>
    public string? Server { get; init; }

    /// <summary>Create the reader account and its read-only cluster role when missing (the OSSM operator otherwise does).</summary>
    public bool CreateServiceAccount { get; init; }

    /// <summary>How long to wait for the token controller to fill a service-account token Secret.</summary>
    public TimeSpan TokenTimeout { get; init; } = MeshDefaults.TokenTimeout;

    /// <summary>
    /// The name istiod verifies the API server's certificate against (the kubeconfig's tls-server-name), when the server
    /// URL's host is not in the certificate; null: the one in the admin's kubeconfig, if any.
    /// </summary>
    public string? TlsServerName { get; init; }

    /// <summary>An existing service-account token Secret of the reader account whose token the remote secret carries (istioctl's --secret-name); null: the module's own.</summary>
    public string? TokenSecretName { get; init; }
}

/// <summary>
/// Walkthrough steps 9-10: a kubeconfig for a cluster's reader account, wrapped in the remote secret istiod watches
/// (label istio/multiCluster=true). Tokens default to a service-account token Secret, which does not expire: the
/// walkthrough's 'oc create token' is a bound token that expires after an hour and silently breaks discovery.
/// </summary>
internal static class RemoteSecrets
{
    public const string MultiClusterLabel = "istio/multiCluster";
    public const string ClusterAnnotation = "networking.istio.io/cluster";
    private const string ServiceAccountNameAnnotation = "kubernetes.io/service-account.name";

    /// <summary>The id that starts the warning of an export made before the cluster issued the reader token.</summary>
    public const string TokenPendingWarning = "RemoteSecretTokenPending";

    public static string SecretName(string sourceCluster) => $"istio-remote-secret-{sourceCluster}";

    /// <param name="rotate">Issue a new token even if one exists; the secrets holding the old ones are reported for deletion.</param>
    public static async Task<MeshRemoteSecret> RenderAsync(MeshCluster source, RemoteSecretOptions options, CancellationToken cancellation, bool rotate = false)
    {
        var applier = new ResourceApplier(source);
        if (options.CreateServiceAccount)
        {
            foreach (var obj in ReaderAccount(options))
            {
                await applier.ApplyAsync(obj, force: false, cancellation).ConfigureAwait(false);
            }
        }
        else
        {
            var account = await applier.ReadAsync((c, ct) => c.CoreV1.ReadNamespacedServiceAccountAsync(options.ServiceAccount, options.Namespace, cancellationToken: ct),
                $"reading service account {options.Namespace}/{options.ServiceAccount}", cancellation).ConfigureAwait(false);
            if (account is null)
            {
                throw new MeshException("ReaderAccountMissing", MeshErrorKind.ObjectNotFound,
                    $"Cluster '{source.Name}' has no service account {options.Namespace}/{options.ServiceAccount} for other clusters to read it with.",
                    source.Name, "Install the control plane first (the OSSM operator creates the reader account), or add -CreateServiceAccount.");
            }
        }

        var (token, expires, replaced) = options.TokenType == MeshTokenType.Bound
            ? await BoundTokenAsync(source, options, cancellation).ConfigureAwait(false)
            : await SecretTokenAsync(source, options, rotate, cancellation).ConfigureAwait(false);

        return Render(source, options, token, expires, replaced);
    }

    private static MeshRemoteSecret Render(MeshCluster source, RemoteSecretOptions options, string token, DateTime? expires, IReadOnlyList<ReplacedToken> replaced)
    {
        var server = options.Server ?? source.Server;
        var warnings = new List<string>();
        if (IsLoopback(server))
        {
            warnings.Add($"The remote secret of cluster '{source.Name}' points at {server}, a loopback address other clusters cannot reach; pass -Server with the API server URL they can reach.");
        }

        if (expires is { } expiry)
        {
            warnings.Add($"The bound token in the remote secret of cluster '{source.Name}' expires at {expiry:u}; cross-cluster discovery stops then. Rotate it before (Update-MeshRemoteSecret), or use -TokenType Secret.");
        }

        var secret = new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Type = "Opaque",
            Metadata = new V1ObjectMeta
            {
                Name = SecretName(source.Name),
                NamespaceProperty = options.Namespace,
                Labels = new Dictionary<string, string> { [MultiClusterLabel] = "true", [MeshObjects.ManagedByLabel] = MeshObjects.ManagedBy },
                Annotations = new Dictionary<string, string> { [ClusterAnnotation] = source.Name },
            },
            Data = new Dictionary<string, byte[]> { [source.Name] = Encoding.UTF8.GetBytes(Kubeconfig(source, server, options, token)) },
        };
        return new MeshRemoteSecret(source, server, options.ServiceAccount, options.TokenType, expires, secret, warnings) { ReplacedTokenSecrets = replaced };
    }


    /// <summary>The kubeconfig istiod reads a remote cluster with, built from KubernetesClient's kubeconfig model.</summary>
    private static string Kubeconfig(MeshCluster source, string server, RemoteSecretOptions options, string token)
    {
        var user = options.ServiceAccount;
        var context = $"{user}@{source.Name}";
        var config = new K8SConfiguration
        {
            ApiVersion = "v1",
            Kind = "Config",
            CurrentContext = context,
            Clusters = new List<Cluster>
            {
                new()
                {
                    Name = source.Name,
                    ClusterEndpoint = new ClusterEndpoint
                    {
                        Server = server,
                        TlsServerName = options.TlsServerName ?? source.Configuration.TlsServerName,
                        CertificateAuthorityData = source.CertificateAuthorityPem is null ? null : Convert.ToBase64String(Encoding.ASCII.GetBytes(source.CertificateAuthorityPem)),
                    },
                },
            },
            Contexts = new List<Context>
            {
                new() { Name = context, ContextDetails = new ContextDetails { Cluster = source.Name, User = user, Namespace = options.Namespace } },
            },
            Users = new List<User> { new() { Name = user, UserCredentials = new UserCredentials { Token = token } } },
        };
        return KubernetesYaml.Serialize(config);
    }

    private static async Task<(string token, DateTime? expires, IReadOnlyList<ReplacedToken> replaced)> BoundTokenAsync(MeshCluster source, RemoteSecretOptions options, CancellationToken cancellation)
    {
        try
        {
            var request = await source.Client.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest
            {
                ApiVersion = "authentication.k8s.io/v1",
                Kind = "TokenRequest",
                Spec = new V1TokenRequestSpec { ExpirationSeconds = (long)options.TokenLifetime.TotalSeconds, Audiences = new List<string>() },
            }, options.ServiceAccount, options.Namespace, cancellationToken: cancellation).ConfigureAwait(false);
            return (request.Status.Token, request.Status.ExpirationTimestamp?.ToUniversalTime(), Array.Empty<ReplacedToken>());
        }
        catch (Exception ex) when (KubeFailure.IsKubeFailure(ex) && !cancellation.IsCancellationRequested)
        {
            throw KubeFailure.From(ex, source.Name, $"requesting a token for {options.Namespace}/{options.ServiceAccount}");
        }
    }

    /// <summary>
    /// The token of the module's own service-account token Secret of the account: an existing one is reused (newest
    /// first), else one is created. Token Secrets others made for the account are never used.
    /// Rotating creates a new one and reports the others, whose deletion revokes their tokens.
    /// </summary>
    private static async Task<(string token, DateTime? expires, IReadOnlyList<ReplacedToken> replaced)> SecretTokenAsync(MeshCluster source,
        RemoteSecretOptions options, bool rotate, CancellationToken cancellation)
    {
        var applier = new ResourceApplier(source);
        if (options.TokenSecretName is { } chosen)
        {
            return (await ChosenTokenAsync(source, options, chosen, cancellation).ConfigureAwait(false), null, Array.Empty<ReplacedToken>());
        }

        var name = rotate
            ? $"{options.ServiceAccount}-istio-remote-secret-token-{DateTime.UtcNow:yyyyMMddHHmmss}"
            : $"{options.ServiceAccount}-istio-remote-secret-token";
        var deadline = DateTime.UtcNow + options.TokenTimeout;
        var created = false;
        while (true)
        {
            var accountSecrets = (await TokenSecretsOfAsync(applier, options.Namespace, options.ServiceAccount, cancellation).ConfigureAwait(false))
                // The module's own first (newest first: a rotation's), so a token the controller adds later never
                // replaces the one already in use and a re-run changes nothing.
                .OrderByDescending(s => s.Metadata.Name.StartsWith($"{options.ServiceAccount}-istio-remote-secret-token", StringComparison.Ordinal))
                .ThenByDescending(s => s.Metadata.CreationTimestamp).ThenBy(s => s.Metadata.Name, StringComparer.Ordinal)
                .ToList();
            // Only a token the module issued is used: rotation can then always revoke what it replaces, and never
            // revokes a token another consumer of the account (the operator, Kiali, another mesh) was given.
            var usable = accountSecrets.FirstOrDefault(s => (!rotate || s.Metadata.Name == name) && IsModuleIssued(s.Metadata.Name, options.ServiceAccount)
                && s.Data?.ContainsKey("token") == true);
            if (usable is not null)
            {
                // Rotation may revoke only tokens the module issued (its own name prefix): a token Secret someone else
                // made (the operator, Kiali, another mesh) is never a candidate.
                var others = rotate
                    ? accountSecrets.Where(s => s != usable && s.Data?.ContainsKey("token") == true)
                        .Select(s => new ReplacedToken(s.Metadata.Name, TokenFingerprint(Encoding.UTF8.GetString(s.Data["token"])), IsModuleIssued(s.Metadata.Name, options.ServiceAccount)))
                        .ToList()
                    : new List<ReplacedToken>();
                return (Encoding.UTF8.GetString(usable.Data["token"]), null, others);
            }

            if (!created)
            {
                // Kubernetes 1.24 and later no longer create one per account: ask the token controller for one.
                await applier.ApplyAsync(TokenRequest(options, name), force: false, cancellation).ConfigureAwait(false);
                created = true;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new MeshException("TokenNotIssued", MeshErrorKind.OperationTimeout,
                    $"Cluster '{source.Name}' did not issue a token into secret {options.Namespace}/{name} within {options.TokenTimeout.TotalSeconds:0.#} s.", source.Name,
                    "Check that kube-controller-manager's token controller runs, give it longer with -Timeout, or use -TokenType Bound.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(300), cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>The token of the Secret the user chose: it must exist, belong to the reader account and hold a token.</summary>
    private static async Task<string> ChosenTokenAsync(MeshCluster source, RemoteSecretOptions options, string name, CancellationToken cancellation)
    {
        var secret = await new ResourceApplier(source).ReadAsync((c, ct) => c.CoreV1.ReadNamespacedSecretAsync(name, options.Namespace, cancellationToken: ct),
            $"reading secret {options.Namespace}/{name}", cancellation).ConfigureAwait(false);
        var listing = $"'kubectl -n {options.Namespace} get secrets --field-selector type=kubernetes.io/service-account-token' lists the token Secrets there.";
        if (secret is null)
        {
            throw new MeshException("TokenSecretNotFound", MeshErrorKind.ObjectNotFound,
                $"Cluster '{source.Name}' has no secret {options.Namespace}/{name} to take the reader token from.", name,
                $"Name a token Secret of {options.Namespace}/{options.ServiceAccount} with -TokenSecretName, or leave it out to use the module's own; {listing}");
        }

        if (secret.Type != "kubernetes.io/service-account-token"
            || secret.Metadata.Annotations?.TryGetValue(ServiceAccountNameAnnotation, out var account) != true || account != options.ServiceAccount)
        {
            throw new MeshException("TokenSecretNotOfAccount", MeshErrorKind.InvalidArgument,
                $"Secret {options.Namespace}/{name} on cluster '{source.Name}' is not a service-account token Secret of {options.ServiceAccount}; istiod would read the cluster with another identity.", name,
                $"Name a token Secret of {options.Namespace}/{options.ServiceAccount}, or pass -ServiceAccount for the account it belongs to; {listing}");
        }

        if (secret.Data?.TryGetValue("token", out var token) != true || token!.Length == 0)
        {
            throw new MeshException("TokenNotIssued", MeshErrorKind.InvalidData,
                $"Secret {options.Namespace}/{name} on cluster '{source.Name}' holds no token yet.", name,
                "Check that kube-controller-manager's token controller runs, or leave -TokenSecretName out to let the module issue one.");
        }

        return Encoding.UTF8.GetString(token);
    }

    /// <summary>The module's token Secret of the reader account, empty: the token controller fills it in.</summary>
    private static KubeObject TokenRequest(RemoteSecretOptions options, string name) => KubeObject.Of(new V1Secret
    {
        Type = "kubernetes.io/service-account-token",
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = options.Namespace,
            Annotations = new Dictionary<string, string> { [ServiceAccountNameAnnotation] = options.ServiceAccount },
        },
    });

    /// <summary>
    /// Connect-MeshCluster -OutputPath: what a source cluster needs for its remote secret, read without changing
    /// anything. The objects the cluster must carry (with -CreateServiceAccount the reader account, and the module's
    /// token Secret) go to the tree; the remote secret only when its token exists already, because a token is issued
    /// by the cluster once that Secret is applied (so a first export is applied, then exported again).
    /// </summary>
    public static async Task<RemoteSecretExport> RenderForExportAsync(MeshCluster source, RemoteSecretOptions options, CancellationToken cancellation)
    {
        if (options.TokenType == MeshTokenType.Bound)
        {
            throw new MeshException("BoundTokenNotExportable", MeshErrorKind.InvalidOperation,
                $"A bound token for cluster '{source.Name}' exists only once the cluster issues it, and it expires: it cannot be written to a GitOps tree.", source.Name,
                "Export with -TokenType Secret (the default); the tree then holds the token Secret that the cluster fills in.");
        }

        var reader = new ResourceApplier(source);
        if (!options.CreateServiceAccount)
        {
            var account = await reader.ReadAsync((c, ct) => c.CoreV1.ReadNamespacedServiceAccountAsync(options.ServiceAccount, options.Namespace, cancellationToken: ct),
                $"reading service account {options.Namespace}/{options.ServiceAccount}", cancellation).ConfigureAwait(false);
            if (account is null)
            {
                throw new MeshException("ReaderAccountMissing", MeshErrorKind.ObjectNotFound,
                    $"Cluster '{source.Name}' has no service account {options.Namespace}/{options.ServiceAccount} for other clusters to read it with.",
                    source.Name, "Install the control plane first (the OSSM operator creates the reader account), or add -CreateServiceAccount to export it too.");
            }
        }

        if (options.TokenSecretName is { } chosen)
        {
            var chosenToken = await ChosenTokenAsync(source, options, chosen, cancellation).ConfigureAwait(false);
            var accountObjects = options.CreateServiceAccount ? ReaderAccount(options).ToList() : new List<KubeObject>();
            var chosenSecret = Render(source, options, chosenToken, null, Array.Empty<ReplacedToken>());
            return new RemoteSecretExport(source, accountObjects, chosenSecret, chosenSecret.Warnings);
        }

        var name = $"{options.ServiceAccount}-istio-remote-secret-token";
        var accountSecrets = (await TokenSecretsOfAsync(reader, options.Namespace, options.ServiceAccount, cancellation).ConfigureAwait(false))
            .Where(s => IsModuleIssued(s.Metadata.Name, options.ServiceAccount) && s.Data?.ContainsKey("token") == true)
            .OrderByDescending(s => s.Metadata.CreationTimestamp).ThenBy(s => s.Metadata.Name, StringComparer.Ordinal)
            .ToList();
        var usable = accountSecrets.FirstOrDefault();

        // The module's token Secret belongs in the tree: the cluster issues the token into it once it is applied.
        var request = TokenRequest(options, usable?.Metadata.Name ?? name);
        var objects = new List<KubeObject>();
        if (options.CreateServiceAccount)
        {
            var account = ReaderAccount(options).ToList();
            // The token Secret goes in the account's own file, after it: applied before its account, the token
            // controller would delete it as the Secret of an account that does not exist.
            objects.AddRange(account.Select(o => o.Kind == KubeKind.ServiceAccount ? o with { Companions = new[] { request } } : o));
        }
        else
        {
            objects.Add(request);
        }

        var warnings = new List<string>();
        if (usable is null)
        {
            warnings.Add($"{TokenPendingWarning}: cluster '{source.Name}' has not issued the reader token yet, so its remote secret is not in the tree. " +
                         "Apply the tree (kubectl apply -R -f <dir>/<cluster>), then run Connect-MeshCluster -OutputPath again: the second export holds the remote secrets.");
            return new RemoteSecretExport(source, objects, null, warnings);
        }

        var rendered = Render(source, options, Encoding.UTF8.GetString(usable.Data["token"]), null, Array.Empty<ReplacedToken>());
        return new RemoteSecretExport(source, objects, rendered, warnings.Concat(rendered.Warnings).ToList());
    }

    /// <summary>
    /// The reader account, the cluster role Istio's chart gives it (istio-reader-clusterrole, every rule of a primary
    /// cluster's; tests compare them rule by rule) and its binding. Not the namespace: the Install steps apply it with
    /// the network label, and an apply of it here without the label would take the label away.
    /// </summary>
    public static IReadOnlyList<KubeObject> ReaderAccountObjects(RemoteSecretOptions options) => ReaderAccount(options).ToList();

    /// <summary>
    /// What istiod's remote clients read or call on a cluster through its remote secret: Istio's config, the core
    /// objects of service discovery, CRDs and Gateway API gateways (to know which APIs to watch), MCS service
    /// exports and imports, and token and access reviews (for the workloads' credentials).
    /// </summary>
    private static List<V1PolicyRule> ReaderRules()
    {
        var read = new List<string> { "get", "list", "watch" };
        V1PolicyRule Rule(IEnumerable<string> groups, IEnumerable<string> resources, List<string>? verbs = null) =>
            new() { ApiGroups = groups.ToList(), Resources = resources.ToList(), Verbs = verbs ?? read.ToList() };
        return new List<V1PolicyRule>
        {
            Rule(new[] { "config.istio.io", "security.istio.io", "networking.istio.io", "authentication.istio.io", "rbac.istio.io", "telemetry.istio.io", "extensions.istio.io" }, new[] { "*" }),
            Rule(new[] { string.Empty }, new[] { "endpoints", "pods", "services", "nodes", "replicationcontrollers", "namespaces", "secrets", "configmaps" }),
            Rule(new[] { "networking.istio.io" }, new[] { "workloadentries" }),
            Rule(new[] { "networking.x-k8s.io", "gateway.networking.k8s.io" }, new[] { "gateways" }),
            Rule(new[] { "apiextensions.k8s.io" }, new[] { "customresourcedefinitions" }),
            Rule(new[] { "discovery.k8s.io" }, new[] { "endpointslices" }),
            Rule(new[] { "multicluster.x-k8s.io" }, new[] { "serviceexports" }, new List<string> { "get", "list", "watch", "create", "delete" }),
            Rule(new[] { "multicluster.x-k8s.io" }, new[] { "serviceimports" }),
            Rule(new[] { "apps" }, new[] { "replicasets" }),
            Rule(new[] { "authentication.k8s.io" }, new[] { "tokenreviews" }, new List<string> { "create" }),
            Rule(new[] { "authorization.k8s.io" }, new[] { "subjectaccessreviews" }, new List<string> { "create" }),
        };
    }
    private static IEnumerable<KubeObject> ReaderAccount(RemoteSecretOptions options)
    {
        var roleName = $"istio-reader-clusterrole-{options.Namespace}";
        yield return KubeObject.Of(new V1ServiceAccount
        {
            Metadata = new V1ObjectMeta { Name = options.ServiceAccount, NamespaceProperty = options.Namespace, Labels = new Dictionary<string, string> { [MeshObjects.ManagedByLabel] = MeshObjects.ManagedBy } },
        });
        yield return KubeObject.Of(new V1ClusterRole
        {
            Metadata = new V1ObjectMeta { Name = roleName, Labels = new Dictionary<string, string> { [MeshObjects.ManagedByLabel] = MeshObjects.ManagedBy } },
            Rules = ReaderRules(),
        });
        yield return KubeObject.Of(new V1ClusterRoleBinding
        {
            Metadata = new V1ObjectMeta { Name = roleName, Labels = new Dictionary<string, string> { [MeshObjects.ManagedByLabel] = MeshObjects.ManagedBy } },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = roleName },
            Subjects = new List<Rbacv1Subject> { new() { Kind = "ServiceAccount", Name = options.ServiceAccount, NamespaceProperty = options.Namespace } },
        });
    }

    /// <summary>The service-account token Secrets of <paramref name="serviceAccount"/> in <paramref name="ns"/>, as listed.</summary>
    public static async Task<IReadOnlyList<V1Secret>> TokenSecretsOfAsync(ResourceApplier reader, string ns, string serviceAccount, CancellationToken cancellation)
    {
        var list = await reader.ReadAsync((c, ct) => c.CoreV1.ListNamespacedSecretAsync(ns, fieldSelector: "type=kubernetes.io/service-account-token", cancellationToken: ct),
            $"listing token secrets in {ns}", cancellation).ConfigureAwait(false);
        return (list?.Items ?? new List<V1Secret>())
            .Where(s => s.Metadata.Annotations?.TryGetValue(ServiceAccountNameAnnotation, out var account) == true && account == serviceAccount)
            .ToList();
    }

    /// <summary>Whether a token Secret is one the module created (its name: the account's, then istio-remote-secret-token).</summary>
    public static bool IsModuleIssued(string secretName, string serviceAccount) =>
        secretName.StartsWith($"{serviceAccount}-istio-remote-secret-token", StringComparison.Ordinal);

    /// <summary>A token's SHA-256, to match tokens without keeping them.</summary>
    public static string TokenFingerprint(string token) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>The fingerprint of the token in a remote secret's kubeconfig; null when it holds none.</summary>
    public static string? CarriedTokenFingerprint(V1Secret remoteSecret)
    {
        foreach (var kubeconfig in remoteSecret.Data?.Values ?? Enumerable.Empty<byte[]>())
        {
            try
            {
                // Read as istiod and kubectl read it: the current context's user's token.
                using var stream = new MemoryStream(kubeconfig);
                if (KubernetesClientConfiguration.BuildConfigFromConfigFile(stream).AccessToken is { Length: > 0 } token)
                {
                    return TokenFingerprint(token);
                }
            }
            catch (Exception ex) when (ex is k8s.Exceptions.KubeConfigException or YamlDotNet.Core.YamlException or ArgumentException or FormatException)
            {
            }
        }

        return null;
    }

    private static bool IsLoopback(string server) =>
        Uri.TryCreate(server, UriKind.Absolute, out var uri)
        && (uri.IsLoopback || string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(uri.Host, out var ip) && IPAddress.IsLoopback(ip)));
}
