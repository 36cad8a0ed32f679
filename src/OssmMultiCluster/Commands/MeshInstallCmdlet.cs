using System.Management.Automation;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// What the Install cmdlets share: apply each cluster's objects concurrently, or, with -OutputPath, write them as a
/// GitOps tree instead; -Force; -WhatIf per cluster.
/// </summary>
public abstract class MeshInstallCmdlet : MeshCmdlet
{
    /// <summary>Write the objects as YAML under this folder instead of applying them.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OutputPath { get; set; }

    /// <summary>With -OutputPath: leave Secrets out of the export.</summary>
    [Parameter]
    public SwitchParameter ExcludeSecrets { get; set; }

    /// <summary>Take ownership of fields another manager set (server-side apply force).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>One cluster's share of the work: its objects (for export) and how to apply them.</summary>
    private protected sealed record ClusterPlan(MeshCluster Cluster, IReadOnlyList<KubeObject> Objects, string Description,
        Func<CancellationToken, Task<InstallOutcome>> Apply);

    /// <param name="confirmed">The caller already asked ShouldProcess for each plan's cluster.</param>
    private protected void Deliver(string activity, IReadOnlyList<ClusterPlan> plans, bool confirmed = false)
    {
        if (OutputPath is not null)
        {
            Export(plans, confirmed);
            return;
        }

        var work = plans.Where(plan => confirmed || ShouldProcess($"cluster {plan.Cluster.Name}", plan.Description))
            .Select(plan => (plan.Cluster.Name, plan.Apply)).ToList();
        ForEachCluster(activity, work, WriteOutcome);
    }

    private void Export(IReadOnlyList<ClusterPlan> plans, bool confirmed)
    {
        var directory = GetUnresolvedProviderPathFromPSPath(OutputPath!);
        var exporter = new ManifestExporter();
        var secrets = 0;
        foreach (var plan in plans)
        {
            if (!confirmed && !ShouldProcess(Path.Combine(directory, plan.Cluster.Name), $"Write manifests instead of applying: {plan.Description}"))
            {
                continue;
            }

            foreach (var file in exporter.Export(directory, plan.Cluster.Name, plan.Objects, ExcludeSecrets))
            {
                secrets += file.ContainsSecret ? 1 : 0;
                WriteObject(file);
            }
        }

        if (secrets > 0)
        {
            WriteWarning($"{secrets} exported file(s) hold Secrets with private keys (written 0600). Do not commit them to Git in the clear: " +
                         "encrypt them (Sealed Secrets, SOPS) or deliver them another way, and use -ExcludeSecrets for the tree you commit.");
        }
    }
}
