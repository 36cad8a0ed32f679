using System.Net;
using System.Text;
using k8s;
using k8s.KubeConfigModels;
using k8s.Models;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh;

public sealed record RemoteSecretOptions
{
    public string Namespace { get; init; } = "istio-system";
    public string ServiceAccount { get; init; } = "istio-reader-service-account";
    public MeshTokenType TokenType { get; init; } = MeshTokenType.Secret;
    public TimeSpan TokenLifetime { get; init; } = TimeSpan.FromHours(24);

    /// <summary>The API server URL other clusters use; null: the one in the admin's kubeconfig.</summary>
    public string? Server { get; init; }

    /// <summary>Create the reader account and its read-only cluster role when missing (the OSSM operator otherwise does).</summary>
    public bool CreateServiceAccount { get; init; }

    /// <summary>How long to wait for the token controller to fill a service-account token Secret.</summary>
    public TimeSpan TokenTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Walkthrough steps 9-10: a kubeconfig for a cluster's reader account, wrapped in the remote secret istiod watches
/// (label istio/multiCluster=true). Tokens default to a service-account token Secret, which does not expire: the
/// walkthrough's 'oc create token' is a bound token that expires after an hour and silently breaks discovery.
/// </summary>
public static class RemoteSecrets
{
    public const string MultiClusterLabel = "istio/multiCluster";
    public const string ClusterAnnotation = "networking.istio.io/cluster";
    private const string ServiceAccountNameAnnotation = "kubernetes.io/service-account.name";

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

    private static async Task<(string token, DateTime? expires, IReadOnlyList<string> replaced)> BoundTokenAsync(MeshCluster source, RemoteSecretOptions options, CancellationToken cancellation)
    {
        try
        {
            var request = await source.Client.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest
            {
                ApiVersion = "authentication.k8s.io/v1",
                Kind = "TokenRequest",
                Spec = new V1TokenRequestSpec { ExpirationSeconds = (long)options.TokenLifetime.TotalSeconds, Audiences = new List<string>() },
            }, options.ServiceAccount, options.Namespace, cancellationToken: cancellation).ConfigureAwait(false);
            return (request.Status.Token, request.Status.ExpirationTimestamp?.ToUniversalTime(), Array.Empty<string>());
        }
        catch (Exception ex) when (KubeFailure.IsKubeFailure(ex) && !cancellation.IsCancellationRequested)
        {
            throw KubeFailure.From(ex, source.Name, $"requesting a token for {options.Namespace}/{options.ServiceAccount}");
        }
    }

    /// <summary>
    /// The token of the account's service-account token Secret: an existing one is reused (the module's own, newest
    /// first, else the newest other), else one is created.
    /// Rotating creates a new one and reports the others, whose deletion revokes their tokens.
    /// </summary>
    private static async Task<(string token, DateTime? expires, IReadOnlyList<string> replaced)> SecretTokenAsync(MeshCluster source,
        RemoteSecretOptions options, bool rotate, CancellationToken cancellation)
    {
        var applier = new ResourceApplier(source);
        var name = rotate
            ? $"{options.ServiceAccount}-istio-remote-secret-token-{DateTime.UtcNow:yyyyMMddHHmmss}"
            : $"{options.ServiceAccount}-istio-remote-secret-token";
        var deadline = DateTime.UtcNow + options.TokenTimeout;
        var created = false;
        while (true)
        {
            var list = await applier.ReadAsync((c, ct) => c.CoreV1.ListNamespacedSecretAsync(options.Namespace, fieldSelector: "type=kubernetes.io/service-account-token", cancellationToken: ct),
                $"listing token secrets in {options.Namespace}", cancellation).ConfigureAwait(false);
            var accountSecrets = (list?.Items ?? new List<V1Secret>())
                .Where(s => s.Metadata.Annotations?.TryGetValue(ServiceAccountNameAnnotation, out var account) == true && account == options.ServiceAccount)
                // The module's own first (newest first: a rotation's), so a token the controller adds later never
                // replaces the one already in use and a re-run changes nothing.
                .OrderByDescending(s => s.Metadata.Name.StartsWith($"{options.ServiceAccount}-istio-remote-secret-token", StringComparison.Ordinal))
                .ThenByDescending(s => s.Metadata.CreationTimestamp).ThenBy(s => s.Metadata.Name, StringComparer.Ordinal)
                .ToList();
            var usable = accountSecrets.FirstOrDefault(s => (!rotate || s.Metadata.Name == name) && s.Data?.ContainsKey("token") == true);
            if (usable is not null)
            {
                var others = rotate ? accountSecrets.Where(s => s != usable).Select(s => s.Metadata.Name).ToList() : new List<string>();
                return (Encoding.UTF8.GetString(usable.Data["token"]), null, others);
            }

            if (!created)
            {
                // Kubernetes 1.24 and later no longer create one per account: ask the token controller for one.
                await applier.ApplyAsync(new KubeObject(KubeKind.Secret, options.Namespace, name, new V1Secret
                {
                    ApiVersion = "v1",
                    Kind = "Secret",
                    Type = "kubernetes.io/service-account-token",
                    Metadata = new V1ObjectMeta
                    {
                        Name = name,
                        NamespaceProperty = options.Namespace,
                        Annotations = new Dictionary<string, string> { [ServiceAccountNameAnnotation] = options.ServiceAccount },
                    },
                }), force: false, cancellation).ConfigureAwait(false);
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

    /// <summary>
    /// The reader account and the read access Istio's istio-reader role grants. Not the namespace: the Install steps
    /// apply it with the network label, and an apply of it here without the label would take the label away.
    /// </summary>
    private static IEnumerable<KubeObject> ReaderAccount(RemoteSecretOptions options)
    {
        var roleName = $"istio-reader-clusterrole-{options.Namespace}";
        yield return new KubeObject(KubeKind.ServiceAccount, options.Namespace, options.ServiceAccount, new V1ServiceAccount
        {
            ApiVersion = "v1",
            Kind = "ServiceAccount",
            Metadata = new V1ObjectMeta { Name = options.ServiceAccount, NamespaceProperty = options.Namespace, Labels = new Dictionary<string, string> { [MeshObjects.ManagedByLabel] = MeshObjects.ManagedBy } },
        });
        yield return new KubeObject(KubeKind.ClusterRole, null, roleName, new V1ClusterRole
        {
            ApiVersion = "rbac.authorization.k8s.io/v1",
            Kind = "ClusterRole",
            Metadata = new V1ObjectMeta { Name = roleName, Labels = new Dictionary<string, string> { [MeshObjects.ManagedByLabel] = MeshObjects.ManagedBy } },
            Rules = new List<V1PolicyRule>
            {
                new() { ApiGroups = new List<string> { string.Empty }, Resources = new List<string> { "endpoints", "pods", "services", "nodes", "replicationcontrollers", "namespaces", "secrets" }, Verbs = new List<string> { "get", "list", "watch" } },
                new() { ApiGroups = new List<string> { "discovery.k8s.io" }, Resources = new List<string> { "endpointslices" }, Verbs = new List<string> { "get", "list", "watch" } },
                new() { ApiGroups = new List<string> { "networking.istio.io", "security.istio.io", "telemetry.istio.io", "extensions.istio.io" }, Resources = new List<string> { "*" }, Verbs = new List<string> { "get", "list", "watch" } },
                new() { ApiGroups = new List<string> { "apps" }, Resources = new List<string> { "replicasets" }, Verbs = new List<string> { "get", "list", "watch" } },
            },
        });
        yield return new KubeObject(KubeKind.ClusterRoleBinding, null, roleName, new V1ClusterRoleBinding
        {
            ApiVersion = "rbac.authorization.k8s.io/v1",
            Kind = "ClusterRoleBinding",
            Metadata = new V1ObjectMeta { Name = roleName, Labels = new Dictionary<string, string> { [MeshObjects.ManagedByLabel] = MeshObjects.ManagedBy } },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = roleName },
            Subjects = new List<Rbacv1Subject> { new() { Kind = "ServiceAccount", Name = options.ServiceAccount, NamespaceProperty = options.Namespace } },
        });
    }

    private static bool IsLoopback(string server) =>
        Uri.TryCreate(server, UriKind.Absolute, out var uri)
        && (uri.IsLoopback || string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(uri.Host, out var ip) && IPAddress.IsLoopback(ip)));
}
