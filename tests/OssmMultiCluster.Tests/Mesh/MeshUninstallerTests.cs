using OssmMultiCluster.Model;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh;

namespace OssmMultiCluster.Tests.Mesh;

/// <summary>What each uninstall step looks for: what its install step makes, in the reverse order.</summary>
public sealed class MeshUninstallerTests
{
    [Fact]
    public void The_gateway_goes_exposure_first_and_its_Service_last()
    {
        var targets = MeshUninstaller.GatewayTargets("istio-system", "ewgw");
        Assert.Equal(new[] { "VirtualService istio-system/istiod-vs", "Gateway istio-system/istiod-gateway", "Gateway istio-system/ewgw",
            "PodDisruptionBudget istio-system/ewgw", "Deployment istio-system/ewgw", "Service istio-system/ewgw" }, targets.Select(t => t.Describe()));
        Assert.Equal(new[] { "v1", "v1beta1" }, targets.Single(t => t.Kind == KubeKind.PodDisruptionBudget).Versions);
    }

    [Fact]
    public void The_control_plane_is_the_flavours_objects_or_both_flavours_when_not_said()
    {
        Assert.Equal(new[] { "ServiceMeshControlPlane cp/basic" }, MeshUninstaller.ControlPlaneTargets(MeshFlavor.Ossm2, "cp", null).Select(t => t.Describe()));
        Assert.Equal(new[] { "PeerAuthentication cp/default", "Istio mine", "IstioCNI default" },
            MeshUninstaller.ControlPlaneTargets(MeshFlavor.Ossm3, "cp", "mine").Select(t => t.Describe()));
        Assert.Equal(4, MeshUninstaller.ControlPlaneTargets(null, "cp", null).Count);
    }

    [Fact]
    public void The_plug_in_CA_is_the_cacerts_secret_alone()
    {
        Assert.Equal(new[] { "Secret istio-system/cacerts" }, MeshUninstaller.CACertificateTargets("istio-system").Select(t => t.Describe()));
    }
}
