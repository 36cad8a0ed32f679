using System.Collections.Concurrent;
using System.Reflection;
using k8s;
using k8s.Models;

namespace OssmMultiCluster.Kube;

/// <summary>
/// A class of the module's own for a kind that is not namespaced. Put on a custom resource's class beside its
/// <see cref="KubernetesEntityAttribute"/>; the core kinds' scope is in <see cref="KubeKind"/>'s table.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
internal sealed class ClusterScopedAttribute : Attribute
{
}

/// <summary>
/// A kind of Kubernetes object: where its API lives and whether it is namespaced. Never written out by hand: read from
/// the <see cref="KubernetesEntityAttribute"/> of the class that holds such objects (KubernetesClient's models, the
/// module's custom resources), so a kind's group, version, name and plural are stated once, on its class.
/// </summary>
internal sealed record KubeKind(string Group, string Version, string Kind, string Plural, bool Namespaced)
{
    /// <summary>
    /// The core kinds the module writes that are not namespaced; KubernetesClient's models do not say. Custom resources
    /// say it themselves (<see cref="ClusterScopedAttribute"/>).
    /// </summary>
    private static readonly HashSet<Type> ClusterScopedModels = new() { typeof(V1Namespace), typeof(V1ClusterRole), typeof(V1ClusterRoleBinding) };

    private static readonly ConcurrentDictionary<Type, KubeKind> ByType = new();

    private static readonly Lazy<IReadOnlyDictionary<string, Type>> Models = new(() => typeof(V1Secret).Assembly.GetTypes()
        .Select(t => (type: t, entity: t.GetCustomAttribute<KubernetesEntityAttribute>()))
        .Where(m => m.entity is { Kind: { Length: > 0 }, PluralName: { Length: > 0 } })
        .GroupBy(m => Key(m.entity!.Group, m.entity.ApiVersion, m.entity.Kind), StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.First().type, StringComparer.Ordinal));

    // The kinds the module names most often, shortcuts for Of<T>() with KubernetesClient's models.
    public static readonly KubeKind Namespace = Of<V1Namespace>();
    public static readonly KubeKind Secret = Of<V1Secret>();
    public static readonly KubeKind Service = Of<V1Service>();
    public static readonly KubeKind ServiceAccount = Of<V1ServiceAccount>();
    public static readonly KubeKind Deployment = Of<V1Deployment>();
    public static readonly KubeKind ClusterRole = Of<V1ClusterRole>();
    public static readonly KubeKind ClusterRoleBinding = Of<V1ClusterRoleBinding>();

    /// <summary>policy/v1; clusters before Kubernetes 1.21 serve only v1beta1 (<see cref="WithVersion"/>).</summary>
    public static readonly KubeKind PodDisruptionBudget = Of<V1PodDisruptionBudget>();

    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public KubeKind WithVersion(string version) => this with { Version = version };

    /// <summary>The kind of the objects <typeparamref name="T"/> holds.</summary>
    public static KubeKind Of<T>() => Of(typeof(T));

    /// <summary>The kind of the objects <paramref name="type"/> holds, from its <see cref="KubernetesEntityAttribute"/>.</summary>
    public static KubeKind Of(Type type) => ByType.GetOrAdd(type, static t =>
    {
        var entity = t.GetCustomAttribute<KubernetesEntityAttribute>()
            ?? throw new InvalidOperationException($"{t.Name} has no KubernetesEntity attribute: it is not a kind of Kubernetes object.");
        var namespaced = !ClusterScopedModels.Contains(t) && t.GetCustomAttribute<ClusterScopedAttribute>() is null;
        return new KubeKind(entity.Group ?? string.Empty, entity.ApiVersion, entity.Kind, entity.PluralName, namespaced);
    });

    /// <summary>
    /// The kind of <paramref name="body"/>: its class's, in the version the body names when it names one (a version
    /// chosen at run time, e.g. policy/v1beta1 on an old cluster). A body naming another group or kind is a mistake.
    /// </summary>
    public static KubeKind Of(IKubernetesObject body)
    {
        var kind = Of(body.GetType());
        if (body.ApiVersion is not { Length: > 0 } apiVersion)
        {
            return kind;
        }

        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        var (group, version) = slash < 0 ? (string.Empty, apiVersion) : (apiVersion[..slash], apiVersion[(slash + 1)..]);
        if (group != kind.Group || (body.Kind is { Length: > 0 } named && named != kind.Kind))
        {
            throw new InvalidOperationException($"A {body.GetType().Name} names itself {apiVersion} {body.Kind}, not {kind.ApiVersion} {kind.Kind}.");
        }

        return kind.WithVersion(version);
    }

    /// <summary>
    /// The kind a manifest names (a sample's documents), as KubernetesClient's model for it knows it; null for a kind
    /// the client has no model of.
    /// </summary>
    public static KubeKind? Find(string apiVersion, string kind)
    {
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        var (group, version) = slash < 0 ? (string.Empty, apiVersion) : (apiVersion[..slash], apiVersion[(slash + 1)..]);
        return Models.Value.TryGetValue(Key(group, version, kind), out var type) ? Of(type) : null;
    }

    private static string Key(string? group, string version, string kind) => $"{group}/{version}/{kind}";
}

/// <summary>
/// One object the module wants on a cluster: its kind, identity and typed body (a KubernetesClient model or one of
/// the module's custom-resource classes). Applying and exporting both start from this one representation.
/// </summary>
internal sealed record KubeObject(KubeKind Kind, string? Namespace, string Name, object Body)
{
    /// <summary>
    /// The object <paramref name="body"/> is: its kind from its class (<see cref="KubeKind.Of(IKubernetesObject)"/>), its
    /// namespace and name from its metadata. A body that leaves apiVersion and kind unset gets its class's.
    /// </summary>
    public static KubeObject Of(IKubernetesObject<V1ObjectMeta> body)
    {
        var kind = KubeKind.Of(body);
        body.ApiVersion ??= kind.ApiVersion;
        body.Kind ??= kind.Kind;
        var name = body.Metadata?.Name ?? throw new InvalidOperationException($"A {kind.Kind} without a name.");
        var ns = body.Metadata.NamespaceProperty;
        if (kind.Namespaced != (ns is not null))
        {
            throw new InvalidOperationException($"{kind.Kind} {name}: {(kind.Namespaced ? "namespaced, but its metadata names no namespace" : "not namespaced, but its metadata names one")}.");
        }

        return new KubeObject(kind, ns, name, body);
    }

    /// <summary>Export only: objects written after this one in its file, because kubectl must apply them after it.</summary>
    public IReadOnlyList<KubeObject> Companions { get; init; } = Array.Empty<KubeObject>();

    /// <summary>
    /// Export only. Set on a partial object that sets just this field (Connect's mesh networks): it is merged into
    /// the whole object a tree holds already. Set on a whole object: the field is another step's and is kept from the file.
    /// </summary>
    public IReadOnlyList<string>? SharedField { get; init; }

    /// <summary>
    /// Export only, on a whole object: more fields other steps write into it (Connect's trust-domain aliases), kept from
    /// the file as <see cref="SharedField"/> is.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<string>> KeptFields { get; init; } = Array.Empty<IReadOnlyList<string>>();

    /// <summary>Export only: the object sets only <see cref="SharedField"/>.</summary>
    public bool Partial { get; init; }

    public string Describe() => $"{Kind.Kind} {(Namespace is null ? string.Empty : Namespace + "/")}{Name}";
}
