using System.Collections;
using System.Management.Automation;
using k8s.Models;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Applies each cluster's east-west gateway (walkthrough step 8): Service, Deployment and AUTO_PASSTHROUGH Gateway,
/// optionally a PodDisruptionBudget and istiod's exposure; with -Wait, then waits for the gateways' addresses.
/// </summary>
[Cmdlet(VerbsLifecycle.Install, "MeshEastWestGateway", SupportsShouldProcess = true)]
[OutputType(typeof(MeshResourceResult), typeof(MeshGatewayAddress), typeof(MeshManifestFile))]
public sealed class InstallMeshEastWestGatewayCommand : MeshInstallCmdlet
{
    [Parameter]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string Name { get; set; } = "istio-eastwestgateway";

    /// <summary>LoadBalancer (a cloud load balancer), or NodePort for clusters without one.</summary>
    [Parameter]
    public GatewayServiceType ServiceType { get; set; } = GatewayServiceType.LoadBalancer;

    /// <summary>The Service's load-balancer annotations; default the walkthrough's AWS NLB; @{} for none (GCP, Azure).</summary>
    [Parameter]
    [ValidateNotNull]
    public Hashtable LoadBalancerAnnotation { get; set; } = new() { [EastWestGatewayOptions.AwsNlbAnnotation] = "nlb" };

    /// <summary>Gateway replicas; more than one also gets a PodDisruptionBudget (minAvailable 1).</summary>
    [Parameter]
    [ValidateRange(1, 100)]
    public int Replicas { get; set; } = 1;

    /// <summary>Container resources, e.g. @{ requests = @{ cpu = '100m'; memory = '128Mi' }; limits = @{ memory = '1Gi' } }.</summary>
    [Parameter]
    [ValidateNotNull]
    public Hashtable? Resources { get; set; }

    /// <summary>Route istiod's ports through the gateway, as primary-remote clusters need.</summary>
    [Parameter]
    public SwitchParameter ExposeIstiod { get; set; }

    /// <summary>The mesh's flavour; it decides istiod's Service name for -ExposeIstiod; not given: read from each cluster.</summary>
    [Parameter]
    public MeshFlavor Flavor { get; set; } = MeshFlavor.Ossm2;

    /// <summary>Wait for each gateway's address and output it.</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    /// <summary>With -Wait: how long to wait for each address.</summary>
    [Parameter]
    [ValidateTimeout]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(5);

    private protected override void End()
    {
        EastWestGatewayOptions options;
        options = new EastWestGatewayOptions
        {
            Namespace = Namespace,
            Name = Name,
            ServiceType = ServiceType,
            LoadBalancerAnnotations = LoadBalancerAnnotation.Cast<DictionaryEntry>().ToDictionary(e => e.Key.ToString()!, e => e.Value?.ToString() ?? string.Empty),
            Replicas = Replicas,
            Resources = ResourceRequirements(Resources),
            ExposeIstiod = ExposeIstiod,
            Flavor = Flavor,
        };

        var perCluster = new Dictionary<MeshCluster, EastWestGatewayOptions>();
        if (ExposeIstiod && !MyInvocation.BoundParameters.ContainsKey(nameof(Flavor)))
        {
            // Only -ExposeIstiod depends on the flavour (istiod-basic or istiod): read it from the cluster.
            ForEachCluster("Reading the clusters' operators", Clusters.Select(cluster => (cluster.Name,
                (Func<CancellationToken, Task<(MeshCluster, DetectedFlavor)>>)(async ct => (cluster, await OperatorDetection.DetectAsync(cluster, Namespace, ct).ConfigureAwait(false))))).ToList(),
                result =>
                {
                    WriteVerbose($"{result.Item1.Name}: flavor {result.Item2.Flavor}, read from the cluster: {result.Item2.Reason}.");
                    perCluster[result.Item1] = options with { Flavor = result.Item2.Flavor };
                });
        }
        else
        {
            foreach (var cluster in Clusters)
            {
                perCluster[cluster] = options;
            }
        }

        var plans = Clusters.Where(perCluster.ContainsKey).Select(cluster => new ClusterPlan(cluster, EastWestGateway.Objects(cluster, perCluster[cluster]),
            $"Apply east-west gateway {Namespace}/{Name} ({ServiceType}, network {cluster.Network})",
            async ct =>
            {
                var pdbVersion = Replicas > 1
                    ? await new ResourceApplier(cluster).ServedVersionAsync("policy", "poddisruptionbudgets", new[] { "v1", "v1beta1" }, ct).ConfigureAwait(false)
                    : "v1";
                return await ObjectInstaller.InstallAsync(cluster, EastWestGateway.Objects(cluster, perCluster[cluster], pdbVersion),
                    EastWestGateway.RequiredApis(perCluster[cluster]), Force, ct).ConfigureAwait(false);
            })).ToList();
        Deliver("Installing east-west gateways", plans);

        if (Wait && OutputPath is null && !MyInvocation.BoundParameters.ContainsKey("WhatIf"))
        {
            ForEachCluster("Waiting for gateway addresses",
                Clusters.Select(c => (c.Name, (Func<CancellationToken, Task<MeshGatewayAddress>>)(ct => GatewayAddresses.WaitAsync(c, Namespace, Name, Timeout, ct)))).ToList(),
                WriteObject);
        }
    }

    private static V1ResourceRequirements? ResourceRequirements(Hashtable? resources)
    {
        if (resources is null)
        {
            return null;
        }

        Dictionary<string, ResourceQuantity>? Section(string key)
        {
            if (resources[key] is not { } value)
            {
                return null;
            }

            if ((value is PSObject ps ? ps.BaseObject : value) is not IDictionary section)
            {
                throw new MeshException("ResourcesInvalid", MeshErrorKind.InvalidArgument,
                    $"-Resources.{key} is not a hashtable.", value, "Use -Resources @{ requests = @{ cpu = '100m'; memory = '128Mi' }; limits = @{ memory = '1Gi' } }.");
            }

            return section.Cast<DictionaryEntry>().ToDictionary(e => e.Key.ToString()!, e => new ResourceQuantity(e.Value?.ToString()));
        }

        var unknown = resources.Keys.Cast<object>().Select(k => k.ToString()).Where(k => k is not ("requests" or "limits")).ToList();
        if (unknown.Count > 0)
        {
            throw new MeshException("ResourcesInvalid", MeshErrorKind.InvalidArgument,
                $"-Resources has key(s) {string.Join(", ", unknown)}; only 'requests' and 'limits' are known.", unknown[0],
                "Use -Resources @{ requests = @{ cpu = '100m'; memory = '128Mi' }; limits = @{ memory = '1Gi' } }.");
        }

        return new V1ResourceRequirements { Requests = Section("requests"), Limits = Section("limits") };
    }
}
