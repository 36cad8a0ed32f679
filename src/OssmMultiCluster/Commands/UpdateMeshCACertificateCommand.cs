using System.Management.Automation;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;
using OssmMultiCluster.Pki;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Rotates the mesh's plug-in CAs without downtime: moves every cluster to a new root in three steps run one at a time
/// (-Step TrustBoth, IssueFromNewRoot, RemoveOldRoot), or renews the intermediates under the same root (-Renew).
/// Each step reads every cluster's cacerts first, refuses to run out of order, changes nothing where it is already
/// done, and restarts istiod where cacerts changed.
/// </summary>
[Cmdlet(VerbsData.Update, "MeshCACertificate", SupportsShouldProcess = true, DefaultParameterSetName = ByStep)]
[OutputType(typeof(MeshResourceResult), typeof(MeshManifestFile))]
public sealed class UpdateMeshCACertificateCommand : MeshExportCmdlet
{
    private const string ByStep = "Step";
    private const string ByRenew = "Renew";

    private readonly List<MeshCluster> _clusters = new();
    private readonly List<MeshCertificateAuthority> _authorities = new();

    /// <summary>Every cluster of the mesh (a step checks that all of them have done the step before).</summary>
    [Parameter(Position = 0, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(MeshClusterCompleter))]
    public MeshCluster[]? Cluster { get; set; }

    /// <summary>The step to run on every cluster.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByStep)]
    public MeshCARotationStep Step { get; set; }

    /// <summary>The root the mesh moves to; with its private key, IssueFromNewRoot issues the clusters' intermediates from it.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByStep)]
    [ValidateNotNull]
    [ArgumentCompleter(typeof(RootCACompleter))]
    public MeshCertificateAuthority NewRootCA { get; set; } = null!;

    /// <summary>Renew each cluster's intermediate under the root it already has.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByRenew)]
    public SwitchParameter Renew { get; set; }

    /// <summary>The mesh's root, with its private key unless intermediates are given.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByRenew)]
    [ValidateNotNull]
    [ArgumentCompleter(typeof(RootCACompleter))]
    public MeshCertificateAuthority RootCA { get; set; } = null!;

    /// <summary>Intermediates to install (IssueFromNewRoot, -Renew), from New-MeshIntermediateCA; without them they are issued from the root.</summary>
    [Parameter(ValueFromPipeline = true)]
    [ValidateNotNull]
    [ArgumentCompleter(typeof(CertificateAuthorityCompleter))]
    public MeshCertificateAuthority[]? CertificateAuthority { get; set; }

    /// <summary>The control plane's namespace.</summary>
    [Parameter]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string Namespace { get; set; } = MeshNames.ControlPlaneNamespace;

    /// <summary>Do not restart istiod where cacerts changed (it reads cacerts only when it starts).</summary>
    [Parameter]
    public SwitchParameter NoRestart { get; set; }

    private protected override void Process()
    {
        _clusters.AddRange(Cluster ?? Array.Empty<MeshCluster>());
        _authorities.AddRange(CertificateAuthority ?? Array.Empty<MeshCertificateAuthority>());
    }

    private protected override void End()
    {
        var root = ParameterSetName == ByStep ? NewRootCA : RootCA;
        var clusters = _clusters.Concat(_authorities.Select(a => a.MeshCluster).OfType<MeshCluster>())
            .GroupBy(c => c.Name, StringComparer.Ordinal).Select(g => g.First()).ToList();
        if (root.Kind != MeshCAKind.Root)
        {
            throw new MeshException("NotARootCA", MeshErrorKind.InvalidArgument,
                $"'{root}' is an intermediate CA; {(ParameterSetName == ByStep ? "-NewRootCA" : "-RootCA")} takes the root.", root,
                "Pass the root from New-MeshRootCA or Import-MeshCA.");
        }

        if (clusters.Count == 0)
        {
            throw new MeshException("TooFewClusters", MeshErrorKind.InvalidArgument, "No cluster was given.", null,
                "Pipe every cluster of the mesh: Get-MeshCluster | Update-MeshCACertificate.");
        }

        var intermediates = new Dictionary<string, MeshCertificateAuthority>(StringComparer.Ordinal);
        foreach (var ca in _authorities)
        {
            var cluster = clusters.FirstOrDefault(c => c.Name == ca.Cluster);
            try
            {
                if (cluster is null)
                {
                    throw new MeshException("ClusterUnknown", MeshErrorKind.InvalidArgument,
                        $"The intermediate CA '{ca}' is for no cluster given.", ca.Cluster ?? ca.Subject,
                        "Pass its cluster with -Cluster, or issue the CA from the clusters piped into New-MeshIntermediateCA.");
                }

                CACertificateInstaller.Validate(cluster, ca);
                if (!intermediates.TryAdd(ca.Cluster!, ca))
                {
                    throw new MeshException("DuplicateClusterName", MeshErrorKind.InvalidArgument,
                        $"Two intermediate CAs were given for cluster '{ca.Cluster}'.", ca.Cluster, "Give each cluster one intermediate.");
                }
            }
            catch (MeshException error)
            {
                WriteMeshError(error);
            }
        }

        var states = new Dictionary<string, PlugInCAState?>(StringComparer.Ordinal);
        var controlPlanes = new Dictionary<string, ControlPlaneRef?>(StringComparer.Ordinal);
        foreach (var cluster in clusters)
        {
            states[cluster.Name] = null;
        }

        var locate = ParameterSetName == ByStep && Step == MeshCARotationStep.TrustBoth;
        ForEachCluster("Reading plug-in CAs",
            clusters.Select(c => (c.Name, (Func<CancellationToken, Task<(string, PlugInCAState, ControlPlaneRef?)>>)(async ct =>
            {
                var state = await CARotation.ReadAsync(c, Namespace, ct).ConfigureAwait(false);
                ControlPlaneRef? controlPlane = null;
                if (locate)
                {
                    try
                    {
                        controlPlane = await MeshNetworks.LocateAsync(c, Namespace, ct).ConfigureAwait(false);
                    }
                    catch (MeshException error) when (error.ErrorId == "ControlPlaneNotFound")
                    {
                    }
                }

                return (c.Name, state, controlPlane);
            }))).ToList(),
            read =>
            {
                states[read.Item1] = read.Item2;
                controlPlanes[read.Item1] = read.Item3;
            });

        var plans = ParameterSetName == ByStep ? PlanStep(clusters, states, intermediates) : PlanRenewal(clusters, states, intermediates);
        var work = new List<ClusterPlan>();
        foreach (var (cluster, plan) in plans)
        {
            var objects = new List<KubeObject>();
            if (locate)
            {
                if (controlPlanes.GetValueOrDefault(cluster.Name) is { } controlPlane)
                {
                    objects.Add(CARotation.MultiRootObject(controlPlane));
                }
                else
                {
                    WriteWarning($"Cluster '{cluster.Name}' has no control plane for namespace {Namespace}: set {CARotation.MultiRootEnv}=true in istiod's environment yourself before the next step.");
                }
            }

            if (plan.Secret is { } secret)
            {
                objects.Add(KubeObject.Of(secret));
            }
            else
            {
                WriteVerbose($"Cluster '{cluster.Name}': {plan.Description}; cacerts stays as it is.");
            }

            if (objects.Count > 0)
            {
                var description = plan.Changes ? plan.Description : $"{plan.Description}; turn on multi-root trust";
                work.Add(new ClusterPlan(cluster, objects,
                    description + (plan.Changes && !NoRestart ? "; restart istiod" : string.Empty),
                    ct => CARotation.ApplyAsync(cluster, objects, Namespace, Force, !NoRestart, ct)));
            }
        }

        if (OutputPath is not null && work.Any(w => w.Objects.Any(o => o.Kind == KubeKind.Secret)))
        {
            WriteWarning("The cacerts Secrets are written, not applied: after your GitOps tool applies them, restart istiod on each cluster (kubectl rollout restart deployment -n " +
                         $"{Namespace} -l app=istiod) before the next step.");
        }

        Deliver(ParameterSetName == ByStep ? $"CA rotation step {Step}" : "Renewing intermediate CAs", work);
    }

    private List<(MeshCluster, CARotationPlan)> PlanStep(List<MeshCluster> clusters, Dictionary<string, PlugInCAState?> states,
        Dictionary<string, MeshCertificateAuthority> intermediates)
    {
        if (Step == MeshCARotationStep.IssueFromNewRoot)
        {
            var missing = clusters.Where(c => states[c.Name] is { } s && !s.SignsFrom(NewRootCA.Certificate) && !intermediates.ContainsKey(c.Name)).ToList();
            if (missing.Count > 0 && NewRootCA.HasPrivateKey && states.Values.All(s => s?.Trusts(NewRootCA.Certificate) == true))
            {
                Issue(NewRootCA, missing, intermediates);
            }
        }

        var planned = new List<(MeshCluster, CARotationPlan)>();
        try
        {
            foreach (var (name, plan, refused) in CARotation.Plan(Step, states, NewRootCA.Certificate, intermediates, Namespace))
            {
                if (refused is not null)
                {
                    WriteMeshError(refused);
                    continue;
                }

                planned.Add((clusters.First(c => c.Name == name), plan!));
            }
        }
        catch (MeshException outOfOrder)
        {
            WriteMeshError(outOfOrder);
        }

        return planned.OrderBy(p => clusters.IndexOf(p.Item1)).ToList();
    }

    private List<(MeshCluster, CARotationPlan)> PlanRenewal(List<MeshCluster> clusters, Dictionary<string, PlugInCAState?> states,
        Dictionary<string, MeshCertificateAuthority> intermediates)
    {
        var readable = clusters.Where(c => states[c.Name] is not null).ToList();
        var missing = readable.Where(c => !intermediates.ContainsKey(c.Name) && states[c.Name]!.SignsFrom(RootCA.Certificate)).ToList();
        if (missing.Count > 0)
        {
            Issue(RootCA, missing, intermediates);
        }

        var planned = new List<(MeshCluster, CARotationPlan)>();
        foreach (var cluster in readable)
        {
            try
            {
                var state = states[cluster.Name]!;
                if (!intermediates.TryGetValue(cluster.Name, out var intermediate))
                {
                    // Either the root does not match (reported by PlanRenewal) or issuing failed (already reported).
                    if (!state.SignsFrom(RootCA.Certificate))
                    {
                        CARotation.PlanRenewal(cluster.Name, state, RootCA, RootCA, Namespace);
                    }

                    continue;
                }

                planned.Add((cluster, CARotation.PlanRenewal(cluster.Name, state, RootCA, intermediate, Namespace)));
            }
            catch (MeshException error)
            {
                WriteMeshError(error);
            }
        }

        return planned;
    }

    /// <summary>Issues intermediates from <paramref name="root"/> for <paramref name="clusters"/>, as New-MeshIntermediateCA does.</summary>
    private void Issue(MeshCertificateAuthority root, List<MeshCluster> clusters, Dictionary<string, MeshCertificateAuthority> into)
    {
        var service = new CertificateAuthorityService();
        var options = new IntermediateCAOptions { ControlPlaneNamespace = Namespace };
        try
        {
            service.ValidateIntermediate(root, clusters[0].Name, options);
        }
        catch (MeshException error)
        {
            WriteMeshError(error);
            return;
        }

        ForEachCluster("Issuing intermediate CAs",
            clusters.Select(c => (c.Name, (Func<CancellationToken, Task<MeshCertificateAuthority>>)(ct => service.CreateIntermediateAsync(root, c.Name, options, ct)))).ToList(),
            ca => into[ca.Cluster!] = ca);
    }
}
