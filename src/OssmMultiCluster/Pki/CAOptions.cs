namespace OssmMultiCluster.Pki;

/// <summary>What a new root CA looks like. Defaults are the walkthrough's root-ca.conf.</summary>
internal sealed record RootCAOptions
{
    public string Organization { get; init; } = "Istio";
    public string CommonName { get; init; } = "Root CA";
    public KeySpec Key { get; init; } = KeySpec.DefaultRsa;
    public int ValidityDays { get; init; } = CertificateAuthorityService.DefaultValidityDays;

    /// <summary>Keys of the same spec to generate alongside the root's, for the intermediates that follow.</summary>
    public int PregenerateKeys { get; init; }
}

/// <summary>What a new intermediate CA looks like. Defaults are the walkthrough's intermediate.conf.</summary>
internal sealed record IntermediateCAOptions
{
    public const string DefaultControlPlaneNamespace = MeshNames.ControlPlaneNamespace;

    public string Organization { get; init; } = "Istio";
    public string CommonName { get; init; } = "Intermediate CA";

    /// <summary>Null: as the root's key.</summary>
    public KeySpec? Key { get; init; }

    /// <summary>Null: as long as the root allows, at most 3650 days.</summary>
    public int? ValidityDays { get; init; }

    /// <summary>DNS subject alternative names; null: istiod.&lt;ControlPlaneNamespace&gt;.svc.</summary>
    public IReadOnlyList<string>? DnsNames { get; init; }

    public string ControlPlaneNamespace { get; init; } = DefaultControlPlaneNamespace;

    internal IReadOnlyList<string> EffectiveDnsNames => DnsNames is { Count: > 0 }
        ? DnsNames
        : new[] { $"istiod.{ControlPlaneNamespace}.svc" };
}
