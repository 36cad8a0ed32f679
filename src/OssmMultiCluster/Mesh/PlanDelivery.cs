using OssmMultiCluster.Kube;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh;

/// <summary>One cluster's share of a step: its objects, what the step does there, and how to apply them.</summary>
internal sealed record ClusterPlan(MeshCluster Cluster, IReadOnlyList<KubeObject> Objects, string Description,
    Func<CancellationToken, Task<InstallOutcome>> Apply);

/// <summary>Where a step's objects go: the clusters (no folder), or a GitOps tree under <see cref="OutputDirectory"/>.</summary>
internal sealed record Delivery(string? OutputDirectory = null, bool ExcludeSecrets = false)
{
    public static readonly Delivery Apply = new();

    public bool Exporting => OutputDirectory is not null;
}

/// <summary>
/// The one path from a step's plans to their effect: applied to each cluster concurrently, or written as a GitOps
/// tree, each cluster confirmed first (-WhatIf, -Confirm). Apply, export and -WhatIf start from the same plans, so they
/// cannot disagree about what a step does.
/// </summary>
internal static class PlanDelivery
{
    /// <param name="confirmed">The caller already asked about each plan's cluster.</param>
    public static async Task DeliverAsync(IMeshHost host, string activity, IReadOnlyList<ClusterPlan> plans, Delivery delivery, bool confirmed = false)
    {
        if (delivery.OutputDirectory is { } directory)
        {
            await ExportAsync(host, directory, plans, delivery.ExcludeSecrets, confirmed).ConfigureAwait(false);
            return;
        }

        var work = new List<(string, Func<CancellationToken, Task<InstallOutcome>>)>();
        foreach (var plan in plans)
        {
            if (confirmed || await host.ShouldProcessAsync($"cluster {plan.Cluster.Name}", plan.Description).ConfigureAwait(false))
            {
                work.Add((plan.Cluster.Name, plan.Apply));
            }
        }

        await ClusterWork.ForEachAsync(host, activity, work, outcome => ClusterWork.Report(host, outcome)).ConfigureAwait(false);
    }

    private static async Task ExportAsync(IMeshHost host, string directory, IReadOnlyList<ClusterPlan> plans, bool excludeSecrets, bool confirmed)
    {
        var exporter = new ManifestExporter();
        var secrets = 0;
        foreach (var plan in plans)
        {
            if (!confirmed && !await host.ShouldProcessAsync(Path.Combine(directory, plan.Cluster.Name), $"Write manifests instead of applying: {plan.Description}").ConfigureAwait(false))
            {
                continue;
            }

            foreach (var file in exporter.Export(directory, plan.Cluster.Name, plan.Objects, excludeSecrets))
            {
                secrets += file.ContainsSecret ? 1 : 0;
                host.WriteObject(file);
            }
        }

        if (secrets > 0)
        {
            host.WriteWarning($"{secrets} exported file(s) hold Secrets with private keys (written 0600). Do not commit them to Git in the clear: " +
                              "encrypt them (Sealed Secrets, SOPS) or deliver them another way, and use -ExcludeSecrets for the tree you commit.");
        }
    }
}
