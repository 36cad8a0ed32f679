using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Lab;

/// <summary>The lab itself: TLS-verifying kubeconfigs, the load-balancer stand-in, the CRDs, crash clean-up.</summary>
[Collection("lab")]
public sealed class LabTests
{
    private const string WalkthroughSmcp = """
        apiVersion: maistra.io/v2
        kind: ServiceMeshControlPlane
        metadata:
          name: basic
          namespace: lab-crd-check
        spec:
          addons:
            kiali:
              enabled: false
          cluster:
            name: west-cluster
            network: west-network
            multiCluster:
              enabled: true
              meshNetworks:
                east-network:
                  endpoints:
                  - fromRegistry: east-cluster
                  gateways:
                  - address: 192.0.2.10
                    port: 15443
          general:
            logging:
              componentLevels:
                default: info
          mode: ClusterWide
          meshConfig:
            discoverySelectors:
            - matchLabels:
                istio-injection: enabled
          proxy:
            accessLogging:
              file:
                name: /dev/stdout
          security:
            dataPlane:
              mtls: true
            identity:
              type: ThirdParty
            manageNetworkPolicy: false
          techPreview:
            global:
              meshID: bookinfo-mesh
          tracing:
            type: None
        """;

    private readonly LabFixture _lab;

    public LabTests(LabFixture lab) => _lab = lab;

    [Fact]
    public void Kubeconfigs_carry_the_API_servers_CA_and_never_skip_TLS_verification()
    {
        foreach (var path in _lab.Kubeconfigs.Values)
        {
            var text = File.ReadAllText(path);
            Assert.Contains("certificate-authority-data:", text);
            Assert.DoesNotContain("insecure-skip-tls-verify", text);
        }

        Assert.Contains("v1.20", _lab.Kubectl("west", "version", "-o", "json"));
    }

    [Fact]
    public void LoadBalancer_services_get_an_ip_or_a_hostname_and_none_when_told()
    {
        _lab.Kubectl("west", "create", "namespace", "lab-lb");
        _lab.Kubectl("east", "create", "namespace", "lab-lb");
        _lab.Kubectl("west", "-n", "lab-lb", "create", "service", "loadbalancer", "gw", "--tcp=15443:15443");
        _lab.Kubectl("east", "-n", "lab-lb", "create", "service", "loadbalancer", "gw", "--tcp=15443:15443");
        _lab.Kubectl("west", "-n", "lab-lb", "create", "service", "loadbalancer", "never", "--tcp=15443:15443");
        _lab.Kubectl("west", "-n", "lab-lb", "annotate", "service", "never", "ossm-lab/ingress=none");

        Assert.StartsWith("127.100.0.", WaitFor("west", "gw", "{.status.loadBalancer.ingress[0].ip}"));
        Assert.Equal("gw.lab-lb.east.elb.lab.test", WaitFor("east", "gw", "{.status.loadBalancer.ingress[0].hostname}"));
        Thread.Sleep(TimeSpan.FromSeconds(3));
        Assert.Equal(string.Empty, _lab.Kubectl("west", "-n", "lab-lb", "get", "service", "never", "-o", "jsonpath={.status.loadBalancer.ingress}"));
    }

    [Fact]
    public void The_project_CRDs_accept_the_walkthroughs_control_plane_and_reject_wrong_types()
    {
        using var dir = new TempDir();
        _lab.Kubectl("west", "create", "namespace", "lab-crd-check");
        File.WriteAllText(dir["smcp.yaml"], WalkthroughSmcp);
        _lab.Kubectl("west", "apply", "-f", dir["smcp.yaml"]);
        Assert.Equal("bookinfo-mesh", _lab.Kubectl("west", "-n", "lab-crd-check", "get", "smcp", "basic", "-o", "jsonpath={.spec.techPreview.global.meshID}"));
        Assert.Equal("192.0.2.10", _lab.Kubectl("west", "-n", "lab-crd-check", "get", "smcp", "basic",
            "-o", "jsonpath={.spec.cluster.multiCluster.meshNetworks.east-network.gateways[0].address}"));

        File.WriteAllText(dir["bad.yaml"], WalkthroughSmcp.Replace("mtls: true", "mtls: \"yes\"").Replace("name: basic", "name: bad"));
        var (code, output) = _lab.TryKubectl("west", "apply", "--validate=false", "-f", dir["bad.yaml"]);
        Assert.NotEqual(0, code);
        Assert.Contains("must be of type boolean", output);

        foreach (var crd in new[] { "servicemeshcontrolplanes.maistra.io", "gateways.networking.istio.io", "istios.sailoperator.io", "istiocnis.sailoperator.io" })
        {
            Assert.Equal("True", _lab.Kubectl("east", "get", "crd", crd, "-o", "jsonpath={.status.conditions[?(@.type==\"Established\")].status}"));
        }
    }

    [Fact]
    public void Starting_over_a_crashed_lab_ends_what_it_left_running()
    {
        using var dir = new TempDir();
        var lab = LabFixture.LabScript;
        Run("bash", lab, "start", dir.Path, "--no-crds", "solo", "solo");
        var before = Processes(dir.Path);
        Assert.NotEmpty(before);

        // A crash: the lab was never stopped. Starting again in the same folder must not leave the old processes.
        Run("bash", lab, "start", dir.Path, "--no-crds", "solo", "solo");
        var after = Processes(dir.Path);
        Assert.Empty(before.Intersect(after));
        Assert.Contains("solo ready", Run("bash", lab, "status", dir.Path));

        Run("bash", lab, "stop", dir.Path);
        Assert.Empty(Processes(dir.Path));
    }

    private string WaitFor(string cluster, string service, string jsonPath)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var value = _lab.Kubectl(cluster, "-n", "lab-lb", "get", "service", service, "-o", $"jsonpath={jsonPath}");
            if (value.Length > 0 || DateTime.UtcNow > deadline)
            {
                return value;
            }

            Thread.Sleep(300);
        }
    }

    private static int[] Processes(string dir) =>
        Run("pgrep", "-f", dir + "/").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();

    private static string Run(string file, params string[] arguments)
    {
        var (code, stdout, stderr) = Support.Processes.Run(file, arguments);
        Assert.True(file == "pgrep" || code == 0, $"{file} {string.Join(' ', arguments)} failed: {stderr}");
        return stdout;
    }
}
