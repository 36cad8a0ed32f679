using OssmMultiCluster.Kube;
using OssmMultiCluster.Model;
using OssmMultiCluster.Pki;

namespace OssmMultiCluster.Mesh;

/// <summary>
/// What Update-MeshCACertificate was asked: a rotation <see cref="Step"/> to <see cref="Root"/> (the new root), or,
/// with no step, renewal of the intermediates under <see cref="Root"/> (the mesh's root). <see cref="Clusters"/> are the
/// clusters given; the intermediates' own clusters join them.
/// </summary>
internal sealed record CARotationRequest(MeshCARotationStep? Step, MeshCertificateAuthority Root, IReadOnlyList<MeshCluster> Clusters,
    IReadOnlyList<MeshCertificateAuthority> Intermediates, string Namespace)
{
    public bool Force { get; init; }

    /// <summary>Restart istiod where cacerts changed (false: -NoRestart).</summary>
    public bool Restart { get; init; } = true;

    /// <summary>Whether the multi-root switch is set as well: the first step looks for each cluster's control plane.</summary>
    public bool TurnsOnMultiRoot => Step == MeshCARotationStep.TrustBoth;
}

/// <summary>Every cluster's cacerts as read before a step (null: could not be read) and, for TrustBoth, its control plane (null: none).</summary>
internal sealed record CARotationReading(IReadOnlyDictionary<string, PlugInCAState?> States, IReadOnlyDictionary<string, ControlPlaneRef?> ControlPlanes);

/// <summary>
/// Update-MeshCACertificate as a service: the input checked, every cluster's cacerts read, each cluster's share of the
/// step planned (refused as a whole when out of order; intermediates issued from a root with its key where none were
/// given), then delivered to the clusters or a GitOps tree by <see cref="PlanDelivery"/>, istiod restarted where
/// cacerts changed.
/// </summary>
internal static class CARotationUpdate
{
    public static async Task RunAsync(IMeshHost host, CARotationRequest request, Delivery delivery)
    {
        var clusters = Clusters(request);
        var intermediates = Intermediates(host, clusters, request);
        var reading = await ReadAsync(host, clusters, request).ConfigureAwait(false);
        var work = await PlanAsync(host, request, clusters, reading, intermediates).ConfigureAwait(false);
        if (delivery.Exporting && work.Any(w => w.Objects.Any(o => o.Kind == KubeKind.Secret)))
        {
            host.WriteWarning("The cacerts Secrets are written, not applied: after your GitOps tool applies them, restart istiod on each cluster (kubectl rollout restart deployment -n " +
                              $"{request.Namespace} -l app=istiod) before the next step.");
        }

        await PlanDelivery.DeliverAsync(host, request.Step is { } step ? $"CA rotation step {step}" : "Renewing intermediate CAs", work, delivery).ConfigureAwait(false);
    }

    /// <summary>The clusters given and the intermediates' clusters, each once; the root and the cluster count checked.</summary>
    public static List<MeshCluster> Clusters(CARotationRequest request)
    {
        var root = request.Root;
        var clusters = request.Clusters.Concat(request.Intermediates.Select(a => a.MeshCluster).OfType<MeshCluster>())
            .GroupBy(c => c.Name, StringComparer.Ordinal).Select(g => g.First()).ToList();
        if (root.Kind != MeshCAKind.Root)
        {
            throw new MeshException("NotARootCA", MeshErrorKind.InvalidArgument,
                $"'{root}' is an intermediate CA; {(request.Step is not null ? "-NewRootCA" : "-RootCA")} takes the root.", root,
                "Pass the root from New-MeshRootCA or Import-MeshCA.");
        }

        if (clusters.Count == 0)
        {
            throw new MeshException("TooFewClusters", MeshErrorKind.InvalidArgument, "No cluster was given.", null,
                "Pipe every cluster of the mesh: Get-MeshCluster | Update-MeshCACertificate.");
        }

        return clusters;
    }

    /// <summary>The intermediates given, by cluster name; one for no cluster given, unusable, or a second for its cluster is an error and left out.</summary>
    public static Dictionary<string, MeshCertificateAuthority> Intermediates(IMeshHost host, IReadOnlyList<MeshCluster> clusters, CARotationRequest request)
    {
        var intermediates = new Dictionary<string, MeshCertificateAuthority>(StringComparer.Ordinal);
        foreach (var ca in request.Intermediates)
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
                host.WriteError(error);
            }
        }

        return intermediates;
    }

    /// <summary>Reads every cluster's cacerts (and, for TrustBoth, its control plane); a cluster that cannot be read is an error and null.</summary>
    public static async Task<CARotationReading> ReadAsync(IMeshHost host, IReadOnlyList<MeshCluster> clusters, CARotationRequest request)
    {
        var ns = request.Namespace;
        var states = new Dictionary<string, PlugInCAState?>(StringComparer.Ordinal);
        var controlPlanes = new Dictionary<string, ControlPlaneRef?>(StringComparer.Ordinal);
        foreach (var cluster in clusters)
        {
            states[cluster.Name] = null;
        }

        var locate = request.TurnsOnMultiRoot;
        await ClusterWork.ForEachAsync(host, "Reading plug-in CAs", clusters, async (c, ct) =>
        {
            var state = await CARotation.ReadAsync(c, ns, ct).ConfigureAwait(false);
            ControlPlaneRef? controlPlane = null;
            if (locate)
            {
                try
                {
                    controlPlane = await MeshNetworks.LocateAsync(c, ns, ct).ConfigureAwait(false);
                }
                catch (MeshException error) when (error.ErrorId == "ControlPlaneNotFound")
                {
                }
            }

            return (state, controlPlane);
        }, (c, read) =>
        {
            states[c.Name] = read.state;
            controlPlanes[c.Name] = read.controlPlane;
        }).ConfigureAwait(false);
        return new CARotationReading(states, controlPlanes);
    }

    /// <summary>
    /// Each cluster's share of the step as a plan to deliver: its new cacerts (and, for TrustBoth, the multi-root switch),
    /// or nothing where the step is done. What refuses the step, for one cluster or all, is written as errors.
    /// </summary>
    public static async Task<List<ClusterPlan>> PlanAsync(IMeshHost host, CARotationRequest request, List<MeshCluster> clusters, CARotationReading reading,
        Dictionary<string, MeshCertificateAuthority> intermediates)
    {
        var ns = request.Namespace;
        var plans = request.Step is { } step
            ? await PlanStepAsync(host, request, step, clusters, reading.States, intermediates).ConfigureAwait(false)
            : await PlanRenewalAsync(host, request, clusters, reading.States, intermediates).ConfigureAwait(false);
        var work = new List<ClusterPlan>();
        foreach (var (cluster, plan) in plans)
        {
            var objects = new List<KubeObject>();
            if (request.TurnsOnMultiRoot)
            {
                if (reading.ControlPlanes.GetValueOrDefault(cluster.Name) is { } controlPlane)
                {
                    objects.Add(CARotation.MultiRootObject(controlPlane));
                }
                else
                {
                    host.WriteWarning($"Cluster '{cluster.Name}' has no control plane for namespace {ns}: set {CARotation.MultiRootEnv}=true in istiod's environment yourself before the next step.");
                }
            }

            if (plan.Secret is { } secret)
            {
                objects.Add(KubeObject.Of(secret));
            }
            else
            {
                host.WriteVerbose($"Cluster '{cluster.Name}': {plan.Description}; cacerts stays as it is.");
            }

            if (objects.Count > 0)
            {
                var description = plan.Changes ? plan.Description : $"{plan.Description}; turn on multi-root trust";
                work.Add(new ClusterPlan(cluster, objects,
                    description + (plan.Changes && request.Restart ? "; restart istiod" : string.Empty),
                    ct => CARotation.ApplyAsync(cluster, objects, ns, request.Force, request.Restart, ct)));
            }
        }

        return work;
    }

    private static async Task<List<(MeshCluster, CARotationPlan)>> PlanStepAsync(IMeshHost host, CARotationRequest request, MeshCARotationStep step,
        List<MeshCluster> clusters, IReadOnlyDictionary<string, PlugInCAState?> states, Dictionary<string, MeshCertificateAuthority> intermediates)
    {
        var newRoot = request.Root;
        if (step == MeshCARotationStep.IssueFromNewRoot)
        {
            var missing = clusters.Where(c => states[c.Name] is { } s && !s.SignsFrom(newRoot.Certificate) && !intermediates.ContainsKey(c.Name)).ToList();
            if (missing.Count > 0 && newRoot.HasPrivateKey && states.Values.All(s => s?.Trusts(newRoot.Certificate) == true))
            {
                await IssueAsync(host, newRoot, missing, intermediates, request.Namespace).ConfigureAwait(false);
            }
        }

        var planned = new List<(MeshCluster, CARotationPlan)>();
        try
        {
            foreach (var (name, plan, refused) in CARotation.Plan(step, states, newRoot.Certificate, intermediates, request.Namespace))
            {
                if (refused is not null)
                {
                    host.WriteError(refused);
                    continue;
                }

                planned.Add((clusters.First(c => c.Name == name), plan!));
            }
        }
        catch (MeshException outOfOrder)
        {
            host.WriteError(outOfOrder);
        }

        return planned.OrderBy(p => clusters.IndexOf(p.Item1)).ToList();
    }

    private static async Task<List<(MeshCluster, CARotationPlan)>> PlanRenewalAsync(IMeshHost host, CARotationRequest request, List<MeshCluster> clusters,
        IReadOnlyDictionary<string, PlugInCAState?> states, Dictionary<string, MeshCertificateAuthority> intermediates)
    {
        var root = request.Root;
        var readable = clusters.Where(c => states[c.Name] is not null).ToList();
        var missing = readable.Where(c => !intermediates.ContainsKey(c.Name) && states[c.Name]!.SignsFrom(root.Certificate)).ToList();
        if (missing.Count > 0)
        {
            await IssueAsync(host, root, missing, intermediates, request.Namespace).ConfigureAwait(false);
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
                    if (!state.SignsFrom(root.Certificate))
                    {
                        CARotation.PlanRenewal(cluster.Name, state, root, root, request.Namespace);
                    }

                    continue;
                }

                planned.Add((cluster, CARotation.PlanRenewal(cluster.Name, state, root, intermediate, request.Namespace)));
            }
            catch (MeshException error)
            {
                host.WriteError(error);
            }
        }

        return planned;
    }

    /// <summary>Issues intermediates from <paramref name="root"/> for <paramref name="clusters"/>, as New-MeshIntermediateCA does.</summary>
    private static async Task IssueAsync(IMeshHost host, MeshCertificateAuthority root, List<MeshCluster> clusters, Dictionary<string, MeshCertificateAuthority> into, string ns)
    {
        var service = new CertificateAuthorityService();
        var options = new IntermediateCAOptions { ControlPlaneNamespace = ns };
        try
        {
            service.ValidateIssuer(root, options);
        }
        catch (MeshException error)
        {
            host.WriteError(error);
            return;
        }

        await ClusterWork.ForEachAsync(host, "Issuing intermediate CAs", clusters, (c, ct) => service.CreateIntermediateAsync(root, c.Name, options, ct),
            (_, ca) => into[ca.Cluster!] = ca).ConfigureAwait(false);
    }
}
