using OssmMultiCluster.Kube;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh;

/// <summary>What Install-MeshSample deploys: which sample, from where (a file, a URL, or upstream's), into which namespace.</summary>
internal sealed record SampleRequest(MeshSampleName Name, string Namespace, string? Version, string? File, Uri? Uri, bool Force);

/// <summary>
/// Install-MeshSample and Remove-MeshSample as services: the manifest read once (before any cluster is touched, so a bad
/// one changes nothing) and the same objects delivered to every cluster; removal confirmed and done per cluster.
/// </summary>
internal static class SampleDeployment
{
    public static async Task InstallAsync(IMeshHost host, IReadOnlyList<MeshCluster> clusters, SampleRequest request, Delivery delivery)
    {
        host.WriteVerbose(request.File is null ? $"Downloading {request.Uri ?? Samples.DefaultUri(request.Name)}" : $"Reading {request.File}");
        var (manifest, source) = await Samples.LoadAsync(request.Name, request.File, request.Uri, host.Cancellation).ConfigureAwait(false);
        var objects = Samples.Objects(manifest, source, request.Namespace, request.Name == MeshSampleName.Helloworld ? request.Version : null);
        var plans = clusters.Select(cluster => new ClusterPlan(cluster, objects,
            $"Deploy sample {request.Name}{(request.Version is null ? string.Empty : " " + request.Version)} into namespace {request.Namespace}",
            ct => ObjectInstaller.InstallAsync(cluster, objects, Array.Empty<(KubeKind, string)>(), request.Force, ct))).ToList();
        await PlanDelivery.DeliverAsync(host, "Installing sample " + request.Name, plans, delivery).ConfigureAwait(false);
    }

    /// <summary>The sample's namespace, or with a component only its Service and Deployments, on each confirmed cluster.</summary>
    public static async Task RemoveAsync(IMeshHost host, IReadOnlyList<MeshCluster> clusters, MeshSampleName name, string ns, string? component)
    {
        var what = component is null ? $"Delete namespace {ns} (sample {name})" : $"Delete service {ns}/{component} and its deployments";
        var work = new List<(string, Func<CancellationToken, Task<InstallOutcome>>)>();
        foreach (var cluster in clusters)
        {
            if (await host.ShouldProcessAsync($"cluster {cluster.Name}", what).ConfigureAwait(false))
            {
                work.Add((cluster.Name, ct => Samples.RemoveAsync(cluster, ns, component, ct)));
            }
        }

        await ClusterWork.ForEachAsync(host, "Removing sample " + name, work, outcome => ClusterWork.Report(host, outcome)).ConfigureAwait(false);
    }
}
