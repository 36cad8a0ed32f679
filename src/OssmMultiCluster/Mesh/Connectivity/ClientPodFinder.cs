using k8s;
using k8s.Models;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh.Connectivity;

/// <summary>The pod and container connectivity checks run curl in.</summary>
internal sealed record ClientPod(string Namespace, string Name, string Container);

/// <summary>Finds the client pod (the walkthrough's sleep pod) that connectivity checks exec into.</summary>
internal static class ClientPodFinder
{
    /// <summary>The sidecar that injection adds; never the client container unless asked for by name.</summary>
    public const string SidecarContainer = "istio-proxy";

    /// <summary>
    /// The first pod, by name, matching <paramref name="selector"/> in <paramref name="ns"/> that is Running with
    /// every container ready; its container <paramref name="container"/>, or when null its first container that is
    /// not the sidecar.
    /// </summary>
    public static async Task<ClientPod> FindAsync(MeshCluster cluster, string ns, string selector, string? container, CancellationToken cancellation)
    {
        var applier = new ResourceApplier(cluster);
        var list = await applier.ReadAsync((client, ct) => client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: selector, cancellationToken: ct),
            $"listing pods '{selector}' in namespace {ns}", cancellation).ConfigureAwait(false);
        var pods = (list?.Items ?? new List<V1Pod>()).OrderBy(p => p.Metadata.Name, StringComparer.Ordinal).ToList();
        if (pods.Count == 0)
        {
            throw new MeshException("NoClientPod", MeshErrorKind.ObjectNotFound,
                $"Cluster '{cluster.Name}' has no pod matching '{selector}' in namespace '{ns}' to run curl in.", cluster.Name,
                $"Deploy the sleep sample as the walkthrough's step 11 does: 'oc new-project {ns}', 'oc label namespace {ns} istio-injection=enabled', " +
                $"'oc apply -n {ns} -f https://raw.githubusercontent.com/maistra/istio/maistra-2.6/samples/sleep/sleep.yaml'; " +
                "or name another client pod with -Namespace, -Selector and -Container.");
        }

        var ready = pods.FirstOrDefault(IsReady);
        if (ready is null)
        {
            var states = string.Join(", ", pods.Select(p => $"{p.Metadata.Name}: {State(p)}"));
            throw new MeshException("ClientPodNotReady", MeshErrorKind.InvalidOperation,
                $"Cluster '{cluster.Name}' has {pods.Count} pod(s) matching '{selector}' in namespace '{ns}', but none is Running with all containers ready ({states}).",
                cluster.Name,
                $"Wait for the pod ('kubectl -n {ns} wait pod -l {selector} --for=condition=Ready'), or see why it is not ready: 'kubectl -n {ns} describe pod {pods[0].Metadata.Name}'.");
        }

        var names = ready.Spec.Containers.Select(c => c.Name).ToList();
        var chosen = container ?? names.FirstOrDefault(n => n != SidecarContainer) ?? names[0];
        if (!names.Contains(chosen))
        {
            throw new MeshException("ClientContainerNotFound", MeshErrorKind.InvalidArgument,
                $"Pod {ns}/{ready.Metadata.Name} of cluster '{cluster.Name}' has no container '{chosen}' (it has {string.Join(", ", names)}).", chosen,
                "Name one of the pod's containers with -Container.");
        }

        return new ClientPod(ns, ready.Metadata.Name, chosen);
    }

    private static bool IsReady(V1Pod pod)
    {
        if (pod.Metadata.DeletionTimestamp is not null || pod.Status?.Phase != "Running")
        {
            return false;
        }

        var statuses = pod.Status.ContainerStatuses ?? new List<V1ContainerStatus>();
        return pod.Spec.Containers.All(c => statuses.Any(s => s.Name == c.Name && s.Ready));
    }

    private static string State(V1Pod pod)
    {
        if (pod.Metadata.DeletionTimestamp is not null)
        {
            return "Terminating";
        }

        var phase = pod.Status?.Phase ?? "Pending";
        var notReady = pod.Spec.Containers.Select(c => c.Name)
            .Where(n => !(pod.Status?.ContainerStatuses ?? new List<V1ContainerStatus>()).Any(s => s.Name == n && s.Ready)).ToList();
        return notReady.Count == 0 ? phase : $"{phase}, not ready: {string.Join(", ", notReady)}";
    }
}
