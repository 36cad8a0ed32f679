using System.Text.Json.Nodes;
using OssmMultiCluster.Kube;

namespace OssmMultiCluster.Tests.Kube;

/// <summary>
/// Whether an apply changed an object: decided on the fields the apply sets and the applier's own managedFields entry,
/// never on what a controller wrote meanwhile (the race seen in a full run: the deployment controller's revision
/// annotation landing between the read before an apply and the apply).
/// </summary>
public sealed class ApplyOutcomeTests
{
    private const string Ours = """[{"manager":"ossm-multicluster","operation":"Apply","fieldsV1":{"f:spec":{"f:replicas":{},"f:template":{}}}}]""";

    private static JsonNode Deployment(string annotations = "{}", string image = "hello:v2", string ports = """[{"containerPort":5000,"protocol":"TCP"}]""", string managed = Ours) =>
        JsonNode.Parse($$$"""
            {"apiVersion":"apps/v1","kind":"Deployment",
             "metadata":{"name":"helloworld-v2","namespace":"hw","annotations":{{{annotations}}},"managedFields":{{{managed}}}},
             "spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"hello","image":"{{{image}}}","imagePullPolicy":"IfNotPresent","ports":{{{ports}}}}]} } } }
            """)!;

    private static readonly JsonNode Applied = JsonNode.Parse("""
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"helloworld-v2","namespace":"hw"},
         "spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"hello","image":"hello:v2","ports":[{"containerPort":5000}]}]}}}}
        """)!;

    [Fact]
    public void A_controller_annotating_between_read_and_apply_is_not_a_change_the_apply_made()
    {
        var before = Deployment();
        var after = Deployment(annotations: """{"deployment.kubernetes.io/revision":"1"}""");
        Assert.True(ResourceApplier.SameAsApplied(before, after, Applied));
    }

    [Fact]
    public void Defaults_the_server_added_on_both_sides_are_not_a_change()
    {
        Assert.True(ResourceApplier.SameAsApplied(Deployment(), Deployment(), Applied));
    }

    [Fact]
    public void A_field_the_apply_sets_taking_a_new_value_is_a_change()
    {
        Assert.False(ResourceApplier.SameAsApplied(Deployment(image: "hello:v1"), Deployment(), Applied));
    }

    [Fact]
    public void A_list_element_dropped_by_the_apply_is_a_change()
    {
        var before = Deployment(ports: """[{"containerPort":5000,"protocol":"TCP"},{"containerPort":9080,"protocol":"TCP"}]""");
        Assert.False(ResourceApplier.SameAsApplied(before, Deployment(), Applied));
    }

    [Fact]
    public void A_field_the_applier_gave_up_shows_in_its_managed_fields_and_is_a_change()
    {
        var before = Deployment(managed: """[{"manager":"ossm-multicluster","operation":"Apply","fieldsV1":{"f:spec":{"f:replicas":{},"f:paused":{},"f:template":{}}}}]""");
        Assert.False(ResourceApplier.SameAsApplied(before, Deployment(), Applied));
    }

    [Fact]
    public void Projection_keeps_only_the_applied_paths()
    {
        var projected = ResourceApplier.Project(Deployment(annotations: """{"a":"b"}"""), JsonNode.Parse("""{"metadata":{"name":"x"},"spec":{"replicas":3}}"""));
        Assert.Equal("""{"metadata":{"name":"helloworld-v2"},"spec":{"replicas":1}}""", projected!.ToJsonString());
    }
}
