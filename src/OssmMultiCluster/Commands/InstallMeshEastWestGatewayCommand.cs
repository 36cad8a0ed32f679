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
    public string Name { get; set; } = MeshNames.EastWestGatewayName;

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
    public TimeSpan Timeout { get; set; } = MeshDefaults.ReadyTimeout;

    private protected override void End()
    {
        var options = new EastWestGatewayOptions
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

        var request = new EastWestGatewayInstallRequest(options, MyInvocation.BoundParameters.ContainsKey(nameof(Flavor)), Force)
        {
            WaitTimeout = Wait && !MyInvocation.BoundParameters.ContainsKey("WhatIf") ? Timeout : null,
        };
        var delivery = Delivery;
        Run(host => EastWestGatewayInstall.RunAsync(host, Clusters, request, delivery));
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
