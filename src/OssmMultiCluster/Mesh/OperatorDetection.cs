using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh.Resources;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh;

/// <summary>A flavour as read from a cluster, and what it was read from (for -Verbose).</summary>
internal sealed record DetectedFlavor(MeshFlavor Flavor, string Reason)
{
    /// <summary>Read from a control plane that is a remote (an Istio with the remote profile).</summary>
    public bool IsRemote { get; init; }
}

/// <summary>
/// What a cluster's operator says when the user does not: which flavour the cluster runs (its control plane's
/// resource, else the operator APIs it serves) and the Istio version the Sail operator defaults to. Reads only.
/// </summary>
internal static class OperatorDetection
{
    /// <summary>
    /// The flavour of <paramref name="cluster"/>: an SMCP in <paramref name="ns"/> is OSSM 2.6, an Istio resource for
    /// it OSSM 3; without either, the operator API served decides. Neither served: OSSM 2.6 (the installs then fail
    /// with CrdMissing, naming the operator); both served and no control plane: FlavorAmbiguous.
    /// </summary>
    public static async Task<DetectedFlavor> DetectAsync(MeshCluster cluster, string ns, CancellationToken cancellation)
    {
        // Which operator APIs are served (one discovery request, kept for the cmdlets after this one), then a look for a
        // control plane only where one can be.
        var ossm2 = await ServesAsync(cluster, KubeKind.Of<ServiceMeshControlPlane>(), cancellation).ConfigureAwait(false);
        var ossm3 = await ServesAsync(cluster, KubeKind.Of<Istio>(), cancellation).ConfigureAwait(false);
        if (ossm2 || ossm3)
        {
            try
            {
                var found = await MeshNetworks.LocateAsync(cluster, ns, cancellation, ossm2, ossm3).ConfigureAwait(false);
                return new DetectedFlavor(found.Flavor, $"cluster '{cluster.Name}' has {found.Kind.Kind} '{found.Name}' for namespace {ns}") { IsRemote = found.IsRemote };
            }
            catch (MeshException error) when (error.ErrorId == "ControlPlaneNotFound")
            {
            }
        }

        return (ossm2, ossm3) switch
        {
            (true, false) => new DetectedFlavor(MeshFlavor.Ossm2, $"cluster '{cluster.Name}' serves {KubeKind.Of<ServiceMeshControlPlane>().ApiVersion} (the OSSM 2 operator) and not {KubeKind.Of<Istio>().ApiVersion}"),
            (false, true) => new DetectedFlavor(MeshFlavor.Ossm3, $"cluster '{cluster.Name}' serves {KubeKind.Of<Istio>().ApiVersion} (the OSSM 3 operator) and not {KubeKind.Of<ServiceMeshControlPlane>().ApiVersion}"),
            (false, false) => new DetectedFlavor(MeshFlavor.Ossm2, $"cluster '{cluster.Name}' serves neither operator's API; Ossm2 assumed"),
            _ => throw new MeshException("FlavorAmbiguous", MeshErrorKind.InvalidOperation,
                $"Cluster '{cluster.Name}' serves both the OSSM 2 ({KubeKind.Of<ServiceMeshControlPlane>().ApiVersion}) and the OSSM 3 ({KubeKind.Of<Istio>().ApiVersion}) operator APIs and has no control plane for namespace {ns} yet, so its flavor cannot be read.",
                cluster.Name, "Say which control plane to use: -Flavor Ossm2 or -Flavor Ossm3."),
        };
    }

    /// <summary>
    /// spec.version's default in the Sail operator's CRD for <paramref name="kind"/> (Istio or IstioCNI): what the
    /// operator would install when no version is given, written out so the export passes the schema's 'required'.
    /// </summary>
    public static async Task<string> DefaultVersionAsync(MeshCluster cluster, KubeKind kind, CancellationToken cancellation)
    {
        var name = $"{kind.Plural}.{kind.Group}";
        string? version = null;
        try
        {
            var crd = (JsonElement)await cluster.Client.CustomObjects.GetClusterCustomObjectAsync("apiextensions.k8s.io", "v1", "customresourcedefinitions", name, cancellation)
                .ConfigureAwait(false);
            foreach (var served in crd.GetProperty("spec").GetProperty("versions").EnumerateArray())
            {
                if (served.GetProperty("name").GetString() == kind.Version
                    && Path(served, "schema", "openAPIV3Schema", "properties", "spec", "properties", "version", "default") is { ValueKind: JsonValueKind.String } value)
                {
                    version = value.GetString();
                }
            }
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
        }
        catch (Exception ex) when (KubeFailure.IsKubeFailure(ex) && !cancellation.IsCancellationRequested)
        {
            throw KubeFailure.From(ex, cluster.Name, $"reading CustomResourceDefinition {name}");
        }

        return version ?? throw new MeshException("VersionRequired", MeshErrorKind.InvalidArgument,
            $"Cluster '{cluster.Name}' has no {name} with a default spec.version, and the Sail schema requires one.", cluster.Name,
            "Pass -Version (e.g. -Version v1.28.10), or install the OSSM 3 operator on the cluster first.");
    }

    private static Task<bool> ServesAsync(MeshCluster cluster, KubeKind kind, CancellationToken cancellation) =>
        cluster.Apis.ServesAsync(cluster, kind.ApiVersion, cancellation);

    private static JsonElement? Path(JsonElement element, params string[] steps)
    {
        foreach (var step in steps)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(step, out element))
            {
                return null;
            }
        }

        return element;
    }
}
