using System.Text.RegularExpressions;

namespace OssmMultiCluster;

/// <summary>Rules for the names the mesh puts into certificates, labels and Kubernetes object names.</summary>
internal static partial class MeshNames
{
    /// <summary>The control plane's namespace unless a -Namespace says otherwise (the walkthrough's and the operators' default).</summary>
    public const string ControlPlaneNamespace = "istio-system";

    /// <summary>The east-west gateway's default name, as the walkthrough and upstream's multicluster samples name it.</summary>
    public const string EastWestGatewayName = "istio-eastwestgateway";

    /// <summary>The reader account remote secrets carry a token of, as the operators create it in the control plane's namespace.</summary>
    public const string ReaderServiceAccount = "istio-reader-service-account";

    public const string Dns1123LabelPattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

    /// <summary>An object name such as a Secret's: dot-separated DNS-1123 labels (case-sensitive).</summary>
    public const string Dns1123SubdomainPattern = "(?-i)^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

    /// <summary>A SPIFFE trust domain: lower-case letters, digits, dots, dashes and underscores (case-sensitive, unlike ValidatePattern's default).</summary>
    public const string TrustDomainPattern = "(?-i)^[a-z0-9._-]+$";

    [GeneratedRegex(Dns1123LabelPattern, RegexOptions.CultureInvariant)]
    private static partial Regex Dns1123Label();

    public static bool IsDns1123Label(string? value) =>
        !string.IsNullOrEmpty(value) && value.Length <= 63 && Dns1123Label().IsMatch(value);

    /// <summary>Throws a <see cref="MeshException"/> unless <paramref name="name"/> is a valid cluster name.</summary>
    public static string ValidateClusterName(string? name)
    {
        if (!IsDns1123Label(name))
        {
            throw new MeshException("InvalidClusterName", MeshErrorKind.InvalidArgument,
                $"Cluster name '{name}' is not a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters.",
                name,
                "Use a name such as 'west' or 'east-cluster'; it becomes part of secret names and certificate subjects.");
        }

        return name!;
    }

    /// <summary>Throws unless <paramref name="meshId"/> can serve as the mesh ID (it is put into labels and proxy metadata).</summary>
    public static string ValidateMeshId(string? meshId)
    {
        if (!IsDns1123Label(meshId))
        {
            throw new MeshException("InvalidMeshId", MeshErrorKind.InvalidArgument,
                $"Mesh ID '{meshId}' is not a DNS-1123 label.", meshId,
                "Use a name such as 'bookinfo-mesh', the same on every cluster of the mesh.");
        }

        return meshId!;
    }
}
