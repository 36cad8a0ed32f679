using OssmMultiCluster.Model;
using System.Text.Json.Nodes;
using k8s;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Mesh.Resources;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Kube;

/// <summary>
/// Install-MeshControlPlane and Connect-MeshCluster exporting into one folder: one file per object, the mesh networks
/// merged into the control plane, in either order, and a re-export of either keeps the other's part.
/// </summary>
public sealed class ManifestMergeTests
{
    private static readonly Dictionary<string, MeshNetwork> Networks = new()
    {
        ["east-network"] = new() { Endpoints = { new MeshNetworkEndpoint { FromRegistry = "east" } }, Gateways = { new MeshNetworkGateway { Address = "east.example", Port = 15443 } } },
    };

    [Theory]
    [InlineData(MeshFlavor.Ossm2, "west/istio-system/servicemeshcontrolplane-basic.yaml")]
    [InlineData(MeshFlavor.Ossm3, "west/_cluster/istio-default.yaml")]
    public void Connect_merges_its_mesh_networks_into_the_control_plane_and_a_reinstall_keeps_them(MeshFlavor flavor, string file)
    {
        using var dir = new TempDir();
        var west = TestClusters.Offline("west", "west-network");
        var install = ControlPlane.Objects(west, new ControlPlaneOptions { MeshId = "mesh", Flavor = flavor, Version = flavor == MeshFlavor.Ossm3 ? "v1.28.10" : null });
        var connect = MeshNetworks.Object(new ControlPlaneRef(flavor, flavor == MeshFlavor.Ossm2 ? "basic" : "default", "istio-system"), Networks);
        var exporter = new ManifestExporter();

        exporter.Export(dir.Path, "west", install, excludeSecrets: false);
        exporter.Export(dir.Path, "west", new[] { connect }, excludeSecrets: false);
        AssertWhole(dir[file], flavor);
        exporter.Export(dir.Path, "west", install, excludeSecrets: false);
        AssertWhole(dir[file], flavor);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(dir[file])!, flavor == MeshFlavor.Ossm2 ? "servicemeshcontrolplane-*" : "istio-*"));
    }

    [Fact]
    public void A_connect_export_without_networks_removes_them_from_the_file()
    {
        using var dir = new TempDir();
        var west = TestClusters.Offline("west", "west-network");
        var exporter = new ManifestExporter();
        var controlPlane = new ControlPlaneRef(MeshFlavor.Ossm2, "basic", "istio-system");
        exporter.Export(dir.Path, "west", ControlPlane.Objects(west, new ControlPlaneOptions { MeshId = "mesh" }), excludeSecrets: false);
        exporter.Export(dir.Path, "west", new[] { MeshNetworks.Object(controlPlane, Networks) }, excludeSecrets: false);
        exporter.Export(dir.Path, "west", new[] { MeshNetworks.Object(controlPlane, new Dictionary<string, MeshNetwork>()) }, excludeSecrets: false);
        var smcp = Read(dir["west/istio-system/servicemeshcontrolplane-basic.yaml"]);
        Assert.Equal(0, smcp["spec"]!["cluster"]!["multiCluster"]!["meshNetworks"]?.AsObject().Count ?? 0);
        Assert.Equal("west", smcp["spec"]!["cluster"]!["name"]!.GetValue<string>());
    }

    private static void AssertWhole(string path, MeshFlavor flavor)
    {
        var obj = Read(path);
        var (cluster, network, mesh, networks) = flavor == MeshFlavor.Ossm2
            ? (obj["spec"]!["cluster"]!["name"], obj["spec"]!["cluster"]!["network"], obj["spec"]!["techPreview"]!["global"]!["meshID"], obj["spec"]!["cluster"]!["multiCluster"]!["meshNetworks"])
            : (obj["spec"]!["values"]!["global"]!["multiCluster"]!["clusterName"], obj["spec"]!["values"]!["global"]!["network"], obj["spec"]!["values"]!["global"]!["meshID"], obj["spec"]!["values"]!["global"]!["meshNetworks"]);
        Assert.Equal("west", cluster!.GetValue<string>());
        Assert.Equal("west-network", network!.GetValue<string>());
        Assert.Equal("mesh", mesh!.GetValue<string>());
        Assert.Equal("east.example", networks!["east-network"]!["gateways"]![0]!["address"]!.GetValue<string>());
        if (flavor == MeshFlavor.Ossm3)
        {
            Assert.Equal("v1.28.10", obj["spec"]!["version"]!.GetValue<string>());
        }
    }

    private static JsonNode Read(string path)
    {
        var yaml = File.ReadAllText(path);
        return JsonNode.Parse(yaml.Contains("kind: Istio", StringComparison.Ordinal)
            ? KubernetesJson.Serialize(KubernetesYaml.Deserialize<Istio>(yaml))
            : KubernetesJson.Serialize(KubernetesYaml.Deserialize<ServiceMeshControlPlane>(yaml)))!;
    }
}
