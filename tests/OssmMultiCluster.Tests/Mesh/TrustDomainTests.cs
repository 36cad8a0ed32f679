using OssmMultiCluster.Model;
using System.Text.Json.Nodes;
using k8s;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Mesh;

/// <summary>Install-MeshControlPlane -TrustDomain: where each flavour keeps it, and nothing written without it.</summary>
public sealed class TrustDomainTests
{
    [Fact]
    public void The_trust_domain_goes_to_the_smcps_security_trust_domain()
    {
        var west = TestClusters.Offline("west", "west-network");
        var smcp = JsonNode.Parse(KubernetesJson.Serialize(ControlPlane.Objects(west, new ControlPlaneOptions { MeshId = "m", TrustDomain = "west.example" })[1].Body))!;
        Assert.Equal("west.example", (string?)smcp["spec"]!["security"]!["trust"]!["domain"]);
        Assert.Equal("ThirdParty", (string?)smcp["spec"]!["security"]!["identity"]!["type"]);

        var plain = JsonNode.Parse(KubernetesJson.Serialize(ControlPlane.Objects(west, new ControlPlaneOptions { MeshId = "m" })[1].Body))!;
        Assert.Null(plain["spec"]!["security"]!["trust"]);
    }

    [Fact]
    public void The_trust_domain_goes_to_the_istio_resources_mesh_config()
    {
        var east = TestClusters.Offline("east", "east-network");
        var options = new ControlPlaneOptions { MeshId = "m", Flavor = MeshFlavor.Ossm3, SkipCni = true, TrustDomain = "east.example" };
        var istio = JsonNode.Parse(KubernetesJson.Serialize(ControlPlane.Objects(east, options).Single(o => o.Kind.Kind == "Istio").Body))!;
        Assert.Equal("east.example", (string?)istio["spec"]!["values"]!["meshConfig"]!["trustDomain"]);

        var plain = JsonNode.Parse(KubernetesJson.Serialize(ControlPlane.Objects(east, options with { TrustDomain = null }).Single(o => o.Kind.Kind == "Istio").Body))!;
        Assert.Null(plain["spec"]!["values"]!["meshConfig"]!["trustDomain"]);
    }

    [Theory]
    [InlineData("cluster.local", true)]
    [InlineData("west_mesh-1.example", true)]
    [InlineData("West.Example", false)]
    [InlineData("spiffe://west", false)]
    [InlineData("west example", false)]
    public void The_parameter_pattern_takes_spiffe_trust_domains_only(string domain, bool valid) =>
        Assert.Equal(valid, System.Text.RegularExpressions.Regex.IsMatch(domain, MeshNames.TrustDomainPattern));
}
