using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using OssmMultiCluster.Model;
using OssmMultiCluster.Pki;

namespace OssmMultiCluster.Mesh.Status;

/// <summary>
/// Turns what was read from every cluster into checks: trust, network, control plane, gateway, remote secrets and mesh
/// networks, each OK, Warning or Error with a detail that says what to do. Checks across clusters (same root, trust
/// domain and mesh ID; every other network listed with its gateway's current address) are what no single-cluster
/// view shows.
/// </summary>
internal static class StatusChecker
{
    public static readonly TimeSpan ExpiryWarning = TimeSpan.FromDays(30);
    public static readonly TimeSpan TokenExpiryWarning = TimeSpan.FromDays(7);

    public static IReadOnlyList<MeshStatusCheck> Check(IReadOnlyList<ClusterState> states, DateTime now)
    {
        var checks = new List<MeshStatusCheck>();
        var reachable = states.Where(s => s.Unreachable is null).ToList();
        var roots = reachable.Where(s => s.CaCerts?.ContainsKey("root-cert.pem") == true)
            .ToDictionary(s => s.Cluster.Name, s => TrustRoots.Of(s.CaCerts!));
        var commonRoot = roots.Values.GroupBy(r => r.Issuing).OrderByDescending(g => g.Count()).Select(g => g.Key).FirstOrDefault();
        var meshIds = reachable.Where(s => s.ControlPlaneObject is not null).ToDictionary(s => s.Cluster.Name, s => MeshId(s));
        // A remote's workloads take the trust domain of its primary's istiod, whatever its own resource says.
        var trustDomains = reachable.Where(s => s.ControlPlaneObject is not null && !RemoteTopologyCheck.IsRemote(s)).ToDictionary(s => s.Cluster.Name, s => TrustDomain(s));

        foreach (var state in states)
        {
            var name = state.Cluster.Name;
            if (state.Unreachable is { } unreachable)
            {
                checks.Add(new(name, "reachable", MeshCheckStatus.Error, $"{unreachable.Message} {unreachable.RecommendedAction}"));
                continue;
            }

            checks.Add(RemoteTopologyCheck.TrustWithoutCA(state) ?? Trust(state, roots, commonRoot, now));
            if (CARotationCheck.For(state, reachable) is { } rotation)
            {
                checks.Add(rotation);
            }

            checks.Add(Network(state));
            checks.Add(RemoteTopologyCheck.IsRemote(state) ? RemoteTopologyCheck.ControlPlane(state, meshIds) : ControlPlane(state, meshIds, trustDomains));
            checks.Add(Gateway(state));
            if (RemoteTopologyCheck.IsRemote(state))
            {
                checks.AddRange(RemoteTopologyCheck.Remote(state, states));
                continue;
            }

            checks.AddRange(RemoteSecrets(state, states, now));
            if (state.ControlPlane is not null && (state.ControlPlane.Flavor == MeshFlavor.Ossm2 || state.MeshNetworks.Count > 0))
            {
                checks.Add(MeshNetworkCheck(state, reachable));
            }
        }

        return checks;
    }

    public static MeshStatusSummary Summarize(int clusters, IReadOnlyList<MeshStatusCheck> checks) =>
        new(clusters, checks.Count, checks.Count(c => c.Status == MeshCheckStatus.Warning), checks.Count(c => c.Status == MeshCheckStatus.Error));

    private static MeshStatusCheck Trust(ClusterState state, Dictionary<string, TrustRoots> roots, string? commonRoot, DateTime now)
    {
        var name = state.Cluster.Name;
        if (state.CaCerts is not { } cacerts || !cacerts.ContainsKey("ca-cert.pem") || !cacerts.ContainsKey("root-cert.pem"))
        {
            return new(name, "trust", MeshCheckStatus.Error, "No plug-in CA (secret cacerts with ca-cert.pem and root-cert.pem): run Install-MeshCACertificate.");
        }

        try
        {
            CAImportService.CheckPlugInCA(cacerts["ca-cert.pem"], cacerts.GetValueOrDefault("cert-chain.pem"), cacerts["root-cert.pem"], "secret cacerts");
        }
        catch (MeshException error)
        {
            return new(name, "trust", MeshCheckStatus.Error, $"{error.ErrorId}: {error.Message} {error.RecommendedAction}");
        }

        // As istiod judges it: a cluster's workloads are trusted by another when the root that issued them is in the
        // other's trust bundle (root-cert.pem, which holds two roots while one replaces the other), and both ways.
        var own = roots[name];
        if (roots.Where(r => r.Key != name).Any(r => !r.Value.All.Contains(own.Issuing) || !own.All.Contains(r.Value.Issuing)))
        {
            var other = own.Issuing == commonRoot ? roots.Values.First(r => r.Issuing != own.Issuing).Issuing : commonRoot!;
            return new(name, "trust", MeshCheckStatus.Error,
                $"Chains to a different root ({own.Issuing[..16]}) than the other clusters ({other[..16]}), and their trust bundles do not hold each other's: workloads across clusters will not trust each other. Reinstall from the common root: New-MeshIntermediateCA | Install-MeshCACertificate -Force.");
        }

        using var certificate = X509Certificate2.CreateFromPem(cacerts["ca-cert.pem"]);
        var notAfter = certificate.NotAfter.ToUniversalTime();
        if (notAfter <= now)
        {
            return new(name, "trust", MeshCheckStatus.Error, $"The intermediate CA expired {notAfter:u}: issue a new one from the root: Update-MeshCACertificate -Renew -RootCA <root>.");
        }

        return notAfter - now < ExpiryWarning
            ? new(name, "trust", MeshCheckStatus.Warning, $"The intermediate CA expires {notAfter:u}, within {ExpiryWarning.TotalDays:0} days: renew it under the same root: Update-MeshCACertificate -Renew -RootCA <root>.")
            : new(name, "trust", MeshCheckStatus.OK, own.All.Count > 1
                ? $"Intermediate valid until {notAfter:u}; root {own.Issuing[..16]} trusted by all clusters ({own.All.Count} roots in root-cert.pem: a root rotation)."
                : $"Intermediate valid until {notAfter:u}; root {own.Issuing[..16]} shared by all clusters.");
    }

    private static MeshStatusCheck Network(ClusterState state)
    {
        var name = state.Cluster.Name;
        if (!state.NamespaceExists)
        {
            return new(name, "network", MeshCheckStatus.Error, "The control-plane namespace does not exist: run Install-MeshCACertificate.");
        }

        return state.NamespaceNetwork == state.Cluster.Network
            ? new(name, "network", MeshCheckStatus.OK, $"Namespace labelled {MeshObjects.NetworkLabel}={state.Cluster.Network}.")
            : new(name, "network", MeshCheckStatus.Error,
                $"Namespace label {MeshObjects.NetworkLabel} is '{state.NamespaceNetwork}', the cluster's network is '{state.Cluster.Network}': run Install-MeshCACertificate (or fix -Network).");
    }

    private static MeshStatusCheck ControlPlane(ClusterState state, Dictionary<string, string?> meshIds, Dictionary<string, string> trustDomains)
    {
        var name = state.Cluster.Name;
        if (state.ControlPlane is not { } controlPlane || state.ControlPlaneObject is not { } obj)
        {
            return new(name, "control-plane", MeshCheckStatus.Error, state.ControlPlaneError?.Message + " " + state.ControlPlaneError?.RecommendedAction);
        }

        var (clusterName, network) = controlPlane.Flavor == MeshFlavor.Ossm2
            ? (Read(obj, "spec", "cluster", "name"), Read(obj, "spec", "cluster", "network"))
            : (Read(obj, "spec", "values", "global", "multiCluster", "clusterName"), Read(obj, "spec", "values", "global", "network"));
        var problems = new List<string>();
        if (clusterName != name)
        {
            problems.Add($"cluster name is '{clusterName}', not '{name}'");
        }

        if (network != state.Cluster.Network)
        {
            problems.Add($"network is '{network}', not '{state.Cluster.Network}'");
        }

        if (meshIds.Values.Distinct().Count() > 1)
        {
            problems.Add($"mesh ID '{meshIds[name]}' differs across clusters ({string.Join(", ", meshIds.Select(kv => $"{kv.Key}={kv.Value}"))})");
        }

        // istiod accepts a peer whose trust domain is its own or one of its aliases (meshConfig.trustDomainAliases).
        var accepted = new HashSet<string>(TrustDomainAliases(state).Append(trustDomains[name]), StringComparer.Ordinal);
        var foreign = trustDomains.Where(t => t.Key != name && !accepted.Contains(t.Value)).Select(t => $"{t.Key}={t.Value}").ToList();
        if (foreign.Count > 0)
        {
            problems.Add($"trust domain '{trustDomains[name]}' differs across clusters ({string.Join(", ", foreign)}) and is not aliased to it (trustDomainAliases): run Connect-MeshCluster with every cluster of the mesh, which lists the others' trust domains as aliases");
        }

        var what = $"{controlPlane.Flavor} {controlPlane.Kind.Kind} {controlPlane.Name}, mesh {meshIds[name]}";
        return problems.Count == 0
            ? new(name, "control-plane", MeshCheckStatus.OK, what + ".")
            : new(name, "control-plane", MeshCheckStatus.Error, $"{what}: {string.Join("; ", problems)}. Run Install-MeshControlPlane with the same -MeshId everywhere.");
    }

    private static MeshStatusCheck Gateway(ClusterState state) => state switch
    {
        { GatewayError: { } error } => new(state.Cluster.Name, "gateway", MeshCheckStatus.Error, $"{error.Message} {error.RecommendedAction}"),
        { Gateway: null } => new(state.Cluster.Name, "gateway", MeshCheckStatus.Warning, "The east-west gateway has no address yet: Wait-MeshGateway, or check the cloud's load balancer."),
        _ => new(state.Cluster.Name, "gateway", MeshCheckStatus.OK, $"{state.Gateway!.AddressType} {state.Gateway.Address}:{state.Gateway.Port}."),
    };

    private static IEnumerable<MeshStatusCheck> RemoteSecrets(ClusterState state, IReadOnlyList<ClusterState> all, DateTime now)
    {
        var name = state.Cluster.Name;
        var others = all.Where(s => s.Cluster.Name != name).Select(s => s.Cluster.Name).ToHashSet();
        foreach (var other in others.Order())
        {
            var secret = state.RemoteSecrets.FirstOrDefault(s => s.Source == other);
            yield return secret switch
            {
                null => new(name, "remote-secret", MeshCheckStatus.Error, $"No remote secret for cluster '{other}': this control plane cannot see its endpoints. Run Connect-MeshCluster."),
                { Works: false } => new(name, "remote-secret", MeshCheckStatus.Error, $"The remote secret for '{other}' does not work: {secret.Detail}. Run Update-MeshRemoteSecret (or Connect-MeshCluster)."),
                { ExpiresAt: { } expiry } when expiry - now < TokenExpiryWarning => new(name, "remote-secret", MeshCheckStatus.Warning,
                    $"The remote secret for '{other}' works, but its token expires {expiry:u}: run Update-MeshRemoteSecret before then."),
                _ => new(name, "remote-secret", MeshCheckStatus.OK, $"'{other}': {secret.Detail}."),
            };
        }

        foreach (var stray in state.RemoteSecrets.Where(s => !others.Contains(s.Source)))
        {
            yield return new(name, "remote-secret", MeshCheckStatus.Warning,
                $"A remote secret for '{stray.Source}', which is not among the clusters checked: left over from a cluster that left? Disconnect-MeshCluster removes it.");
        }
    }

    private static MeshStatusCheck MeshNetworkCheck(ClusterState state, IReadOnlyList<ClusterState> reachable)
    {
        var name = state.Cluster.Name;
        var unknown = reachable.Where(s => s.Cluster.Name != name && s.Cluster.Network != state.Cluster.Network && s.Gateway is null).Select(s => s.Cluster.Name).ToList();
        if (unknown.Count > 0)
        {
            return new(name, "mesh-networks", MeshCheckStatus.Warning, $"Cannot verify: the gateway address of {string.Join(", ", unknown)} is unknown.");
        }

        var expected = MeshNetworks.For(state.Cluster, reachable.Where(s => s.Gateway is not null).Select(s => s.Gateway!));
        var same = JsonNode.DeepEquals(Canonical(expected), Canonical(state.MeshNetworks));
        return same
            ? new(name, "mesh-networks", MeshCheckStatus.OK, $"Lists {string.Join(", ", expected.Keys.Order())} with their gateways' current addresses.")
            : new(name, "mesh-networks", MeshCheckStatus.Error,
                $"Mesh networks drifted from the gateways' current addresses: have {Describe(state.MeshNetworks)}, need {Describe(expected)}. Run Connect-MeshCluster.");
    }

    private static JsonNode? Canonical(Dictionary<string, Resources.MeshNetwork> networks) =>
        JsonNode.Parse(KubernetesJson.Serialize(new SortedDictionary<string, Resources.MeshNetwork>(networks, StringComparer.Ordinal)));

    private static string Describe(Dictionary<string, Resources.MeshNetwork> networks) => networks.Count == 0 ? "none" :
        string.Join("; ", networks.OrderBy(n => n.Key, StringComparer.Ordinal).Select(n => $"{n.Key} via {string.Join(",", n.Value.Gateways.Select(g => $"{g.Address}:{g.Port}"))}"));

    /// <summary>A cluster's trust bundle (every root in root-cert.pem) and the root its own intermediate chains to.</summary>
    private sealed record TrustRoots(string Issuing, HashSet<string> All)
    {
        public static TrustRoots Of(IReadOnlyDictionary<string, string> cacerts)
        {
            try
            {
                var roots = PemFiles.ParseCertificates(cacerts["root-cert.pem"], "root-cert.pem");
                var all = roots.Select(Fingerprint).ToHashSet(StringComparer.Ordinal);
                var top = cacerts.TryGetValue("cert-chain.pem", out var chain) ? PemFiles.ParseCertificates(chain, "cert-chain.pem")[^1]
                    : cacerts.TryGetValue("ca-cert.pem", out var ca) ? PemFiles.ParseCertificates(ca, "ca-cert.pem")[0] : roots[0];
                var issuing = roots.FirstOrDefault(r => r.RawData.AsSpan().SequenceEqual(top.RawData) || PkiFormat.IsSignedBy(top, r)) ?? roots[0];
                return new TrustRoots(Fingerprint(issuing), all);
            }
            catch (Exception ex) when (ex is CryptographicException or MeshException)
            {
                return new TrustRoots("unreadable", new HashSet<string>(StringComparer.Ordinal) { "unreadable" });
            }
        }

        private static string Fingerprint(X509Certificate2 certificate) => Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256));
    }

    internal static string? MeshId(ClusterState state) => state.ControlPlane!.Flavor == MeshFlavor.Ossm2
        ? Read(state.ControlPlaneObject!.Value, "spec", "techPreview", "global", "meshID")
        : Read(state.ControlPlaneObject!.Value, "spec", "values", "global", "meshID");

    private static string TrustDomain(ClusterState state) => (state.ControlPlane!.Flavor == MeshFlavor.Ossm2
        ? Read(state.ControlPlaneObject!.Value, "spec", "security", "trust", "domain")
        : Read(state.ControlPlaneObject!.Value, "spec", "values", "meshConfig", "trustDomain")) ?? "cluster.local";

    private static IEnumerable<string> TrustDomainAliases(ClusterState state)
    {
        var element = state.ControlPlaneObject!.Value;
        var path = state.ControlPlane!.Flavor == MeshFlavor.Ossm2
            ? new[] { "spec", "security", "trust", "additionalDomains" }
            : new[] { "spec", "values", "meshConfig", "trustDomainAliases" };
        foreach (var step in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(step, out element))
            {
                return Array.Empty<string>();
            }
        }

        return element.ValueKind == JsonValueKind.Array
            ? element.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToList()
            : Array.Empty<string>();
    }

    internal static string? Read(JsonElement element, params string[] path)
    {
        foreach (var step in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(step, out element))
            {
                return null;
            }
        }

        return element.ValueKind == JsonValueKind.String ? element.GetString() : element.ToString();
    }
}
