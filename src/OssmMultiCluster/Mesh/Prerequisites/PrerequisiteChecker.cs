using System.Text.RegularExpressions;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh.Prerequisites;

/// <summary>
/// Turns what was read from each cluster into Test-MeshPrerequisite's checks, each Pass, Warning or Fail with the fix:
/// reachability, Kubernetes version, clock, identity across the clusters, the operator's CRDs, the rights the steps
/// use, load balancers and the NodePort fallback.
/// </summary>
internal static partial class PrerequisiteChecker
{
    /// <summary>Below this the module's server-side apply and managedFields handling do not work.</summary>
    public static readonly Version MinimumKubernetes = new(1, 18);

    /// <summary>Skew within this is the Date header's one-second resolution and the request's time: no skew at all.</summary>
    public static readonly TimeSpan SkewTolerance = TimeSpan.FromSeconds(30);

    /// <summary>Skew beyond this breaks certificates and tokens freshly issued by another clock.</summary>
    public static readonly TimeSpan SkewLimit = TimeSpan.FromMinutes(5);

    public static readonly TimeSpan ExpiryWarning = TimeSpan.FromDays(30);

    public static IReadOnlyList<MeshPrerequisiteCheck> Check(IReadOnlyList<ClusterFacts> facts, PrerequisiteOptions options, IReadOnlyList<MeshCertificateAuthority> authorities)
    {
        var checks = new List<MeshPrerequisiteCheck>();
        foreach (var f in facts)
        {
            var name = f.Cluster.Name;
            if (f.Unreachable is { } unreachable)
            {
                checks.Add(new(name, "api", MeshPrerequisiteStatus.Fail, unreachable.Message, unreachable.RecommendedAction));
                checks.Add(Identity(f, facts));
                continue;
            }

            checks.Add(new(name, "api", MeshPrerequisiteStatus.Pass, $"{f.Cluster.Server} answers as {f.Cluster.User ?? "the kubeconfig's user"}."));
            var flavor = options.Flavor ?? FlavorFound(f);
            checks.Add(KubernetesVersion(name, f.GitVersion, flavor));
            checks.Add(Clock(name, f.ServerTime, f.LocalTime, authorities.Where(a => a.Kind == MeshCAKind.Root || a.Cluster == name).ToList()));
            checks.Add(Identity(f, facts));
            checks.Add(Operator(name, f.Crds, f.CrdError, options.Flavor));
            checks.Add(Permissions(name, f, options.Namespace));
            checks.Add(LoadBalancer(name, f, options));
            checks.Add(NodePort(name, f));
        }

        return checks;
    }

    public static MeshPrerequisiteSummary Summarize(int clusters, IReadOnlyList<MeshPrerequisiteCheck> checks) =>
        new(clusters, checks.Count, checks.Count(c => c.Status == MeshPrerequisiteStatus.Warning), checks.Count(c => c.Status == MeshPrerequisiteStatus.Fail));

    /// <summary>The flavour a cluster's CRDs show: the one whose control-plane CRD it has; null for none or both.</summary>
    public static MeshFlavor? FlavorFound(ClusterFacts facts)
    {
        var ossm2 = facts.Crds.GetValueOrDefault(Requirements.SmcpCrd) is not null;
        var ossm3 = facts.Crds.GetValueOrDefault(Requirements.IstioCrd) is not null;
        return ossm2 == ossm3 ? null : ossm2 ? MeshFlavor.Ossm2 : MeshFlavor.Ossm3;
    }

    public static MeshPrerequisiteCheck KubernetesVersion(string cluster, string? gitVersion, MeshFlavor? flavor)
    {
        var match = gitVersion is null ? null : VersionPattern().Match(gitVersion);
        if (match is null || !match.Success)
        {
            return new(cluster, "version", MeshPrerequisiteStatus.Warning, $"The API server reports version '{gitVersion}', which is not major.minor.",
                "Check the cluster's version with 'oc version' or 'kubectl version'.");
        }

        var version = new Version(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
        if (version < MinimumKubernetes)
        {
            return new(cluster, "version", MeshPrerequisiteStatus.Fail, $"Kubernetes {gitVersion} is older than {MinimumKubernetes}, which server-side apply needs.",
                "Upgrade the cluster.");
        }

        var (supported, product) = flavor == MeshFlavor.Ossm3 ? (new Version(1, 27), "OpenShift Service Mesh 3 (OpenShift 4.14)") : (new Version(1, 25), "OpenShift Service Mesh 2.6 (OpenShift 4.12)");
        return version < supported
            ? new(cluster, "version", MeshPrerequisiteStatus.Warning, $"Kubernetes {gitVersion}: older than {product} supports (Kubernetes {supported}).",
                "Upgrade the cluster before installing the operator; the module's own steps work on it.")
            : new(cluster, "version", MeshPrerequisiteStatus.Pass, $"Kubernetes {gitVersion}.");
    }

    /// <summary>
    /// The API server's clock against this machine's, and against the validity of the CAs to be installed: a cluster
    /// whose clock is before a CA's notBefore rejects every certificate it signs.
    /// </summary>
    public static MeshPrerequisiteCheck Clock(string cluster, DateTimeOffset? serverTime, DateTimeOffset localTime, IReadOnlyList<MeshCertificateAuthority> authorities)
    {
        if (serverTime is not { } server)
        {
            return new(cluster, "clock", MeshPrerequisiteStatus.Warning, "The API server sent no Date header, so its clock could not be compared.",
                "Check the nodes' time synchronisation (chrony) by hand.");
        }

        var skew = server - localTime;
        foreach (var ca in authorities)
        {
            if (server < ca.NotBefore)
            {
                return new(cluster, "clock", MeshPrerequisiteStatus.Fail,
                    $"The cluster's clock ({server:u}) is before the validity of CA '{ca.Subject}' starts ({ca.NotBefore:u}): istiod would reject its certificates.",
                    "Fix the cluster's time synchronisation, or issue the CA again once the clocks agree.");
            }

            if (server > ca.NotAfter)
            {
                return new(cluster, "clock", MeshPrerequisiteStatus.Fail, $"CA '{ca.Subject}' expired at {ca.NotAfter:u} by the cluster's clock.",
                    "Issue a new CA (New-MeshRootCA, New-MeshIntermediateCA).");
            }
        }

        var expiring = authorities.Where(ca => ca.NotAfter - server < ExpiryWarning).OrderBy(ca => ca.NotAfter).FirstOrDefault();
        if (Math.Abs(skew.TotalSeconds) > SkewLimit.TotalSeconds)
        {
            return new(cluster, "clock", MeshPrerequisiteStatus.Fail, $"The cluster's clock is {Skew(skew)} this machine's.",
                "Fix time synchronisation (NTP/chrony) on the nodes or on this machine: certificates issued here would not be valid there yet, or already expired.");
        }

        if (Math.Abs(skew.TotalSeconds) > SkewTolerance.TotalSeconds)
        {
            return new(cluster, "clock", MeshPrerequisiteStatus.Warning, $"The cluster's clock is {Skew(skew)} this machine's.",
                "Check time synchronisation (NTP/chrony) on the nodes and on this machine.");
        }

        if (expiring is not null)
        {
            return new(cluster, "clock", MeshPrerequisiteStatus.Warning, $"Clocks agree, but CA '{expiring.Subject}' expires at {expiring.NotAfter:u}, in less than {ExpiryWarning.TotalDays:0} days.",
                "Issue a CA with a longer validity (-ValidityDays) before installing.");
        }

        return new(cluster, "clock", MeshPrerequisiteStatus.Pass,
            authorities.Count == 0 ? $"Within {SkewTolerance.TotalSeconds:0} s of this machine's." : $"Within {SkewTolerance.TotalSeconds:0} s of this machine's; within the validity of {authorities.Count} CA(s).");
    }

    private static string Skew(TimeSpan skew) => $"{Math.Abs(skew.TotalSeconds):0} s {(skew > TimeSpan.Zero ? "ahead of" : "behind")}";

    /// <summary>Names, networks and API servers across the clusters: a duplicate name or server is two clusters the mesh cannot tell apart.</summary>
    public static MeshPrerequisiteCheck Identity(ClusterFacts facts, IReadOnlyList<ClusterFacts> all)
    {
        var cluster = facts.Cluster;
        var sameName = all.Count(f => f.Cluster.Name == cluster.Name);
        if (sameName > 1)
        {
            return new(cluster.Name, "identity", MeshPrerequisiteStatus.Fail, $"{sameName} clusters are named '{cluster.Name}': remote secrets and mesh networks are keyed by name.",
                "Give each cluster its own name (Get-MeshCluster -Name).");
        }

        var sameServer = all.Where(f => f.Cluster != cluster && SameServer(f.Cluster.Server, cluster.Server)).Select(f => f.Cluster.Name).ToList();
        if (sameServer.Count > 0)
        {
            return new(cluster.Name, "identity", MeshPrerequisiteStatus.Fail,
                $"Cluster '{cluster.Name}' and {string.Join(", ", sameServer.Select(n => $"'{n}'"))} are the same API server ({cluster.Server}).",
                "Pass each cluster once: check the kubeconfigs' contexts.");
        }

        var sameNetwork = all.Where(f => f.Cluster != cluster && f.Cluster.Network == cluster.Network).Select(f => f.Cluster.Name).ToList();
        return sameNetwork.Count > 0
            ? new(cluster.Name, "identity", MeshPrerequisiteStatus.Warning,
                $"Cluster '{cluster.Name}' shares network '{cluster.Network}' with {string.Join(", ", sameNetwork.Select(n => $"'{n}'"))}: the module sets up a multi-network mesh, where each cluster has a network of its own.",
                "Give each cluster its own network (Get-MeshCluster -Network), unless their pods really reach each other directly.")
            : new(cluster.Name, "identity", MeshPrerequisiteStatus.Pass, $"Name '{cluster.Name}' and network '{cluster.Network}' are unique.");
    }

    private static bool SameServer(string a, string b) => string.Equals(a.TrimEnd('/'), b.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);

    /// <summary>The flavour's CRDs and the versions they serve; without -Flavor, the flavour the CRDs show.</summary>
    public static MeshPrerequisiteCheck Operator(string cluster, IReadOnlyDictionary<string, IReadOnlyList<string>?> crds, string? error, MeshFlavor? asked)
    {
        if (error is not null)
        {
            return new(cluster, "operator", MeshPrerequisiteStatus.Warning, $"The operator's CRDs could not be read: {error}", "Check them with 'kubectl get crd'.");
        }

        var ossm2 = crds.GetValueOrDefault(Requirements.SmcpCrd) is not null;
        var ossm3 = crds.GetValueOrDefault(Requirements.IstioCrd) is not null;
        if (asked is null && !ossm2 && !ossm3)
        {
            return new(cluster, "operator", MeshPrerequisiteStatus.Fail, "Neither OpenShift Service Mesh operator is installed (no ServiceMeshControlPlane or Istio CRD).",
                $"Install {Mesh.ControlPlane.Ossm2Operator} or {Mesh.ControlPlane.Ossm3Operator} from OperatorHub, then run this again.");
        }

        if (asked is null && ossm2 && ossm3)
        {
            return new(cluster, "operator", MeshPrerequisiteStatus.Warning, "Both operators' CRDs are installed (ServiceMeshControlPlane and Istio).",
                "Say which mesh to install with -Flavor Ossm2 or -Flavor Ossm3, here and for Install-MeshControlPlane.");
        }

        var flavor = asked ?? (ossm2 ? MeshFlavor.Ossm2 : MeshFlavor.Ossm3);
        var install = flavor == MeshFlavor.Ossm2 ? Mesh.ControlPlane.Ossm2Operator : Mesh.ControlPlane.Ossm3Operator;
        var served = new List<string>();
        var missing = new List<string>();
        foreach (var crd in Requirements.Crds(flavor))
        {
            var versions = crds.GetValueOrDefault(crd.Name);
            if (versions is null)
            {
                missing.Add($"{crd.Kind} ({crd.Name}) is not installed");
            }
            else if (!versions.Contains(crd.Version, StringComparer.Ordinal))
            {
                missing.Add($"{crd.Kind} ({crd.Name}) serves {string.Join(", ", versions)} but not {crd.Version}");
            }
            else
            {
                served.Add($"{crd.Kind} {string.Join(", ", versions)}");
            }
        }

        var how = asked is null ? "found" : "asked";
        return missing.Count > 0
            ? new(cluster, "operator", MeshPrerequisiteStatus.Fail, $"{flavor} ({how}): {string.Join("; ", missing)}.",
                $"Install or upgrade {install} (OperatorHub), wait for it to be ready, then run this again.")
            : new(cluster, "operator", MeshPrerequisiteStatus.Pass, $"{flavor} ({how}): {string.Join("; ", served)}.");
    }

    public static MeshPrerequisiteCheck Permissions(string cluster, ClusterFacts facts, string ns)
    {
        if (facts.PermissionError is { } error)
        {
            return new(cluster, "permissions", MeshPrerequisiteStatus.Warning, $"The user's rights could not be reviewed (SelfSubjectAccessReview): {error}",
                "Check them with 'kubectl auth can-i --list'.");
        }

        if (facts.Denied.Count == 0)
        {
            return new(cluster, "permissions", MeshPrerequisiteStatus.Pass, $"All {facts.PermissionsChecked} rights the steps use are granted.");
        }

        // One entry per resource: "get, patch secrets in istio-system (Install-MeshCACertificate, Connect-MeshCluster)".
        var missing = facts.Denied.GroupBy(d => d with { Verb = string.Empty, Step = string.Empty })
            .Select(g => $"{string.Join(", ", g.Select(d => d.Verb))}{g.Key.Describe(ns)} ({string.Join(", ", g.SelectMany(d => d.Step.Split(", ")).Distinct(StringComparer.Ordinal))})");
        return new(cluster, "permissions", MeshPrerequisiteStatus.Fail,
            $"{facts.Denied.Count} of {facts.PermissionsChecked} rights the steps use are missing: {string.Join("; ", missing)}.",
            $"Have a cluster admin grant them to {facts.Cluster.User ?? "the kubeconfig's user"} (cluster-admin has them all), or use a kubeconfig that has them.");
    }

    public static MeshPrerequisiteCheck LoadBalancer(string cluster, ClusterFacts facts, PrerequisiteOptions options)
    {
        const string NodePortFix = "Install the gateway with Install-MeshEastWestGateway -ServiceType NodePort, or install a load balancer (MetalLB on bare metal).";
        if (facts.Probe is { } probe)
        {
            if (probe.Address is { } address)
            {
                return new(cluster, "load-balancer", probe.Error is null ? MeshPrerequisiteStatus.Pass : MeshPrerequisiteStatus.Warning,
                    $"A throwaway LoadBalancer Service got address {address} in {probe.Waited.TotalSeconds:0.0} s{(probe.Error is null ? string.Empty : "; " + probe.Error)}.",
                    probe.Error is null ? null : "Delete the probe Service by hand.");
            }

            return probe.Error is not null
                ? new(cluster, "load-balancer", MeshPrerequisiteStatus.Warning, $"The load-balancer probe failed: {probe.Error}.", "Check the rights to create Services in " + options.ProbeNamespace + ", or probe without them.")
                : new(cluster, "load-balancer", MeshPrerequisiteStatus.Warning,
                    $"A throwaway LoadBalancer Service got no address within {options.ProbeTimeout.TotalSeconds:0} s: the cluster seems to have no load balancer.", NodePortFix);
        }

        if (facts.LoadBalancerError is { } error)
        {
            return new(cluster, "load-balancer", MeshPrerequisiteStatus.Warning, $"LoadBalancer Services could not be listed: {error}",
                "Run with -ProbeLoadBalancer to find out whether such a Service gets an address.");
        }

        var addressed = facts.LoadBalancers.Where(s => s.address is not null).ToList();
        if (addressed.Count > 0)
        {
            return new(cluster, "load-balancer", MeshPrerequisiteStatus.Pass,
                $"{addressed.Count} LoadBalancer Service(s) have an address (e.g. {addressed[0].service}: {addressed[0].address}).");
        }

        return facts.LoadBalancers.Count > 0
            ? new(cluster, "load-balancer", MeshPrerequisiteStatus.Warning,
                $"{facts.LoadBalancers.Count} LoadBalancer Service(s) have no address (e.g. {facts.LoadBalancers[0].service}): the cluster may have no load balancer.", NodePortFix)
            : new(cluster, "load-balancer", MeshPrerequisiteStatus.Warning, "No LoadBalancer Service on the cluster shows whether one gets an address.",
                "Run with -ProbeLoadBalancer (it creates a throwaway Service and deletes it), or know your platform (AWS, Azure, GCP have one).");
    }

    public static MeshPrerequisiteCheck NodePort(string cluster, ClusterFacts facts)
    {
        if (facts.NodeAddresses is not { } addresses)
        {
            return new(cluster, "node-port", MeshPrerequisiteStatus.Warning, $"Nodes could not be listed: {facts.NodeError}",
                "Wait-MeshGateway needs to list nodes for a NodePort gateway: grant 'list nodes', or use a LoadBalancer.");
        }

        var external = addresses.Where(a => a.type == "ExternalIP").Select(a => a.address).ToList();
        if (external.Count > 0)
        {
            return new(cluster, "node-port", MeshPrerequisiteStatus.Pass, $"A NodePort gateway would be reached at a node's external address (e.g. {external[0]}).");
        }

        var internalAddresses = addresses.Where(a => a.type == "InternalIP").Select(a => a.address).ToList();
        return internalAddresses.Count > 0
            ? new(cluster, "node-port", MeshPrerequisiteStatus.Warning,
                $"Nodes have only internal addresses (e.g. {internalAddresses[0]}): a NodePort gateway is reachable only from networks that route to them.",
                "Prefer a LoadBalancer gateway, or make sure the other clusters reach these addresses.")
            : new(cluster, "node-port", MeshPrerequisiteStatus.Warning, "The cluster has no nodes with an address: a NodePort gateway would have nowhere to be reached.",
                "Use a LoadBalancer gateway, or add nodes.");
    }

    [GeneratedRegex(@"^v?(\d+)\.(\d+)")]
    private static partial Regex VersionPattern();
}
