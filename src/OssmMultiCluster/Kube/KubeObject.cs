namespace OssmMultiCluster.Kube;

/// <summary>A kind of Kubernetes object: where its API lives and whether it is namespaced.</summary>
internal sealed record KubeKind(string Group, string Version, string Kind, string Plural, bool Namespaced)
{
    public static readonly KubeKind Namespace = new(string.Empty, "v1", "Namespace", "namespaces", false);
    public static readonly KubeKind Secret = new(string.Empty, "v1", "Secret", "secrets", true);
    public static readonly KubeKind Service = new(string.Empty, "v1", "Service", "services", true);
    public static readonly KubeKind ServiceAccount = new(string.Empty, "v1", "ServiceAccount", "serviceaccounts", true);
    public static readonly KubeKind Deployment = new("apps", "v1", "Deployment", "deployments", true);
    public static readonly KubeKind ClusterRole = new("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false);
    public static readonly KubeKind ClusterRoleBinding = new("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", false);
    public static readonly KubeKind PodDisruptionBudget = new("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", true);
    public static readonly KubeKind ServiceMeshControlPlane = new("maistra.io", "v2", "ServiceMeshControlPlane", "servicemeshcontrolplanes", true);
    public static readonly KubeKind Gateway = new("networking.istio.io", "v1beta1", "Gateway", "gateways", true);
    public static readonly KubeKind VirtualService = new("networking.istio.io", "v1beta1", "VirtualService", "virtualservices", true);
    public static readonly KubeKind PeerAuthentication = new("security.istio.io", "v1beta1", "PeerAuthentication", "peerauthentications", true);
    public static readonly KubeKind Istio = new("sailoperator.io", "v1", "Istio", "istios", false);
    public static readonly KubeKind IstioCNI = new("sailoperator.io", "v1", "IstioCNI", "istiocnis", false);

    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public bool IsCore => Group.Length == 0;

    public KubeKind WithVersion(string version) => this with { Version = version };
}

/// <summary>
/// One object the module wants on a cluster: its kind, identity and typed body (a KubernetesClient model or one of
/// the module's custom-resource classes). Applying and exporting both start from this one representation.
/// </summary>
internal sealed record KubeObject(KubeKind Kind, string? Namespace, string Name, object Body)
{
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
