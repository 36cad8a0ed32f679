using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using k8s;
using k8s.KubeConfigModels;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Kube;

/// <summary>
/// Resolves clusters the way kubectl does (kubeconfig files, contexts, current context) into <see cref="MeshCluster"/>
/// objects. Refuses kubeconfigs that turn TLS verification off.
/// </summary>
internal sealed partial class ClusterResolver
{
    private readonly Func<string, string?> _environment;
    private readonly string _home;

    public ClusterResolver(Func<string, string?>? environment = null, string? home = null)
    {
        _environment = environment ?? Environment.GetEnvironmentVariable;
        _home = home ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
    }

    public IReadOnlyList<MeshCluster> Resolve(ClusterSelection selection, CancellationToken cancellation = default)
    {
        var sources = Sources(selection.Kubeconfigs);
        try
        {
            return Resolve(sources, selection, cancellation);
        }
        catch (MeshException error) when (sources.SelectMany(s => KubeconfigFile.Secrets(s.Config)).Distinct().ToList() is { Count: > 0 } secrets)
        {
            // A misplaced credential (a token where the context name belongs) would otherwise be quoted as a name.
            throw KubeconfigFile.Redacted(error, secrets);
        }
    }

    private static List<MeshCluster> Resolve(List<Source> sources, ClusterSelection selection, CancellationToken cancellation)
    {
        var targets = Pair(sources, selection.Contexts);
        if (selection.Names is { } names && names.Count != targets.Count)
        {
            throw Mismatch("-Name", names.Count, targets.Count);
        }

        if (selection.Networks is { } networks && networks.Count != targets.Count)
        {
            throw Mismatch("-Network", networks.Count, targets.Count);
        }

        var clusters = new List<MeshCluster>();
        for (var i = 0; i < targets.Count; i++)
        {
            var (source, context) = targets[i];
            var name = MeshNames.ValidateClusterName(selection.Names?[i] ?? NameFromContext(context));
            var network = selection.Networks?[i] ?? $"{name}-network";
            ValidateNetwork(network);
            if (clusters.Any(c => c.Name == name))
            {
                throw new MeshException("DuplicateClusterName", MeshErrorKind.InvalidArgument,
                    $"Two clusters would both be named '{name}' in the mesh.", name,
                    "Give each cluster its own name with -Name, in the order of the kubeconfigs or contexts.");
            }

            clusters.Add(Build(source, context, name, network, selection, cancellation));
        }

        return clusters;
    }

    /// <summary>A kubeconfig source: one file, or several merged as kubectl merges $KUBECONFIG.</summary>
    private sealed record Source(string Path, K8SConfiguration Config);

    private List<Source> Sources(IReadOnlyList<string>? kubeconfigs)
    {
        if (kubeconfigs is { Count: > 0 })
        {
            return kubeconfigs.Select(path => new Source(path, KubeconfigFile.Load(new[] { path }))).ToList();
        }

        var fromEnvironment = _environment("KUBECONFIG");
        var paths = string.IsNullOrEmpty(fromEnvironment)
            ? new[] { Path.Combine(_home, ".kube", "config") }
            : fromEnvironment.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return new List<Source> { new(string.Join(Path.PathSeparator, paths), KubeconfigFile.Load(paths)) };
    }

    private static List<(Source source, string context)> Pair(List<Source> sources, IReadOnlyList<string>? contexts)
    {
        if (contexts is not { Count: > 0 })
        {
            return sources.Select(s => (s, CurrentContext(s))).ToList();
        }

        if (sources.Count == 1)
        {
            return contexts.Select(c => (sources[0], RequireContext(sources[0], c))).ToList();
        }

        if (sources.Count != contexts.Count)
        {
            throw new MeshException("ContextCountMismatch", MeshErrorKind.InvalidArgument,
                $"{sources.Count} kubeconfigs and {contexts.Count} contexts were given; with several kubeconfigs, give one context per kubeconfig or none.",
                contexts, "Give as many -Context values as -Kubeconfig paths (in the same order), or leave -Context out to use each file's current context.");
        }

        return sources.Zip(contexts, (s, c) => (s, RequireContext(s, c))).ToList();
    }

    private static string CurrentContext(Source source)
    {
        if (string.IsNullOrEmpty(source.Config.CurrentContext))
        {
            throw new MeshException("ContextNotSet", MeshErrorKind.InvalidArgument,
                $"Kubeconfig '{source.Path}' has no current context.", source.Path,
                $"Name one with -Context ({AvailableContexts(source)}), or run 'kubectl config use-context'.");
        }

        return RequireContext(source, source.Config.CurrentContext);
    }

    private static string RequireContext(Source source, string context)
    {
        if (source.Config.Contexts?.Any(c => c.Name == context) != true)
        {
            throw new MeshException("ContextNotFound", MeshErrorKind.ObjectNotFound,
                $"Context '{context}' is not in kubeconfig '{source.Path}'.", context,
                $"Use one of: {AvailableContexts(source)}.");
        }

        return context;
    }

    private static string AvailableContexts(Source source) =>
        source.Config.Contexts?.Any() == true ? string.Join(", ", source.Config.Contexts.Select(c => c.Name)) : "(the file has no contexts)";

    private static MeshCluster Build(Source source, string context, string name, string network, ClusterSelection selection, CancellationToken cancellation)
    {
        var details = source.Config.Contexts!.First(c => c.Name == context).ContextDetails;
        var endpoint = source.Config.Clusters?.FirstOrDefault(c => c.Name == details?.Cluster)?.ClusterEndpoint;
        if (endpoint is null)
        {
            throw new MeshException("KubeconfigInvalid", MeshErrorKind.InvalidData,
                $"Context '{context}' in '{source.Path}' names cluster '{details?.Cluster}', which the kubeconfig does not define.", source.Path,
                "Fix the kubeconfig ('kubectl config view' shows it), or log in again.");
        }

        if (endpoint.SkipTlsVerify)
        {
            throw new MeshException("InsecureKubeconfig", MeshErrorKind.SecurityError,
                $"Context '{context}' in '{source.Path}' turns TLS verification off (insecure-skip-tls-verify); this module always verifies the API server.",
                context, "Put the API server's CA in the kubeconfig (certificate-authority-data), e.g. 'oc login --certificate-authority=<ca.crt>'.");
        }

        var exec = source.Config.Users?.FirstOrDefault(u => u.Name == details?.User)?.UserCredentials?.ExternalExecution;
        var baseDirectory = File.Exists(source.Path) ? Path.GetDirectoryName(Path.GetFullPath(source.Path)) : null;
        var credential = exec is null ? null
            : CredentialPlugin.RunAsync(exec, context, baseDirectory, selection.CredentialTimeout, cancellation).GetAwaiter().GetResult();
        KubernetesClientConfiguration configuration;
        try
        {
            // KubernetesClient would run the plugin itself, with no deadline: it gets the plugin's answer instead.
            configuration = KubernetesClientConfiguration.BuildConfigFromConfigObject(
                credential is null ? source.Config : WithCredential(source.Config, details!.User, credential), context);
        }
        catch (Exception ex) when (ParserFailure.IsRefusal(ex))
        {
            throw new MeshException("KubeconfigInvalid", MeshErrorKind.InvalidData,
                $"Context '{context}' in '{source.Path}' cannot be used: {FirstLine(ex.Message)}", source.Path,
                "Check the context's cluster and user entries ('kubectl config view --minify --context <context>').", ex);
        }

        configuration.SkipTlsVerify = false;
        // The deadline is ApiCallHandler's (a ClusterTimeout error); the client's own is only a backstop behind it.
        configuration.HttpClientTimeout = selection.RequestTimeout + TimeSpan.FromSeconds(5);
        if (credential?.Token is not null)
        {
            configuration.TokenProvider = new CredentialPluginTokenProvider(credential, exec!, context, baseDirectory, selection.CredentialTimeout);
        }

        var authority = configuration.SslCaCerts is { Count: > 0 } cas ? new X509Certificate2(cas[0].RawData) : null;
        var bundle = configuration.SslCaCerts is { Count: > 0 } all ? string.Concat(all.Select(c => c.ExportCertificatePem() + "\n")) : null;
        var cluster = new MeshCluster(name, network, context, source.Path, configuration, authority, details!.User, bundle, selection.RequestTimeout);
        CheckClient(cluster, context, source.Path);
        return cluster;
    }

    /// <summary>A copy of the kubeconfig in which <paramref name="user"/> holds the plugin's answer instead of the plugin.</summary>
    private static K8SConfiguration WithCredential(K8SConfiguration config, string user, ExecCredential credential)
    {
        static string? Base64(string? pem) => pem is null ? null : Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(pem));
        var users = config.Users.Select(u => u.Name != user ? u : new User
        {
            Name = u.Name,
            UserCredentials = new UserCredentials
            {
                Token = credential.Token,
                ClientCertificateData = Base64(credential.ClientCertificatePem) ?? u.UserCredentials.ClientCertificateData,
                ClientKeyData = Base64(credential.ClientKeyPem) ?? u.UserCredentials.ClientKeyData,
                ClientCertificate = credential.ClientCertificatePem is null ? u.UserCredentials.ClientCertificate : null,
                ClientKey = credential.ClientKeyPem is null ? u.UserCredentials.ClientKey : null,
            },
        }).ToList();
        return new K8SConfiguration
        {
            ApiVersion = config.ApiVersion,
            Kind = config.Kind,
            CurrentContext = config.CurrentContext,
            Clusters = config.Clusters,
            Contexts = config.Contexts,
            Users = users,
            FileName = config.FileName,
        };
    }

    /// <summary>
    /// Makes the cluster's client now rather than in the first cmdlet to contact the cluster: making it decodes the client
    /// certificate and key and the server URL, so a bad one is a KubeconfigInvalid here. Nothing is sent.
    /// </summary>
    private static void CheckClient(MeshCluster cluster, string context, string path)
    {
        try
        {
            _ = cluster.Client;
        }
        catch (Exception ex) when (ParserFailure.IsRefusal(ex))
        {
            // Neither the parser's message nor its exception: they can quote the key.
            throw new MeshException("KubeconfigInvalid", MeshErrorKind.InvalidData,
                $"The client certificate or key of context '{context}' in '{path}' does not decode ({ex.GetType().Name}).", path,
                "Log in again ('oc login'), or check client-certificate-data and client-key-data ('kubectl config view --raw --minify --context <context>').");
        }
    }

    /// <summary>The mesh name kubectl users would expect from a context: lower-cased, other characters to '-'.</summary>
    public static string NameFromContext(string context)
    {
        var name = NonLabelCharacters().Replace(context.ToLowerInvariant(), "-").Trim('-');
        return name.Length > 63 ? name[..63].TrimEnd('-') : name;
    }

    private static void ValidateNetwork(string network)
    {
        if (!MeshNames.IsDns1123Label(network))
        {
            throw new MeshException("InvalidNetworkName", MeshErrorKind.InvalidArgument,
                $"Network name '{network}' is not a DNS-1123 label.", network,
                "Use a name such as 'west-network': it becomes the topology.istio.io/network label value.");
        }
    }

    private static MeshException Mismatch(string parameter, int given, int clusters) =>
        new("ParameterCountMismatch", MeshErrorKind.InvalidArgument,
            $"{given} value(s) were given to {parameter} for {clusters} cluster(s).", given,
            $"Give {parameter} one value per cluster, in the order of the kubeconfigs or contexts, or leave it out.");

    private static string FirstLine(string message) => message.Split('\n')[0];

    [GeneratedRegex("[^a-z0-9-]+")]
    private static partial Regex NonLabelCharacters();
}
