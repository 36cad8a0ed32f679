using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Mesh.Resources;
using OssmMultiCluster.Model;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Mesh;

/// <summary>
/// Connect-MeshCluster's trust-domain aliases: which list each control plane gets, what is read back from a control
/// plane (and whether the module's manager owns the list), where each flavour keeps it, and the export merge.
/// </summary>
public sealed class TrustDomainAliasesTests
{
    private static readonly MeshCluster West = TestClusters.Offline("west", "west-network");
    private static readonly MeshCluster East = TestClusters.Offline("east", "east-network");
    private static readonly MeshCluster North = TestClusters.Offline("north", "north-network");
    private static readonly MeshCluster[] All = { West, East, North };

    private static ControlPlaneTrust Trust(MeshCluster cluster, string domain, bool owned = false, params string[] aliases) =>
        new(new ControlPlaneRef(MeshFlavor.Ossm2, "basic", "istio-system"), domain, aliases, owned);

    [Fact]
    public void The_aliases_are_the_other_domains_once_each_in_order_never_the_own()
    {
        Assert.Equal(new[] { "a.example", "b.example" }, TrustDomainAliases.For("west.example", new[] { "b.example", "west.example", "a.example", "b.example" }));
        Assert.Empty(TrustDomainAliases.For("cluster.local", new[] { "cluster.local", "cluster.local" }));
    }

    [Fact]
    public void Clusters_sharing_one_trust_domain_get_no_change()
    {
        var trusts = All.ToDictionary(c => c, c => (ControlPlaneTrust?)Trust(c, "cluster.local"));
        foreach (var cluster in All)
        {
            var (change, unknown) = TrustDomainAliases.ForConnect(cluster, All, trusts);
            Assert.Null(change);
            Assert.Empty(unknown);
        }
    }

    [Fact]
    public void Each_cluster_lists_every_other_clusters_domain_and_a_joining_cluster_is_added_to_the_others()
    {
        var trusts = new Dictionary<MeshCluster, ControlPlaneTrust?>
        {
            [West] = Trust(West, "west.example"),
            [East] = Trust(East, "east.example"),
        };
        Assert.Equal(new[] { "east.example" }, TrustDomainAliases.ForConnect(West, new[] { West, East }, trusts).Change!.Aliases);
        Assert.Equal(new[] { "west.example" }, TrustDomainAliases.ForConnect(East, new[] { West, East }, trusts).Change!.Aliases);

        trusts[North] = Trust(North, "north.example");
        Assert.Equal(new[] { "east.example", "north.example" }, TrustDomainAliases.ForConnect(West, All, trusts).Change!.Aliases);
        Assert.Equal(new[] { "east.example", "west.example" }, TrustDomainAliases.ForConnect(North, All, trusts).Change!.Aliases);
    }

    [Fact]
    public void A_cluster_whose_aliases_the_module_wrote_gets_an_empty_list_once_all_share_its_domain_and_foreign_aliases_are_left()
    {
        var trusts = new Dictionary<MeshCluster, ControlPlaneTrust?>
        {
            [West] = Trust(West, "cluster.local", owned: true, "east.example"),
            [East] = Trust(East, "cluster.local", owned: false, "legacy.example"),
        };
        var (west, _) = TrustDomainAliases.ForConnect(West, new[] { West, East }, trusts);
        Assert.NotNull(west);
        Assert.Empty(west!.Aliases);
        Assert.Null(TrustDomainAliases.ForConnect(East, new[] { West, East }, trusts).Change);
    }

    [Fact]
    public void Extra_aliases_go_to_every_cluster_even_when_all_share_one_domain_but_never_the_own_domain()
    {
        var trusts = All.ToDictionary(c => c, c => (ControlPlaneTrust?)Trust(c, c == North ? "north.example" : "cluster.local"));
        var extra = new[] { "old.example", "cluster.local" };
        Assert.Equal(new[] { "north.example", "old.example" }, TrustDomainAliases.ForConnect(West, All, trusts, extra).Change!.Aliases);
        Assert.Equal(new[] { "cluster.local", "old.example" }, TrustDomainAliases.ForConnect(North, All, trusts, extra).Change!.Aliases);
        Assert.Equal(new[] { "old.example" }, TrustDomainAliases.ForConnect(West, new[] { West, East }, trusts, extra).Change!.Aliases);
    }

    [Fact]
    public void An_unknown_domain_changes_nothing_and_is_named()
    {
        var trusts = new Dictionary<MeshCluster, ControlPlaneTrust?> { [West] = Trust(West, "west.example"), [East] = null };
        var (change, unknown) = TrustDomainAliases.ForConnect(West, All, trusts);
        Assert.Null(change);
        Assert.Equal(new[] { "east", "north" }, unknown);
        var (east, eastUnknown) = TrustDomainAliases.ForConnect(East, All, trusts);
        Assert.Null(east);
        Assert.Empty(eastUnknown);
    }

    [Theory]
    [InlineData(MeshFlavor.Ossm2, """{"metadata":{"managedFields":[{"manager":"ossm-multicluster-trust-domain","operation":"Apply","fieldsV1":{"f:spec":{"f:security":{"f:trust":{"f:additionalDomains":{}}}}}}]},"spec":{"security":{"trust":{"domain":"west.example","additionalDomains":["east.example"]}}}}""", "west.example", true)]
    [InlineData(MeshFlavor.Ossm2, """{"metadata":{"managedFields":[{"manager":"kubectl-patch","operation":"Update","fieldsV1":{"f:spec":{"f:security":{"f:trust":{"f:additionalDomains":{}}}}}}]},"spec":{"security":{"trust":{"additionalDomains":["east.example"]}}}}""", "cluster.local", false)]
    [InlineData(MeshFlavor.Ossm3, """{"metadata":{"managedFields":[{"manager":"ossm-multicluster-trust-domain","operation":"Apply","fieldsV1":{"f:spec":{"f:values":{"f:meshConfig":{"f:trustDomainAliases":{}}}}}}]},"spec":{"values":{"meshConfig":{"trustDomain":"west.example","trustDomainAliases":["east.example"]}}}}""", "west.example", true)]
    [InlineData(MeshFlavor.Ossm3, """{"metadata":{"managedFields":[{"manager":"ossm-multicluster","operation":"Apply","fieldsV1":{"f:spec":{"f:values":{"f:meshConfig":{"f:trustDomainAliases":{}}}}}}]},"spec":{"values":{"meshConfig":{"trustDomainAliases":["east.example"]}}}}""", "cluster.local", false)]
    public void Reads_the_domain_the_aliases_and_whether_the_module_owns_them(MeshFlavor flavor, string json, string domain, bool owned)
    {
        var trust = TrustDomainAliases.Of(new ControlPlaneRef(flavor, "cp", "istio-system"), JsonDocument.Parse(json).RootElement);
        Assert.Equal(domain, trust.TrustDomain);
        Assert.Equal(new[] { "east.example" }, trust.Aliases);
        Assert.Equal(owned, trust.Owned);
    }

    [Fact]
    public void A_control_plane_without_trust_settings_is_in_the_default_domain_with_no_aliases()
    {
        var trust = TrustDomainAliases.Of(new ControlPlaneRef(MeshFlavor.Ossm3, "default", "istio-system"), JsonDocument.Parse("""{"spec":{"values":{}}}""").RootElement);
        Assert.Equal("cluster.local", trust.TrustDomain);
        Assert.Empty(trust.Aliases);
        Assert.False(trust.Owned);
    }

    [Fact]
    public void The_partial_object_sets_exactly_the_aliases_where_each_flavor_keeps_them()
    {
        var smcp = TrustDomainAliases.Object(new ControlPlaneRef(MeshFlavor.Ossm2, "basic", "mesh-ns"), new[] { "east.example" });
        Assert.Equal(("ServiceMeshControlPlane", "mesh-ns", "basic", true), (smcp.Kind.Kind, smcp.Namespace, smcp.Name, smcp.Partial));
        Assert.Equal("""{"apiVersion":"maistra.io/v2","kind":"ServiceMeshControlPlane","metadata":{"name":"basic","namespace":"mesh-ns"},"spec":{"security":{"trust":{"additionalDomains":["east.example"]}}}}""",
            KubernetesJson.Serialize(smcp.Body));

        var istio = TrustDomainAliases.Object(new ControlPlaneRef(MeshFlavor.Ossm3, "default", "istio-system"), new[] { "east.example" });
        Assert.Equal(("Istio", null, "default", true), (istio.Kind.Kind, istio.Namespace, istio.Name, istio.Partial));
        Assert.Equal("""{"apiVersion":"sailoperator.io/v1","kind":"Istio","metadata":{"name":"default"},"spec":{"values":{"meshConfig":{"trustDomainAliases":["east.example"]}}}}""",
            KubernetesJson.Serialize(istio.Body));
    }

    [Theory]
    [InlineData(MeshFlavor.Ossm2, "west/istio-system/servicemeshcontrolplane-basic.yaml")]
    [InlineData(MeshFlavor.Ossm3, "west/_cluster/istio-default.yaml")]
    public void An_export_merges_the_aliases_and_the_mesh_networks_into_the_control_planes_file_and_a_reinstall_keeps_both(MeshFlavor flavor, string file)
    {
        using var dir = new TempDir();
        var install = ControlPlane.Objects(West, new ControlPlaneOptions { MeshId = "mesh", Flavor = flavor, TrustDomain = "west.example", Version = flavor == MeshFlavor.Ossm3 ? "v1.28.10" : null });
        var controlPlane = new ControlPlaneRef(flavor, flavor == MeshFlavor.Ossm2 ? "basic" : "default", "istio-system");
        var networks = new Dictionary<string, MeshNetwork> { ["east-network"] = new() { Endpoints = { new MeshNetworkEndpoint { FromRegistry = "east" } } } };
        var exporter = new ManifestExporter();

        exporter.Export(dir.Path, "west", install, excludeSecrets: false);
        var connect = exporter.Export(dir.Path, "west", new[] { MeshNetworks.Object(controlPlane, networks), TrustDomainAliases.Object(controlPlane, new[] { "east.example" }) }, excludeSecrets: false);
        var written = Assert.Single(connect);
        Assert.Equal(dir[file], written.Path);
        Assert.Equal(MeshFileAction.Overwritten, written.Action);
        AssertMerged(dir[file], flavor);
        exporter.Export(dir.Path, "west", install, excludeSecrets: false);
        AssertMerged(dir[file], flavor);
    }

    private static void AssertMerged(string path, MeshFlavor flavor)
    {
        var yaml = File.ReadAllText(path);
        var obj = JsonNode.Parse(flavor == MeshFlavor.Ossm2
            ? KubernetesJson.Serialize(KubernetesYaml.Deserialize<ServiceMeshControlPlane>(yaml))
            : KubernetesJson.Serialize(KubernetesYaml.Deserialize<Istio>(yaml)))!;
        var (domain, aliases, networks, mesh) = flavor == MeshFlavor.Ossm2
            ? (obj["spec"]!["security"]!["trust"]!["domain"], obj["spec"]!["security"]!["trust"]!["additionalDomains"], obj["spec"]!["cluster"]!["multiCluster"]!["meshNetworks"], obj["spec"]!["techPreview"]!["global"]!["meshID"])
            : (obj["spec"]!["values"]!["meshConfig"]!["trustDomain"], obj["spec"]!["values"]!["meshConfig"]!["trustDomainAliases"], obj["spec"]!["values"]!["global"]!["meshNetworks"], obj["spec"]!["values"]!["global"]!["meshID"]);
        Assert.Equal("west.example", domain!.GetValue<string>());
        Assert.Equal("""["east.example"]""", aliases!.ToJsonString());
        Assert.NotNull(networks!["east-network"]);
        Assert.Equal("mesh", mesh!.GetValue<string>());
    }
}
