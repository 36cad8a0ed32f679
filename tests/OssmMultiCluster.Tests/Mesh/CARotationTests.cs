using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Models;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Mesh.Status;
using OssmMultiCluster.Model;
using OssmMultiCluster.Pki;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Mesh;

/// <summary>Two roots (old and new), each with intermediates for west and east; ECDSA P-256 for speed.</summary>
public sealed class RotationTestData
{
    public RotationTestData()
    {
        var service = new CertificateAuthorityService(new KeyPool());
        var key = new KeySpec(MeshKeyAlgorithm.ECDSA, 256);
        OldRoot = service.CreateRootAsync(new RootCAOptions { Key = key, CommonName = "Old Root CA" }).GetAwaiter().GetResult();
        NewRoot = service.CreateRootAsync(new RootCAOptions { Key = key, CommonName = "New Root CA" }).GetAwaiter().GetResult();
        Old = service.CreateIntermediatesAsync(OldRoot, new[] { "west", "east" }, new IntermediateCAOptions()).GetAwaiter().GetResult()
            .ToDictionary(c => c.Cluster!);
        New = service.CreateIntermediatesAsync(NewRoot, new[] { "west", "east" }, new IntermediateCAOptions()).GetAwaiter().GetResult()
            .ToDictionary(c => c.Cluster!);
    }

    public MeshCertificateAuthority OldRoot { get; }
    public MeshCertificateAuthority NewRoot { get; }
    public Dictionary<string, MeshCertificateAuthority> Old { get; }
    public Dictionary<string, MeshCertificateAuthority> New { get; }

    /// <summary>cacerts data as Install-MeshCACertificate writes it, with <paramref name="roots"/> as root-cert.pem.</summary>
    public static Dictionary<string, byte[]> Data(MeshCertificateAuthority intermediate, params MeshCertificateAuthority[] roots) => new()
    {
        ["ca-cert.pem"] = Encoding.ASCII.GetBytes(PkiFormat.ToPem(intermediate.Certificate)),
        ["ca-key.pem"] = Encoding.ASCII.GetBytes(PkiFormat.ToPem(intermediate.PrivateKey!)),
        ["cert-chain.pem"] = Encoding.ASCII.GetBytes(string.Concat(intermediate.Chain.Select(PkiFormat.ToPem))),
        ["root-cert.pem"] = Encoding.ASCII.GetBytes(string.Concat(roots.Select(r => PkiFormat.ToPem(r.Certificate)))),
    };

    internal static PlugInCAState State(string cluster, Dictionary<string, byte[]> data) => PlugInCAState.Parse(cluster, data, "istio-system");
}

public sealed class CARotationTests : IClassFixture<RotationTestData>
{
    private readonly RotationTestData _d;

    public CARotationTests(RotationTestData data) => _d = data;

    private static IReadOnlyDictionary<string, MeshCertificateAuthority> None => new Dictionary<string, MeshCertificateAuthority>();

    private Dictionary<string, PlugInCAState?> Before() => new()
    {
        ["west"] = RotationTestData.State("west", RotationTestData.Data(_d.Old["west"], _d.OldRoot)),
        ["east"] = RotationTestData.State("east", RotationTestData.Data(_d.Old["east"], _d.OldRoot)),
    };

    /// <summary>The states after applying every plan's Secret to <paramref name="states"/>.</summary>
    private static Dictionary<string, PlugInCAState?> After(Dictionary<string, PlugInCAState?> states,
        IReadOnlyList<(string Cluster, CARotationPlan? Plan, MeshException? Refused)> plans)
    {
        var next = new Dictionary<string, PlugInCAState?>(states);
        foreach (var (cluster, plan, refused) in plans)
        {
            Assert.Null(refused);
            if (plan!.Secret is { } secret)
            {
                next[cluster] = RotationTestData.State(cluster, secret.Data.ToDictionary(kv => kv.Key, kv => kv.Value));
            }
        }

        return next;
    }

    private static IReadOnlyList<X509Certificate2> Bundle(CARotationPlan plan) =>
        PlugInCAState.ReadBundle(Encoding.ASCII.GetString(plan.Secret!.Data["root-cert.pem"]), "test");

    [Fact]
    public void Reads_a_root_bundle_and_the_root_the_intermediate_chains_to()
    {
        var state = RotationTestData.State("west", RotationTestData.Data(_d.New["west"], _d.OldRoot, _d.NewRoot));
        Assert.Equal(new[] { _d.OldRoot.Certificate.Thumbprint, _d.NewRoot.Certificate.Thumbprint }, state.Roots.Select(r => r.Thumbprint));
        Assert.Equal(_d.NewRoot.Certificate.Thumbprint, state.SigningRoot!.Thumbprint);
        Assert.Equal(MeshCARotationPhase.IssuesFromNewRoot, state.PhaseFor(_d.NewRoot.Certificate));

        // Without cert-chain.pem the root that signed ca-cert.pem is found by its signature.
        var data = RotationTestData.Data(_d.Old["west"], _d.NewRoot, _d.OldRoot);
        data.Remove("cert-chain.pem");
        var noChain = RotationTestData.State("west", data);
        Assert.Equal(_d.OldRoot.Certificate.Thumbprint, noChain.SigningRoot!.Thumbprint);
        Assert.Equal(MeshCARotationPhase.TrustsBoth, noChain.PhaseFor(_d.NewRoot.Certificate));
    }

    [Fact]
    public void A_cluster_without_a_plug_in_CA_is_an_error_naming_it()
    {
        var error = Assert.Throws<MeshException>(() => PlugInCAState.Parse("west", new Dictionary<string, byte[]>(), "istio-system"));
        Assert.Equal("PlugInCAMissing", error.ErrorId);
        Assert.Equal("west", error.Target);
    }

    [Fact]
    public void Three_steps_move_every_cluster_to_the_new_root_and_each_step_rerun_changes_nothing()
    {
        var states = Before();
        var newRoot = _d.NewRoot.Certificate;

        var trust = CARotation.Plan(MeshCARotationStep.TrustBoth, states, newRoot, None, "istio-system");
        Assert.All(trust, p => Assert.True(p.Plan!.Changes));
        var west = trust.Single(p => p.Cluster == "west").Plan!;
        Assert.Equal(new[] { _d.OldRoot.Certificate.Thumbprint, newRoot.Thumbprint }, Bundle(west).Select(r => r.Thumbprint));
        foreach (var key in new[] { "ca-cert.pem", "ca-key.pem", "cert-chain.pem" })
        {
            Assert.Equal(states["west"]!.Data[key], west.Secret!.Data[key]);
        }

        states = After(states, trust);
        Assert.All(states.Values, s => Assert.Equal(MeshCARotationPhase.TrustsBoth, s!.PhaseFor(newRoot)));
        Assert.All(CARotation.Plan(MeshCARotationStep.TrustBoth, states, newRoot, None, "istio-system"), p => Assert.False(p.Plan!.Changes));

        var issue = CARotation.Plan(MeshCARotationStep.IssueFromNewRoot, states, newRoot, _d.New, "istio-system");
        var eastIssue = issue.Single(p => p.Cluster == "east").Plan!;
        Assert.Equal(PkiFormat.ToPem(_d.New["east"].Certificate), Encoding.ASCII.GetString(eastIssue.Secret!.Data["ca-cert.pem"]));
        Assert.Equal(2, Bundle(eastIssue).Count);
        states = After(states, issue);
        Assert.All(states.Values, s => Assert.Equal(MeshCARotationPhase.IssuesFromNewRoot, s!.PhaseFor(newRoot)));
        Assert.All(CARotation.Plan(MeshCARotationStep.IssueFromNewRoot, states, newRoot, None, "istio-system"), p => Assert.False(p.Plan!.Changes));

        var remove = CARotation.Plan(MeshCARotationStep.RemoveOldRoot, states, newRoot, None, "istio-system");
        Assert.All(remove, p => Assert.Equal(new[] { newRoot.Thumbprint }, Bundle(p.Plan!).Select(r => r.Thumbprint)));
        states = After(states, remove);
        Assert.All(states.Values, s => Assert.Equal(MeshCARotationPhase.Complete, s!.PhaseFor(newRoot)));
        Assert.All(CARotation.Plan(MeshCARotationStep.RemoveOldRoot, states, newRoot, None, "istio-system"), p => Assert.False(p.Plan!.Changes));
        // After the move, TrustBoth and IssueFromNewRoot are done too.
        Assert.All(CARotation.Plan(MeshCARotationStep.TrustBoth, states, newRoot, None, "istio-system"), p => Assert.False(p.Plan!.Changes));
    }

    [Fact]
    public void Steps_out_of_order_are_refused_for_the_whole_mesh()
    {
        var states = Before();
        var newRoot = _d.NewRoot.Certificate;
        var early = Assert.Throws<MeshException>(() => CARotation.Plan(MeshCARotationStep.IssueFromNewRoot, states, newRoot, _d.New, "istio-system"));
        Assert.Equal("CARotationOutOfOrder", early.ErrorId);
        Assert.Equal(MeshErrorKind.InvalidOperation, early.Kind);
        Assert.Contains("'east' does not trust the new root", early.Message);

        // West alone trusts both: IssueFromNewRoot is still refused, east is named.
        states["west"] = RotationTestData.State("west", RotationTestData.Data(_d.Old["west"], _d.OldRoot, _d.NewRoot));
        var half = Assert.Throws<MeshException>(() => CARotation.Plan(MeshCARotationStep.IssueFromNewRoot, states, newRoot, _d.New, "istio-system"));
        Assert.Contains("'east'", half.Message);
        Assert.DoesNotContain("'west'", half.Message);

        states["east"] = RotationTestData.State("east", RotationTestData.Data(_d.Old["east"], _d.OldRoot, _d.NewRoot));
        var remove = Assert.Throws<MeshException>(() => CARotation.Plan(MeshCARotationStep.RemoveOldRoot, states, newRoot, None, "istio-system"));
        Assert.Equal("CARotationOutOfOrder", remove.ErrorId);
        Assert.Contains("does not sign with an intermediate from the new root", remove.Message);

        // A cluster that could not be read blocks the step: its state is unknown.
        states["east"] = null;
        var unread = Assert.Throws<MeshException>(() => CARotation.Plan(MeshCARotationStep.IssueFromNewRoot, states, newRoot, _d.New, "istio-system"));
        Assert.Contains("'east' could not be read", unread.Message);
    }

    [Fact]
    public void IssueFromNewRoot_refuses_a_missing_intermediate_or_one_from_another_root_per_cluster()
    {
        var states = new Dictionary<string, PlugInCAState?>
        {
            ["west"] = RotationTestData.State("west", RotationTestData.Data(_d.Old["west"], _d.OldRoot, _d.NewRoot)),
            ["east"] = RotationTestData.State("east", RotationTestData.Data(_d.Old["east"], _d.OldRoot, _d.NewRoot)),
        };
        var given = new Dictionary<string, MeshCertificateAuthority> { ["west"] = _d.Old["west"] };
        var plans = CARotation.Plan(MeshCARotationStep.IssueFromNewRoot, states, _d.NewRoot.Certificate, given, "istio-system");
        Assert.Equal("IntermediateFromOtherRoot", plans.Single(p => p.Cluster == "west").Refused!.ErrorId);
        Assert.Equal("IntermediateCAMissing", plans.Single(p => p.Cluster == "east").Refused!.ErrorId);
    }

    [Fact]
    public async Task Renewal_keeps_the_bundle_and_refuses_another_root()
    {
        var state = RotationTestData.State("west", RotationTestData.Data(_d.Old["west"], _d.OldRoot));
        var renewed = await new CertificateAuthorityService(new KeyPool()).CreateIntermediateAsync(_d.OldRoot, "west", new IntermediateCAOptions());
        var plan = CARotation.PlanRenewal("west", state, _d.OldRoot, renewed, "istio-system");
        Assert.Equal(PkiFormat.ToPem(renewed.Certificate), Encoding.ASCII.GetString(plan.Secret!.Data["ca-cert.pem"]));
        Assert.Equal(new[] { _d.OldRoot.Certificate.Thumbprint }, Bundle(plan).Select(r => r.Thumbprint));

        var other = Assert.Throws<MeshException>(() => CARotation.PlanRenewal("west", state, _d.NewRoot, _d.New["west"], "istio-system"));
        Assert.Equal("RenewRootMismatch", other.ErrorId);
        var mixed = Assert.Throws<MeshException>(() => CARotation.PlanRenewal("west", state, _d.OldRoot, _d.New["west"], "istio-system"));
        Assert.Equal("IntermediateFromOtherRoot", mixed.ErrorId);
    }

    [Theory]
    [InlineData(MeshFlavor.Ossm2, "\"runtime\":{\"components\":{\"pilot\":{\"container\":{\"env\":{\"ISTIO_MULTIROOT_MESH\":\"true\"}}}}}", "\"proxy\":{\"runtime\":{\"container\":{\"env\":{\"PROXY_CONFIG_XDS_AGENT\":\"true\"}}}}")]
    [InlineData(MeshFlavor.Ossm3, "\"pilot\":{\"env\":{\"ISTIO_MULTIROOT_MESH\":\"true\"}}", "\"defaultConfig\":{\"proxyMetadata\":{\"PROXY_CONFIG_XDS_AGENT\":\"true\"}}")]
    public void Multi_root_trust_sets_exactly_the_two_variables_with_their_names_as_written(MeshFlavor flavor, string pilot, string proxy)
    {
        var obj = CARotation.MultiRootObject(new ControlPlaneRef(flavor, flavor == MeshFlavor.Ossm2 ? "basic" : "default", "istio-system"));
        var json = KubernetesJson.Serialize(obj.Body);
        Assert.Contains(pilot, json);
        Assert.Contains(proxy, json);
        Assert.DoesNotContain("meshID", json);
        Assert.DoesNotContain("version", json);
    }
}

public sealed class CARotationCheckTests : IClassFixture<RotationTestData>
{
    private readonly RotationTestData _d;

    public CARotationCheckTests(RotationTestData data) => _d = data;

    private static ClusterState Cluster(string name, Dictionary<string, byte[]> data) => new()
    {
        Cluster = TestClusters.Offline(name, $"network-{name}"),
        CaCerts = data.ToDictionary(kv => kv.Key, kv => Encoding.ASCII.GetString(kv.Value)),
    };

    [Fact]
    public void No_bundle_anywhere_means_no_rotation_check()
    {
        var states = new[] { Cluster("west", RotationTestData.Data(_d.Old["west"], _d.OldRoot)), Cluster("east", RotationTestData.Data(_d.Old["east"], _d.OldRoot)) };
        Assert.All(states, s => Assert.Null(CARotationCheck.For(s, states)));
    }

    [Fact]
    public void Tells_each_cluster_which_step_it_is_at()
    {
        var states = new[]
        {
            Cluster("west", RotationTestData.Data(_d.Old["west"], _d.OldRoot, _d.NewRoot)),
            Cluster("east", RotationTestData.Data(_d.Old["east"], _d.OldRoot)),
        };
        var west = CARotationCheck.For(states[0], states)!;
        Assert.Equal(MeshCheckStatus.Warning, west.Status);
        Assert.Contains("At step TrustBoth (1 of 3)", west.Detail);
        Assert.Contains(CARotation.Short(_d.NewRoot.Certificate), west.Detail);
        var east = CARotationCheck.For(states[1], states)!;
        Assert.Equal(MeshCheckStatus.Warning, east.Status);
        Assert.Contains("Next: Update-MeshCACertificate -Step TrustBoth", east.Detail);

        states[0] = Cluster("west", RotationTestData.Data(_d.New["west"], _d.OldRoot, _d.NewRoot));
        Assert.Contains("At step IssueFromNewRoot (2 of 3)", CARotationCheck.For(states[0], states)!.Detail);
        // East does not trust the root west now signs from: their workloads reject each other.
        var broken = CARotationCheck.For(states[1], states)!;
        Assert.Equal(MeshCheckStatus.Error, broken.Status);
        Assert.Contains("'west' signs from root", broken.Detail);

        states[1] = Cluster("east", RotationTestData.Data(_d.New["east"], _d.NewRoot));
        states[0] = Cluster("west", RotationTestData.Data(_d.New["west"], _d.OldRoot, _d.NewRoot));
        var done = CARotationCheck.For(states[1], states)!;
        Assert.Equal(MeshCheckStatus.OK, done.Status);
        Assert.Contains("At step RemoveOldRoot (3 of 3)", done.Detail);
    }

    [Fact]
    public void Bundles_that_disagree_on_the_new_root_are_an_error()
    {
        var states = new[]
        {
            Cluster("west", RotationTestData.Data(_d.Old["west"], _d.OldRoot, _d.NewRoot)),
            Cluster("east", RotationTestData.Data(_d.New["east"], _d.NewRoot, _d.OldRoot)),
        };
        var check = CARotationCheck.For(states[0], states)!;
        Assert.Equal(MeshCheckStatus.Error, check.Status);
        Assert.Contains("disagree on the new root", check.Detail);
    }
}
