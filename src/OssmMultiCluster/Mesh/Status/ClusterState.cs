using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh.Resources;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh.Status;

/// <summary>A remote secret found on a cluster, and whether its kubeconfig still opens the source cluster.</summary>
internal sealed record RemoteSecretState(string Source, bool Works, string Detail, DateTime? ExpiresAt);

/// <summary>
/// What Get-MeshStatus reads from one cluster, gathered in one pass so the checks (per cluster and across clusters)
/// work on a consistent picture. A cluster that cannot be read at all is reported, not thrown.
/// </summary>
internal sealed class ClusterState
{
    public required MeshCluster Cluster { get; init; }
    public MeshException? Unreachable { get; init; }
    public Dictionary<string, string>? CaCerts { get; init; }
    public string? NamespaceNetwork { get; init; }
    public bool NamespaceExists { get; init; }
    public ControlPlaneRef? ControlPlane { get; init; }
    public MeshException? ControlPlaneError { get; init; }
    public JsonElement? ControlPlaneObject { get; init; }
    public MeshGatewayAddress? Gateway { get; init; }
    public MeshException? GatewayError { get; init; }
    public IReadOnlyList<RemoteSecretState> RemoteSecrets { get; init; } = Array.Empty<RemoteSecretState>();
    public Dictionary<string, MeshNetwork> MeshNetworks { get; init; } = new();

    /// <summary>The control-plane namespace's topology.istio.io/controlPlaneClusters annotation: a remote's primary.</summary>
    public string? ControlPlaneClusters { get; init; }

    /// <summary>Whether istiod is exposed through the east-west gateway (its Gateway exists); read only for a primary serving remotes.</summary>
    public bool IstiodExposed { get; init; }

    public static async Task<ClusterState> ReadAsync(MeshCluster cluster, string ns, string gatewayName, CancellationToken cancellation)
    {
        try
        {
            await ClusterProbe.PingAsync(cluster, cancellation).ConfigureAwait(false);
        }
        catch (MeshException unreachable)
        {
            return new ClusterState { Cluster = cluster, Unreachable = unreachable };
        }

        var reader = new ResourceApplier(cluster);
        var secret = await reader.ReadAsync((c, ct) => c.CoreV1.ReadNamespacedSecretAsync(CACertificateInstaller.SecretName, ns, cancellationToken: ct), "reading cacerts", cancellation).ConfigureAwait(false);
        var nsObject = await reader.ReadAsync((c, ct) => c.CoreV1.ReadNamespaceAsync(ns, cancellationToken: ct), $"reading namespace {ns}", cancellation).ConfigureAwait(false);

        ControlPlaneRef? controlPlane = null;
        MeshException? controlPlaneError = null;
        JsonElement? controlPlaneObject = null;
        var networks = new Dictionary<string, MeshNetwork>();
        try
        {
            controlPlane = await Mesh.MeshNetworks.LocateAsync(cluster, ns, cancellation).ConfigureAwait(false);
            var obj = await Mesh.MeshNetworks.ReadObjectAsync(cluster, controlPlane, cancellation).ConfigureAwait(false);
            controlPlaneObject = obj;
            networks = Mesh.MeshNetworks.Of(controlPlane, obj);
        }
        catch (MeshException error)
        {
            controlPlaneError = error;
        }

        MeshGatewayAddress? gateway = null;
        MeshException? gatewayError = null;
        try
        {
            gateway = await GatewayAddresses.ReadAsync(cluster, ns, gatewayName, cancellation).ConfigureAwait(false);
        }
        catch (MeshException error)
        {
            gatewayError = error;
        }

        var istiodExposed = controlPlaneObject is { } cp && RemoteTopologyCheck.ServesRemotes(cp)
            && await reader.ReadAsync(KubeKind.Of<Gateway>(), ns,
                RemoteControlPlane.IstiodGatewayName, $"reading gateway {ns}/{RemoteControlPlane.IstiodGatewayName}", cancellation).ConfigureAwait(false) is not null;

        var remoteSecrets = await reader.ReadAsync((c, ct) => c.CoreV1.ListNamespacedSecretAsync(ns, labelSelector: $"{Mesh.RemoteSecrets.MultiClusterLabel}=true", cancellationToken: ct),
            "listing remote secrets", cancellation).ConfigureAwait(false);
        var states = await Task.WhenAll((remoteSecrets?.Items ?? new List<V1Secret>()).Select(s => TestRemoteSecretAsync(s, cancellation))).ConfigureAwait(false);

        return new ClusterState
        {
            Cluster = cluster,
            CaCerts = secret?.Data?.ToDictionary(kv => kv.Key, kv => Encoding.ASCII.GetString(kv.Value)),
            NamespaceExists = nsObject is not null,
            NamespaceNetwork = nsObject?.Metadata.Labels?.TryGetValue(MeshObjects.NetworkLabel, out var network) == true ? network : null,
            ControlPlane = controlPlane,
            ControlPlaneError = controlPlaneError,
            ControlPlaneObject = controlPlaneObject,
            Gateway = gateway,
            GatewayError = gatewayError,
            RemoteSecrets = states,
            MeshNetworks = networks,
            ControlPlaneClusters = nsObject?.Metadata.Annotations?.TryGetValue(RemoteControlPlane.ControlPlaneClustersAnnotation, out var primary) == true ? primary : null,
            IstiodExposed = istiodExposed,
        };
    }

    /// <summary>Opens the source cluster with the kubeconfig in a remote secret, as istiod would, and lists services.</summary>
    private static async Task<RemoteSecretState> TestRemoteSecretAsync(V1Secret secret, CancellationToken cancellation)
    {
        var source = secret.Metadata.Annotations?.TryGetValue(Mesh.RemoteSecrets.ClusterAnnotation, out var name) == true ? name
            : secret.Data?.Keys.FirstOrDefault() ?? secret.Metadata.Name;
        if (secret.Data is null || !secret.Data.TryGetValue(source, out var kubeconfig))
        {
            return new RemoteSecretState(source, false, $"secret {secret.Metadata.Name} has no key '{source}' holding a kubeconfig", null);
        }

        KubernetesClientConfiguration configuration;
        try
        {
            using var stream = new MemoryStream(kubeconfig);
            var config = KubernetesClientConfiguration.LoadKubeConfig(stream);
            if (config.Users?.FirstOrDefault(u => u.UserCredentials?.ExternalExecution is not null || u.UserCredentials?.AuthProvider is not null) is { } runs)
            {
                // A command read from a cluster's secret is never run here (istiod refuses them too, by default).
                return new RemoteSecretState(source, false,
                    $"the kubeconfig in secret {secret.Metadata.Name} gets its credentials by running a command (user '{runs.Name}': exec or auth-provider); " +
                    "Get-MeshStatus does not run commands found in a cluster, and istiod refuses them by default: use a token (New-MeshRemoteSecret)", null);
            }

            configuration = KubernetesClientConfiguration.BuildConfigFromConfigObject(config);
        }
        catch (Exception ex) when (ex is k8s.Exceptions.KubeConfigException or YamlDotNet.Core.YamlException or ArgumentException or FormatException)
        {
            return new RemoteSecretState(source, false, $"the kubeconfig in secret {secret.Metadata.Name} cannot be read", null);
        }

        var expires = TokenExpiry(configuration.AccessToken);
        configuration.HttpClientTimeout = TimeSpan.FromSeconds(15);
        try
        {
            using var client = VerifiedClient.Create(configuration, new ApiCallHandler($"{source} (remote secret)", timeout: TimeSpan.FromSeconds(10)));
            await client.CoreV1.ListServiceForAllNamespacesAsync(limit: 1, cancellationToken: cancellation).ConfigureAwait(false);
            return new RemoteSecretState(source, true, $"opens {configuration.Host}" + (expires is { } e ? $"; token expires {e:u}" : "; token does not expire"), expires);
        }
        catch (Exception ex) when (KubeFailure.IsKubeFailure(ex) && !cancellation.IsCancellationRequested)
        {
            var failure = KubeFailure.From(ex, source, "reading services with the remote secret's kubeconfig");
            return new RemoteSecretState(source, false, $"{failure.ErrorId}: {failure.Message}", expires);
        }
    }

    /// <summary>The exp claim of a JWT, read without validating it (the API server just did, or refused it).</summary>
    private static DateTime? TokenExpiry(string? token)
    {
        var parts = token?.Split('.');
        if (parts is not { Length: 3 })
        {
            return null;
        }

        try
        {
            var payload = parts[1].Replace('-', '+').Replace('_', '/');
            payload = payload.PadRight(payload.Length + (4 - payload.Length % 4) % 4, '=');
            using var json = JsonDocument.Parse(Convert.FromBase64String(payload));
            return json.RootElement.TryGetProperty("exp", out var exp) && exp.TryGetInt64(out var seconds)
                ? DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime
                : null;
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }
    }
}
