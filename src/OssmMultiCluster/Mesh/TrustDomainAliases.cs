using System.Text.Json;
using k8s.Models;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh.Resources;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh;

/// <summary>A control plane's trust domain and its aliases as found on the cluster.</summary>
/// <param name="Owned">Whether the aliases list is the trust-domain field manager's (Connect-MeshCluster wrote it).</param>
internal sealed record ControlPlaneTrust(ControlPlaneRef ControlPlane, string TrustDomain, IReadOnlyList<string> Aliases, bool Owned);

/// <summary>
/// Trust-domain aliases across a mesh: a workload whose SPIFFE identity is in another cluster's trust domain is accepted
/// by istiod only when that domain is its own or one of its aliases (OSSM 2.6: spec.security.trust.additionalDomains;
/// OSSM 3: meshConfig.trustDomainAliases). Connect-MeshCluster lists, on every control plane, the other clusters' trust
/// domains (and -TrustDomainAlias); Disconnect-MeshCluster takes the leaving cluster's out. Both flavours keep the aliases in one atomic list,
/// so exactly one field manager writes it, this one: Install-MeshControlPlane's re-runs and Connect's mesh networks
/// never take it, and it never takes theirs. Clusters that all share a trust domain get no aliases and no change.
/// </summary>
internal static class TrustDomainAliases
{
    public const string FieldManager = "ossm-multicluster-trust-domain";

    /// <summary>The trust domain of a control plane that names none (both operators' default).</summary>
    public const string DefaultTrustDomain = "cluster.local";

    /// <summary>Where a flavour keeps its trust-domain aliases.</summary>
    public static IReadOnlyList<string> FieldPath(MeshFlavor flavor) => flavor == MeshFlavor.Ossm2
        ? new[] { "spec", "security", "trust", "additionalDomains" }
        : new[] { "spec", "values", "meshConfig", "trustDomainAliases" };

    /// <summary>Where a flavour keeps its trust domain (written by Install-MeshControlPlane -TrustDomain).</summary>
    public static IReadOnlyList<string> TrustDomainPath(MeshFlavor flavor) => flavor == MeshFlavor.Ossm2
        ? new[] { "spec", "security", "trust", "domain" }
        : new[] { "spec", "values", "meshConfig", "trustDomain" };

    /// <summary>The control plane's trust domain and aliases; null when the cluster has no control plane in <paramref name="ns"/>.</summary>
    public static async Task<ControlPlaneTrust?> ReadAsync(MeshCluster cluster, string ns, CancellationToken cancellation)
    {
        ControlPlaneRef controlPlane;
        try
        {
            controlPlane = await MeshNetworks.LocateAsync(cluster, ns, cancellation).ConfigureAwait(false);
        }
        catch (MeshException error) when (error.ErrorId == "ControlPlaneNotFound")
        {
            return null;
        }

        return Of(controlPlane, await MeshNetworks.ReadObjectAsync(cluster, controlPlane, cancellation).ConfigureAwait(false));
    }

    /// <summary>The trust domain and aliases in a control-plane resource already read, and whether this manager owns the aliases.</summary>
    public static ControlPlaneTrust Of(ControlPlaneRef controlPlane, JsonElement obj)
    {
        var domain = At(obj, TrustDomainPath(controlPlane.Flavor)) is { ValueKind: JsonValueKind.String } d && d.GetString() is { Length: > 0 } text
            ? text
            : DefaultTrustDomain;
        var aliases = At(obj, FieldPath(controlPlane.Flavor)) is { ValueKind: JsonValueKind.Array } list
            ? list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToList()
            : new List<string>();
        return new ControlPlaneTrust(controlPlane, domain, aliases, OwnsAliases(controlPlane.Flavor, obj));
    }

    /// <summary>
    /// The aliases a control plane in <paramref name="ownDomain"/> needs to accept workloads of <paramref name="peerDomains"/>:
    /// every domain but its own, once each, in ordinal order (so a re-run applies the same list).
    /// </summary>
    public static IReadOnlyList<string> For(string ownDomain, IEnumerable<string> peerDomains) =>
        peerDomains.Where(d => d != ownDomain).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    /// <summary>
    /// The partial control-plane object that sets exactly the aliases, applied by <see cref="FieldManager"/>; in an export it
    /// is merged into the control plane's file.
    /// </summary>
    public static KubeObject Object(ControlPlaneRef controlPlane, IReadOnlyList<string> aliases)
    {
        var obj = controlPlane.Flavor == MeshFlavor.Ossm2
            ? KubeObject.Of(new ServiceMeshControlPlane
            {
                Metadata = new V1ObjectMeta { Name = controlPlane.Name, NamespaceProperty = controlPlane.Namespace },
                Spec = new SmcpSpec { Security = new SmcpSecurity { Trust = new SmcpTrust { AdditionalDomains = aliases.ToList() } } },
            })
            : KubeObject.Of(new Istio
            {
                Metadata = new V1ObjectMeta { Name = controlPlane.Name },
                Spec = new IstioSpec { Values = new IstioValues { MeshConfig = new IstioMeshConfig { TrustDomainAliases = aliases.ToList() } } },
            });
        return obj with { SharedField = FieldPath(controlPlane.Flavor), Partial = true };
    }

    /// <summary>
    /// What connecting <paramref name="target"/> with <paramref name="clusters"/> does to its aliases: the others' trust
    /// domains and <paramref name="extra"/> (Connect-MeshCluster -TrustDomainAlias, e.g. a domain being migrated from),
    /// when it has any to list; an empty list when it lists none now but this manager wrote some before (a cluster that
    /// moved to the others' domain); otherwise nothing, so clusters sharing one trust domain are left exactly as they are. Unknown: the other clusters whose trust domain was not read; then nothing is changed, since a list
    /// without them would cut their workloads off.
    /// </summary>
    public static (AliasChange? Change, IReadOnlyList<string> Unknown) ForConnect(MeshCluster target, IReadOnlyList<MeshCluster> clusters,
        IReadOnlyDictionary<MeshCluster, ControlPlaneTrust?> trusts, IReadOnlyList<string>? extra = null)
    {
        if (!trusts.TryGetValue(target, out var own) || own is null)
        {
            return (null, Array.Empty<string>());
        }

        var others = clusters.Where(c => c != target).ToList();
        var unknown = others.Where(c => !trusts.TryGetValue(c, out var t) || t is null).Select(c => c.Name).ToList();
        if (unknown.Count > 0)
        {
            return (null, unknown);
        }

        var aliases = For(own.TrustDomain, others.Select(c => trusts[c]!.TrustDomain).Concat(extra ?? Array.Empty<string>()));
        return (aliases.Count > 0 || (own.Owned && own.Aliases.Count > 0) ? new AliasChange(own.ControlPlane, aliases) : null, unknown);
    }

    /// <summary>Applies a planned change with <see cref="FieldManager"/> (an empty list stays as an empty list: no aliases).</summary>
    public static Task<MeshResourceResult> ApplyAsync(MeshCluster cluster, AliasChange change, bool force, CancellationToken cancellation) =>
        new ResourceApplier(cluster, FieldManager).ApplyAsync(Object(change.ControlPlane, change.Aliases), force, cancellation);

    /// <summary>Connecting a cluster, and its aliases changed alongside (their own field manager, their own result).</summary>
    public static async Task<InstallOutcome> WithAliasesAsync(MeshCluster cluster, Task<InstallOutcome> connecting, AliasChange? change, bool force,
        CancellationToken cancellation)
    {
        if (change is null)
        {
            return await connecting.ConfigureAwait(false);
        }

        var aliases = ApplyAsync(cluster, change, force, cancellation);
        await Task.WhenAll(connecting, aliases).ConfigureAwait(false);
        var outcome = await connecting.ConfigureAwait(false);
        return outcome with { Results = outcome.Results.Append(await aliases.ConfigureAwait(false)).ToList() };
    }

    /// <summary>
    /// On <paramref name="cluster"/>, the aliases without the trust domains of the clusters it no longer shares a mesh with:
    /// the leaving cluster's on those that stay (unless another cluster that stays has the same domain), the others' on
    /// the leaving one. Only aliases this manager wrote are touched; a domain that cannot be read is left in place, with a warning.
    /// </summary>
    public static async Task<InstallOutcome> DisconnectAsync(MeshCluster cluster, MeshCluster leaving, IReadOnlyList<MeshCluster> others,
        string ns, bool force, CancellationToken cancellation)
    {
        var own = await ReadAsync(cluster, ns, cancellation).ConfigureAwait(false);
        if (own is null || !own.Owned || own.Aliases.Count == 0)
        {
            return InstallOutcome.Of(Array.Empty<MeshResourceResult>());
        }

        var gone = cluster == leaving ? others : new[] { leaving };
        var staying = cluster == leaving ? Array.Empty<MeshCluster>() : others.Where(o => o != cluster).ToArray();
        var domains = new Dictionary<MeshCluster, string>();
        var warnings = new List<string>();
        foreach (var other in gone.Concat(staying))
        {
            try
            {
                if (await ReadAsync(other, ns, cancellation).ConfigureAwait(false) is { } trust)
                {
                    domains[other] = trust.TrustDomain;
                }
            }
            catch (MeshException error) when (!cancellation.IsCancellationRequested)
            {
                warnings.Add($"Cluster '{cluster.Name}': its trust-domain aliases may still list the domain of '{other.Name}', whose control plane could not be read ({error.ErrorId}).");
            }
        }

        var kept = staying.Where(domains.ContainsKey).Select(s => domains[s]).ToHashSet(StringComparer.Ordinal);
        var remove = gone.Where(domains.ContainsKey).Select(g => domains[g]).Where(d => !kept.Contains(d)).ToHashSet(StringComparer.Ordinal);
        var remaining = own.Aliases.Where(a => !remove.Contains(a)).ToList();
        if (remaining.Count == own.Aliases.Count)
        {
            return new InstallOutcome(Array.Empty<MeshResourceResult>(), warnings);
        }

        var result = await ApplyAsync(cluster, new AliasChange(own.ControlPlane, remaining), force, cancellation).ConfigureAwait(false);
        return new InstallOutcome(new[] { result }, warnings);
    }

    /// <summary>Disconnecting a cluster, then its aliases (<see cref="DisconnectAsync"/>) on the same cluster.</summary>
    public static async Task<InstallOutcome> WithDisconnectAsync(Task<InstallOutcome> disconnecting, MeshCluster cluster, MeshCluster leaving,
        IReadOnlyList<MeshCluster> others, string ns, bool force, CancellationToken cancellation)
    {
        var outcome = await disconnecting.ConfigureAwait(false);
        var aliases = await DisconnectAsync(cluster, leaving, others, ns, force, cancellation).ConfigureAwait(false);
        return outcome with
        {
            Results = outcome.Results.Concat(aliases.Results).ToList(),
            Warnings = outcome.Warnings.Concat(aliases.Warnings).ToList(),
        };
    }

    private static bool OwnsAliases(MeshFlavor flavor, JsonElement obj)
    {
        if (!obj.TryGetProperty("metadata", out var metadata) || !metadata.TryGetProperty("managedFields", out var entries) || entries.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        foreach (var entry in entries.EnumerateArray())
        {
            if (entry.TryGetProperty("manager", out var manager) && manager.GetString() == FieldManager && entry.TryGetProperty("fieldsV1", out var fields)
                && At(fields, FieldPath(flavor).Select(step => "f:" + step).ToList()) is not null)
            {
                return true;
            }
        }

        return false;
    }

    private static JsonElement? At(JsonElement element, IReadOnlyList<string> path)
    {
        foreach (var step in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(step, out element))
            {
                return null;
            }
        }

        return element;
    }
}

/// <summary>The aliases a control plane gets (an empty list: the module's aliases removed).</summary>
internal sealed record AliasChange(ControlPlaneRef ControlPlane, IReadOnlyList<string> Aliases);
