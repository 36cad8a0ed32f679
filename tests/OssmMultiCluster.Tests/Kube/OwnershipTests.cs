using System.Text.Json.Nodes;
using OssmMultiCluster.Kube;

namespace OssmMultiCluster.Tests.Kube;

/// <summary>Which objects an uninstall may delete: those the module's field managers applied and nobody else configured.</summary>
public sealed class OwnershipTests
{
    private static JsonNode Object(string managedFields, string labels = "{}") =>
        JsonNode.Parse("""{"metadata":{"name":"x","labels":""" + labels + ""","managedFields":""" + managedFields + """},"spec":{}}""")!;

    private const string OursApply = """{"manager":"ossm-multicluster","operation":"Apply","fieldsV1":{"f:spec":{"f:replicas":{}}}}""";

    [Fact]
    public void An_object_the_module_applied_is_ours()
    {
        Assert.Null(Ownership.WhyNotOurs(Object($"[{OursApply}]")));
    }

    [Fact]
    public void Status_metadata_and_subresource_writers_do_not_make_an_object_theirs()
    {
        var status = """{"manager":"kube-controller-manager","operation":"Update","fieldsV1":{"f:metadata":{"f:annotations":{}},"f:status":{"f:replicas":{}}}}""";
        var subresource = """{"manager":"operator","operation":"Update","subresource":"status","fieldsV1":{"f:spec":{}}}""";
        var connect = """{"manager":"ossm-multicluster-connect","operation":"Apply","fieldsV1":{"f:spec":{"f:cluster":{}}}}""";
        Assert.Null(Ownership.WhyNotOurs(Object($"[{OursApply},{status},{subresource},{connect}]")));
    }

    [Fact]
    public void The_token_controller_filling_in_a_token_secret_does_not_make_it_theirs()
    {
        var tokenController = """{"manager":"kube-controller-manager","operation":"Update","fieldsV1":{"f:data":{".":{},"f:ca.crt":{},"f:namespace":{},"f:token":{}},"f:metadata":{"f:annotations":{"f:kubernetes.io/service-account.uid":{}}}}}""";
        Assert.Null(Ownership.WhyNotOurs(Object($"[{OursApply},{tokenController}]")));
    }

    [Fact]
    public void The_token_controller_listing_a_service_accounts_token_secrets_does_not_make_it_theirs()
    {
        var tokenController = """{"manager":"kube-controller-manager","operation":"Update","fieldsV1":{"f:secrets":{".":{},"k:{\"name\":\"reader-token-x\"}":{".":{},"f:name":{}}}}}""";
        Assert.Null(Ownership.WhyNotOurs(Object($"[{OursApply},{tokenController}]")));
    }

    [Fact]
    public void Someone_writing_other_data_into_a_token_secret_makes_it_theirs_too()
    {
        var editor = """{"manager":"kubectl-edit","operation":"Update","fieldsV1":{"f:data":{"f:token":{},"f:extra":{}}}}""";
        Assert.Equal("also managed by kubectl-edit", Ownership.WhyNotOurs(Object($"[{OursApply},{editor}]")));
    }

    [Fact]
    public void An_object_someone_else_made_is_not_ours_and_the_reason_names_them()
    {
        var kubectl = """{"manager":"kubectl-create","operation":"Update","fieldsV1":{"f:data":{"f:a":{}},"f:type":{}}}""";
        Assert.Equal("not created by the module: managed by kubectl-create", Ownership.WhyNotOurs(Object($"[{kubectl}]")));
        Assert.Equal("not created by the module: no field manager of the module and no module label", Ownership.WhyNotOurs(Object("[]")));
    }

    [Fact]
    public void An_object_of_ours_that_someone_else_configured_too_is_left()
    {
        var edit = """{"manager":"kubectl-edit","operation":"Update","fieldsV1":{"f:spec":{"f:template":{}}}}""";
        Assert.Equal("also managed by kubectl-edit", Ownership.WhyNotOurs(Object($"[{OursApply},{edit}]")));
    }

    [Fact]
    public void The_module_label_alone_marks_an_object_as_ours()
    {
        Assert.Null(Ownership.WhyNotOurs(Object("[]", """{"app.kubernetes.io/managed-by":"ossm-multicluster"}""")));
        Assert.NotNull(Ownership.WhyNotOurs(Object("[]", """{"app.kubernetes.io/managed-by":"helm"}""")));
    }

    [Fact]
    public void A_manager_whose_name_only_starts_like_the_modules_is_not_the_module()
    {
        Assert.False(Ownership.IsOurs("ossm-multiclusterx"));
        Assert.True(Ownership.IsOurs("ossm-multicluster-restart"));
    }
}
