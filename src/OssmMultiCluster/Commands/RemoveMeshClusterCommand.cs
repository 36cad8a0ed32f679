using System.Management.Automation;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Takes one cluster out of the mesh completely, in the reverse order of the setup: Disconnect-MeshCluster from the
/// others (when given), then its east-west gateway, its control plane, the reader access other clusters had to it
/// (the module's token Secrets, and the reader account it created) and its plug-in CA. Each step runs only when the
/// one before it succeeded; only what the module made is deleted.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "MeshCluster", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(MeshResourceResult))]
public sealed class RemoveMeshClusterCommand : MeshCmdlet
{
    /// <summary>The cluster leaving the mesh.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    [ArgumentCompleter(typeof(SingleMeshClusterCompleter))]
    public MeshCluster Cluster { get; set; } = null!;

    /// <summary>The clusters that stay; their remote secrets for it, and its network in their mesh networks, are removed.</summary>
    [Parameter(Position = 1)]
    [ValidateNotNull]
    [ArgumentCompleter(typeof(MeshClusterCompleter))]
    public MeshCluster[] From { get; set; } = Array.Empty<MeshCluster>();

    [Parameter]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string Namespace { get; set; } = MeshNames.ControlPlaneNamespace;

    [Parameter]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string GatewayName { get; set; } = "istio-eastwestgateway";

    /// <summary>Only this flavour's control-plane objects; default: whichever the cluster has.</summary>
    [Parameter]
    public MeshFlavor? Flavor { get; set; }

    /// <summary>The control plane resource's name; default basic (SMCP) or default (Istio).</summary>
    [Parameter]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string? ControlPlaneName { get; set; }

    /// <summary>The reader account other clusters read this one with; the module's tokens for it are revoked.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string ServiceAccount { get; set; } = "istio-reader-service-account";

    /// <summary>Remove the control plane even if clusters still point at it (e.g. one that stayed could not be disconnected).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    private protected override void Process()
    {
        var others = From.Where(c => c.Name != Cluster.Name).GroupBy(c => c.Name).Select(g => g.First()).ToList();
        var description = others.Count == 0
            ? $"Uninstall its east-west gateway, control plane, reader access and plug-in CA in {Namespace}"
            : $"Disconnect it from {string.Join(", ", others.Select(c => c.Name))}, then uninstall its east-west gateway, control plane, reader access and plug-in CA in {Namespace}";
        if (!ShouldProcess($"cluster {Cluster.Name}", description))
        {
            return;
        }

        var leaving = Cluster;
        if (others.Count > 0)
        {
            var options = new ConnectOptions { Namespace = Namespace };
            // What was already gone (a second run) is not reported: only what this run changed or left.
            var disconnected = Step("Disconnecting cluster " + leaving.Name, new[] { leaving }.Concat(others).ToList(),
                async (c, ct) =>
                {
                    var outcome = await TrustDomainAliases.WithDisconnectAsync(MeshConnector.DisconnectAsync(c, leaving, others, options, ct),
                        c, leaving, others, Namespace, force: false, ct).ConfigureAwait(false);
                    return outcome with { Results = outcome.Results.Where(r => r.Action != MeshResourceAction.Unchanged).ToList() };
                });
            if (!disconnected.Contains(leaving.Name))
            {
                return;
            }
        }

        var steps = new (string activity, Func<MeshCluster, CancellationToken, Task<InstallOutcome>> work)[]
        {
            ("Uninstalling the east-west gateway of " + leaving.Name, (c, ct) => MeshUninstaller.UninstallAsync(c, MeshUninstaller.GatewayTargets(Namespace, GatewayName), ct)),
            ("Uninstalling the control plane of " + leaving.Name, (c, ct) => MeshUninstaller.UninstallControlPlaneAsync(c, others, Namespace,
                MeshUninstaller.ControlPlaneTargets(Flavor, Namespace, ControlPlaneName), Force, ct)),
            // Only once the control plane is gone (so the cluster is out of the mesh, or -Force said so): revoking the
            // reader tokens earlier would cut off clusters that still read this one.
            ("Revoking the reader access of " + leaving.Name, async (c, ct) => await MeshUninstaller.UninstallAsync(c,
                await MeshUninstaller.ReaderAccessTargetsAsync(c, Namespace, ServiceAccount, ct).ConfigureAwait(false), ct).ConfigureAwait(false)),
            ("Uninstalling the plug-in CA of " + leaving.Name, (c, ct) => MeshUninstaller.UninstallAsync(c, MeshUninstaller.CACertificateTargets(Namespace), ct)),
        };
        foreach (var (activity, work) in steps)
        {
            if (!Step(activity, new[] { leaving }, work).Contains(leaving.Name))
            {
                return;
            }
        }
    }

    /// <summary>Runs one step on <paramref name="clusters"/> concurrently, writes what it did, and returns the clusters it succeeded on.</summary>
    private HashSet<string> Step(string activity, IReadOnlyList<MeshCluster> clusters, Func<MeshCluster, CancellationToken, Task<InstallOutcome>> work)
    {
        var succeeded = new HashSet<string>(StringComparer.Ordinal);
        ForEachCluster(activity, clusters.Select(c => (c.Name, (Func<CancellationToken, Task<(string name, InstallOutcome outcome)>>)(async ct => (c.Name, await work(c, ct).ConfigureAwait(false))))).ToList(),
            done =>
            {
                WriteOutcome(done.outcome);
                if (done.outcome.Errors.Count == 0)
                {
                    succeeded.Add(done.name);
                    if (done.outcome.Results.Count == 0)
                    {
                        WriteVerbose($"Nothing to do on cluster '{done.name}': {activity}.");
                    }
                }
            });
        return succeeded;
    }
}
