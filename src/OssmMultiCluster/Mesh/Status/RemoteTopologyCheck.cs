using System.Text.Json;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh.Status;

/// <summary>
/// Get-MeshStatus on a primary-remote mesh. A remote runs no istiod: no plug-in CA, remote secrets or mesh networks are
/// expected on it, and its trust domain is its primary's. Instead its 'primary' check follows the chain a remote
/// depends on: its namespace names the primary, the primary is checked too, runs an external istiod exposed through
/// its east-west gateway, that gateway's current address is the remote's pilot address, and the primary holds a
/// working remote secret for the remote.
/// </summary>
internal static class RemoteTopologyCheck
{
    public const string Name = "primary";

    public static bool IsRemote(ClusterState state) => state.ControlPlane?.IsRemote == true;

    /// <summary>Whether a control plane as read is a primary's istiod serving remotes (values.global.externalIstiod).</summary>
    public static bool ServesRemotes(JsonElement controlPlane) =>
        controlPlane.TryGetProperty("spec", out var spec) && spec.TryGetProperty("values", out var values) && values.TryGetProperty("global", out var global)
        && global.TryGetProperty("externalIstiod", out var external) && external.ValueKind == JsonValueKind.True;

    /// <summary>A remote without a plug-in CA is fine: its workloads get certificates from the primary's istiod. Null: judge trust as usual.</summary>
    public static MeshStatusCheck? TrustWithoutCA(ClusterState state) => IsRemote(state) && state.CaCerts is null
        ? new(state.Cluster.Name, "trust", MeshCheckStatus.OK, $"No plug-in CA, none needed: a remote's workloads get certificates from its primary's istiod{Of(state)}.")
        : null;

    /// <summary>The control-plane check of a remote: its name, network and mesh ID (no trust domain: the primary's applies).</summary>
    public static MeshStatusCheck ControlPlane(ClusterState state, IReadOnlyDictionary<string, string?> meshIds)
    {
        var name = state.Cluster.Name;
        var obj = state.ControlPlaneObject!.Value;
        var problems = new List<string>();
        if (StatusChecker.Read(obj, "spec", "values", "global", "multiCluster", "clusterName") is var clusterName && clusterName != name)
        {
            problems.Add($"cluster name is '{clusterName}', not '{name}'");
        }

        if (StatusChecker.Read(obj, "spec", "values", "global", "network") is var network && network != state.Cluster.Network)
        {
            problems.Add($"network is '{network}', not '{state.Cluster.Network}'");
        }

        if (meshIds.Values.Distinct().Count() > 1)
        {
            problems.Add($"mesh ID '{meshIds[name]}' differs across clusters ({string.Join(", ", meshIds.Select(kv => $"{kv.Key}={kv.Value}"))})");
        }

        var what = $"{state.ControlPlane!.Flavor} {state.ControlPlane.Kind.Kind} {state.ControlPlane.Name} (remote profile, no istiod{Of(state)}), mesh {meshIds[name]}";
        return problems.Count == 0
            ? new(name, "control-plane", MeshCheckStatus.OK, what + ".")
            : new(name, "control-plane", MeshCheckStatus.Error, $"{what}: {string.Join("; ", problems)}. Run Install-MeshControlPlane -Remote -Primary <primary> with the primary's -MeshId.");
    }

    /// <summary>A remote's own checks: the chain to its primary, and no remote secrets of its own.</summary>
    public static IEnumerable<MeshStatusCheck> Remote(ClusterState state, IReadOnlyList<ClusterState> all)
    {
        yield return Primary(state, all);
        var name = state.Cluster.Name;
        if (state.RemoteSecrets.Count > 0)
        {
            yield return new(name, "remote-secret", MeshCheckStatus.Warning,
                $"Holds remote secrets for {string.Join(", ", state.RemoteSecrets.Select(s => $"'{s.Source}'").Order())}, which a remote does not read (it runs no istiod): " +
                $"left from before it became a remote? Delete them: kubectl -n {state.ControlPlane!.Namespace} delete secret -l {Mesh.RemoteSecrets.MultiClusterLabel}=true.");
        }
    }

    private static MeshStatusCheck Primary(ClusterState state, IReadOnlyList<ClusterState> all)
    {
        var name = state.Cluster.Name;
        var ns = state.ControlPlane!.Namespace;
        if (state.ControlPlaneClusters is not { Length: > 0 } primaryName)
        {
            return new(name, Name, MeshCheckStatus.Error,
                $"Namespace {ns} does not name the primary (annotation {RemoteControlPlane.ControlPlaneClustersAnnotation}): run Install-MeshControlPlane -Remote -Primary <primary>.");
        }

        var primary = all.FirstOrDefault(s => s.Cluster.Name == primaryName);
        if (primary is null)
        {
            return new(name, Name, MeshCheckStatus.Warning, $"Its primary '{primaryName}' is not among the clusters checked: pass it to Get-MeshStatus too.");
        }

        if (primary.Unreachable is not null || primary.ControlPlaneObject is not { } primaryObject)
        {
            return new(name, Name, MeshCheckStatus.Error,
                $"Its primary '{primaryName}' {(primary.Unreachable is null ? "has no control plane" : "cannot be reached")}: the remote's workloads get no configuration and no certificates (see '{primaryName}''s checks).");
        }

        if (primary.ControlPlane!.Flavor != MeshFlavor.Ossm3 || IsRemote(primary))
        {
            return new(name, Name, MeshCheckStatus.Error,
                $"Its primary '{primaryName}' runs no istiod a remote can use ({(IsRemote(primary) ? "it is a remote itself" : "OSSM 2.6 cannot serve remotes")}): run Install-MeshControlPlane -Remote -Primary with an OSSM 3 primary.");
        }

        var problems = new List<string>();
        if (!ServesRemotes(primaryObject))
        {
            problems.Add($"the istiod of '{primaryName}' does not serve remotes (values.global.externalIstiod): run Install-MeshControlPlane -ExternalIstiod on it");
        }
        else if (!primary.IstiodExposed)
        {
            problems.Add($"'{primaryName}' does not expose istiod through its east-west gateway (no Gateway {ns}/{RemoteControlPlane.IstiodGatewayName}): run Install-MeshEastWestGateway -ExposeIstiod on it");
        }

        var pilot = RemoteControlPlane.PilotAddress(state.ControlPlaneObject!.Value);
        if (primary.Gateway is not { } gateway)
        {
            problems.Add($"the east-west gateway of '{primaryName}' has no address, so the pilot address {pilot} cannot be verified: Wait-MeshGateway on it");
        }
        else if (pilot != gateway.Address)
        {
            problems.Add($"remotePilotAddress is '{pilot}', but the east-west gateway of '{primaryName}' is at {gateway.Address}: run Install-MeshControlPlane -Remote -Primary <{primaryName}> again");
        }

        var secret = primary.RemoteSecrets.FirstOrDefault(s => s.Source == name);
        if (secret is null)
        {
            problems.Add($"'{primaryName}' holds no remote secret for it, so its istiod cannot see this cluster: run Connect-MeshCluster with both");
        }
        else if (!secret.Works)
        {
            problems.Add($"the remote secret for it on '{primaryName}' does not work ({secret.Detail}): run Update-MeshRemoteSecret (or Connect-MeshCluster)");
        }

        return problems.Count == 0
            ? new(name, Name, MeshCheckStatus.OK, $"Remote of '{primaryName}': istiod at {pilot} (its east-west gateway's address), exposed and serving remotes; '{primaryName}' reads this cluster with a working remote secret.")
            : new(name, Name, MeshCheckStatus.Error, $"Remote of '{primaryName}': {string.Join("; ", problems)}.");
    }

    private static string Of(ClusterState state) => state.ControlPlaneClusters is { Length: > 0 } primary ? $", '{primary}'" : string.Empty;
}
