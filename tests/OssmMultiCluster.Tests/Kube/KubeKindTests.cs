using System.Reflection;
using k8s;
using k8s.Autorest;
using k8s.Models;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh.Resources;
using OssmMultiCluster.Tests.Mesh;

namespace OssmMultiCluster.Tests.Kube;

/// <summary>
/// Where each kind the module writes lives, read from its class: the custom resources' as the real operators' CRDs
/// define them (../shared/reference/upstream/crds), the core kinds' as the Kubernetes API serves them (KubernetesClient's
/// operations, generated from that API, read a namespaced kind only under a namespace). The Pester suite's
/// Uninstall.Tests checks the same against the lab's discovery.
/// </summary>
public sealed class KubeKindTests
{
    /// <summary>Every custom-resource class of the module: a new one is checked without being listed here.</summary>
    public static TheoryData<string> CustomKinds()
    {
        var data = new TheoryData<string>();
        foreach (var type in CustomResourceTypes())
        {
            data.Add(type.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CustomKinds))]
    public void A_custom_resource_lives_where_the_real_CRD_puts_it(string typeName)
    {
        var kind = KubeKind.Of(CustomResourceTypes().Single(t => t.Name == typeName));
        var found = 0;
        foreach (var set in new[] { "ossm2", "ossm3" })
        {
            foreach (var crd in Directory.GetFiles(Path.Combine(OperatorSchemaTests.Upstream, set), "*.yaml").SelectMany(OperatorSchemaTests.Documents)
                .Where(d => d["kind"]?.GetValue<string>() == "CustomResourceDefinition"
                    && d["spec"]!["group"]!.GetValue<string>() == kind.Group && d["spec"]!["names"]!["kind"]!.GetValue<string>() == kind.Kind))
            {
                found++;
                var spec = crd["spec"]!;
                Assert.Equal(spec["names"]!["plural"]!.GetValue<string>(), kind.Plural);
                Assert.Equal(spec["scope"]!.GetValue<string>() == "Namespaced", kind.Namespaced);
                Assert.Contains(spec["versions"]!.AsArray(), v => v!["name"]!.GetValue<string>() == kind.Version && v["served"]?.GetValue<string>() == "true");
                Assert.Equal($"{kind.Plural}.{kind.Group}", crd["metadata"]!["name"]!.GetValue<string>());
            }
        }

        Assert.True(found > 0, $"no CRD defines {kind.Kind}.{kind.Group}");
    }

    public static TheoryData<string> CoreKinds() => new()
    {
        nameof(KubeKind.Namespace), nameof(KubeKind.Secret), nameof(KubeKind.Service), nameof(KubeKind.ServiceAccount), nameof(KubeKind.Deployment),
        nameof(KubeKind.ClusterRole), nameof(KubeKind.ClusterRoleBinding), nameof(KubeKind.PodDisruptionBudget),
    };

    [Theory]
    [MemberData(nameof(CoreKinds))]
    public void A_core_kind_is_namespaced_as_the_Kubernetes_API_serves_it(string name)
    {
        var kind = (KubeKind)typeof(KubeKind).GetField(name)!.GetValue(null)!;
        var model = typeof(V1Secret).Assembly.GetTypes().Single(t => t.GetCustomAttribute<KubernetesEntityAttribute>() is { } e
            && (e.Group ?? string.Empty) == kind.Group && e.ApiVersion == kind.Version && e.Kind == kind.Kind);
        Assert.Equal(kind, KubeKind.Of(model));

        // The client's reads of this model: ReadNamespacedX for a namespaced kind, ReadX for one that is not.
        var reads = typeof(IKubernetes).Assembly.GetTypes().Where(t => t.IsInterface).SelectMany(t => t.GetMethods())
            .Where(m => m.Name.StartsWith("Read", StringComparison.Ordinal) && m.Name.EndsWith("WithHttpMessagesAsync", StringComparison.Ordinal)
                && m.ReturnType.IsGenericType && m.ReturnType.GetGenericArguments()[0] == typeof(HttpOperationResponse<>).MakeGenericType(model))
            .Select(m => m.Name).Distinct().ToList();
        Assert.NotEmpty(reads);
        Assert.All(reads, read => Assert.Equal(kind.Namespaced, read.StartsWith("ReadNamespaced", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_core_kinds_carry_the_group_version_and_plural_of_KubernetesClient_models()
    {
        Assert.Equal(new KubeKind("", "v1", "Namespace", "namespaces", false), KubeKind.Namespace);
        Assert.Equal(new KubeKind("", "v1", "Secret", "secrets", true), KubeKind.Secret);
        Assert.Equal(new KubeKind("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", true), KubeKind.PodDisruptionBudget);
        Assert.Equal(new KubeKind("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", false), KubeKind.ClusterRoleBinding);
        Assert.Equal("v1", KubeKind.Secret.ApiVersion);
        Assert.Equal("apps/v1", KubeKind.Deployment.ApiVersion);
    }

    [Fact]
    public void A_new_custom_resource_starts_with_its_classes_apiVersion_and_kind()
    {
        var istio = new Istio();
        Assert.Equal(("sailoperator.io/v1", "Istio"), (istio.ApiVersion, istio.Kind));
        var smcp = new ServiceMeshControlPlane();
        Assert.Equal(("maistra.io/v2", "ServiceMeshControlPlane"), (smcp.ApiVersion, smcp.Kind));
    }

    [Fact]
    public void An_object_is_made_from_its_body_alone()
    {
        var gateway = KubeObject.Of(new Gateway { Metadata = new V1ObjectMeta { Name = "gw", NamespaceProperty = "istio-system" } });
        Assert.Equal((KubeKind.Of<Gateway>(), "istio-system", "gw"), (gateway.Kind, gateway.Namespace, gateway.Name));

        var istio = KubeObject.Of(new Istio { Metadata = new V1ObjectMeta { Name = "default" } });
        Assert.Equal((KubeKind.Of<Istio>(), (string?)null, "default"), (istio.Kind, istio.Namespace, istio.Name));

        // A core model without apiVersion and kind gets its class's, so the applied and exported body is complete.
        var secret = new V1Secret { Metadata = new V1ObjectMeta { Name = "s", NamespaceProperty = "n" } };
        Assert.Equal(KubeKind.Secret, KubeObject.Of(secret).Kind);
        Assert.Equal(("v1", "Secret"), (secret.ApiVersion, secret.Kind));
    }

    [Fact]
    public void A_version_chosen_at_run_time_comes_from_the_body()
    {
        var pdb = KubeObject.Of(new V1PodDisruptionBudget { ApiVersion = "policy/v1beta1", Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "n" } });
        Assert.Equal(KubeKind.PodDisruptionBudget.WithVersion("v1beta1"), pdb.Kind);
        Assert.Equal("PodDisruptionBudget", ((V1PodDisruptionBudget)pdb.Body).Kind);
    }

    [Fact]
    public void A_body_that_contradicts_its_class_or_scope_is_refused()
    {
        Assert.Throws<InvalidOperationException>(() => KubeObject.Of(new V1Secret { ApiVersion = "apps/v1", Metadata = new V1ObjectMeta { Name = "s", NamespaceProperty = "n" } }));
        Assert.Throws<InvalidOperationException>(() => KubeObject.Of(new V1Service { Kind = "Secret", ApiVersion = "v1", Metadata = new V1ObjectMeta { Name = "s", NamespaceProperty = "n" } }));
        Assert.Throws<InvalidOperationException>(() => KubeObject.Of(new Gateway { Metadata = new V1ObjectMeta { Name = "gw" } }));
        Assert.Throws<InvalidOperationException>(() => KubeObject.Of(new Istio { Metadata = new V1ObjectMeta { Name = "default", NamespaceProperty = "istio-system" } }));
    }

    [Fact]
    public void A_manifests_kind_is_found_among_KubernetesClient_models()
    {
        Assert.Equal(KubeKind.ServiceAccount, KubeKind.Find("v1", "ServiceAccount"));
        Assert.Equal(KubeKind.Deployment, KubeKind.Find("apps/v1", "Deployment"));
        Assert.Null(KubeKind.Find("example.com/v1", "Widget"));
    }

    private static IEnumerable<Type> CustomResourceTypes() => typeof(Istio).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && t.BaseType is { IsGenericType: true } b && b.GetGenericTypeDefinition() == typeof(CustomResource<>))
        .OrderBy(t => t.Name, StringComparer.Ordinal);
}
