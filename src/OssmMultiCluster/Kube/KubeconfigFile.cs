using k8s;
using k8s.KubeConfigModels;

namespace OssmMultiCluster.Kube;

/// <summary>
/// Reads kubeconfig files as kubectl does (several merged, the first definition of a name winning), refusing what would
/// make the YAML parser slow or the rest of the module fail later. Errors quote neither YamlDotNet's messages nor its
/// inner exceptions: they repeat the value that did not convert, which can be a token.
/// </summary>
internal static class KubeconfigFile
{
    /// <summary>Far deeper than any kubeconfig nests (an exec plugin's env list is at depth 7).</summary>
    private const int MaxDepth = 64;

    /// <summary>Auth-provider settings that are credentials (the others are ids and URLs).</summary>
    private static readonly string[] SecretSettings = { "access-token", "id-token", "refresh-token", "client-secret" };

    public static K8SConfiguration Load(IReadOnlyList<string> paths)
    {
        K8SConfiguration? merged = null;
        foreach (var path in paths)
        {
            if (!File.Exists(path))
            {
                throw new MeshException("KubeconfigNotFound", MeshErrorKind.ObjectNotFound, $"Kubeconfig '{path}' does not exist.", path,
                    "Check the path given to -Kubeconfig (or in $env:KUBECONFIG); 'oc login' or your cloud's CLI writes one.");
            }

            var config = Parse(path);
            merged = merged is null ? config : Merge(merged, config);
        }

        return merged!;
    }

    /// <summary>Reads one kubeconfig file, refusing entries without a name (KubernetesClient's lookups fail on them).</summary>
    private static K8SConfiguration Parse(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new MeshException("KubeconfigUnreadable", MeshErrorKind.ReadError, $"Kubeconfig '{path}' cannot be read: {ex.Message}", path,
                "Check the file's permissions (kubectl needs to read it too).", ex);
        }

        K8SConfiguration? config;
        try
        {
            CheckDepth(text, path);
            config = KubernetesYaml.Deserialize<K8SConfiguration>(text);
        }
        catch (YamlDotNet.Core.YamlException ex)
        {
            throw Invalid(path, $"line {ex.Start.Line}, column {ex.Start.Column} is not what a kubeconfig holds there");
        }
        catch (Exception ex) when (ParserFailure.IsRefusal(ex))
        {
            throw Invalid(path, $"it does not read as a kubeconfig ({ex.GetType().Name})");
        }

        if (config is null)
        {
            throw Invalid(path, "it is empty");
        }

        config.FileName = Path.GetFullPath(path);
        foreach (var (list, names) in new[]
                 {
                     ("clusters", config.Clusters?.Select(c => c?.Name)), ("contexts", config.Contexts?.Select(c => c?.Name)),
                     ("users", config.Users?.Select(u => u?.Name)),
                 })
        {
            if (names?.Any(string.IsNullOrEmpty) == true)
            {
                throw Invalid(path, $"an entry of its {list} has no name");
            }
        }

        return config;
    }

    /// <summary>
    /// Refuses YAML nested deeper than <see cref="MaxDepth"/> before it is deserialized: YamlDotNet's time grows with the
    /// square of the depth (100,000 nested brackets take minutes), and no kubeconfig nests more than a few levels.
    /// </summary>
    private static void CheckDepth(string text, string path)
    {
        if (YamlGuard.Refusal(text, MaxDepth, allowAliases: true) is { } why)
        {
            throw Invalid(path, why);
        }
    }

    private static MeshException Invalid(string path, string why) =>
        new("KubeconfigInvalid", MeshErrorKind.InvalidData, $"Kubeconfig '{path}' cannot be read: {why}.", path,
            "Check the file with 'kubectl config view --kubeconfig <file>'.");

    /// <summary>kubectl's merge rule: the first file to define a name wins; the first current-context wins.</summary>
    private static K8SConfiguration Merge(K8SConfiguration first, K8SConfiguration second) => new()
    {
        ApiVersion = first.ApiVersion,
        Kind = first.Kind,
        CurrentContext = string.IsNullOrEmpty(first.CurrentContext) ? second.CurrentContext : first.CurrentContext,
        Contexts = (first.Contexts ?? Enumerable.Empty<Context>()).Concat((second.Contexts ?? Enumerable.Empty<Context>())
            .Where(c => first.Contexts?.All(f => f.Name != c.Name) ?? true)).ToList(),
        Clusters = (first.Clusters ?? Enumerable.Empty<Cluster>()).Concat((second.Clusters ?? Enumerable.Empty<Cluster>())
            .Where(c => first.Clusters?.All(f => f.Name != c.Name) ?? true)).ToList(),
        Users = (first.Users ?? Enumerable.Empty<User>()).Concat((second.Users ?? Enumerable.Empty<User>())
            .Where(u => first.Users?.All(f => f.Name != u.Name) ?? true)).ToList(),
        FileName = first.FileName,
    };

    /// <summary>The credentials of a kubeconfig: values no error may repeat, even when a mistake puts one where a name belongs.</summary>
    public static IEnumerable<string> Secrets(K8SConfiguration config) =>
        (config.Users ?? Enumerable.Empty<User>()).Select(u => u.UserCredentials).OfType<UserCredentials>()
            .SelectMany(c => new[] { c.Token, c.Password, c.ClientKeyData }
                .Concat(SecretSettings.Select(k => c.AuthProvider?.Config?.GetValueOrDefault(k)))
                .Concat(c.ExternalExecution?.EnvironmentVariables?.SelectMany(e => e.Values) ?? Enumerable.Empty<string>()))
            .OfType<string>().Where(s => s.Length >= 8);

    /// <summary><paramref name="error"/> with every secret replaced; its inner exception is dropped if it quotes one.</summary>
    public static MeshException Redacted(MeshException error, IReadOnlyList<string> secrets)
    {
        string Scrub(string text) => secrets.Aggregate(text, (t, secret) => t.Replace(secret, "<redacted>", StringComparison.Ordinal));
        var quoted = false;
        for (var inner = error.InnerException; inner is not null; inner = inner.InnerException)
        {
            quoted |= secrets.Any(secret => inner.Message.Contains(secret, StringComparison.Ordinal));
        }

        return new MeshException(error.ErrorId, error.Kind, Scrub(error.Message), error.Target is string target ? Scrub(target) : error.Target,
            Scrub(error.RecommendedAction), quoted ? null : error.InnerException);
    }
}
