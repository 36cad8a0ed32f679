using System.Management.Automation;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// What the cmdlets that write objects share: apply each cluster's objects concurrently, or, with -OutputPath, write
/// them as a GitOps tree instead (<see cref="PlanDelivery"/>); -Force; -WhatIf per cluster.
/// </summary>
public abstract class MeshExportCmdlet : MeshCmdlet
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

    /// <summary>Where the objects go: the clusters, or the -OutputPath tree.</summary>
    private protected Delivery Delivery => OutputPath is null ? Delivery.Apply : new Delivery(GetUnresolvedProviderPathFromPSPath(OutputPath), ExcludeSecrets);

    /// <param name="confirmed">The caller already asked ShouldProcess for each plan's cluster.</param>
    private protected void Deliver(string activity, IReadOnlyList<ClusterPlan> plans, bool confirmed = false)
    {
        var delivery = Delivery;
        Run(host => PlanDelivery.DeliverAsync(host, activity, plans, delivery, confirmed));
    }
}
