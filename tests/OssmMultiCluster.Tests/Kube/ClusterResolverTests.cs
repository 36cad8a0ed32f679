using OssmMultiCluster.Kube;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Kube;

/// <summary>Kubeconfig resolution, kubectl's way, on kubeconfig files written here (no API server needed).</summary>
public sealed class ClusterResolverTests : IDisposable
{
    private static readonly string CaData = SelfSignedCaData();
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string SelfSignedCaData()
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=test-ca", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
        return Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(certificate.ExportCertificatePem()));
    }

    private string Kubeconfig(string file, string current, params (string context, string server)[] contexts) =>
        Write(file, current, insecure: false, contexts);

    private string Write(string file, string current, bool insecure, (string context, string server)[] contexts)
    {
        var clusters = string.Concat(contexts.Select(c => $"""
            - name: {c.context}-cluster
              cluster:
                server: {c.server}
            {(insecure ? "    insecure-skip-tls-verify: true" : $"    certificate-authority-data: {CaData}")}

            """));
        var ctx = string.Concat(contexts.Select(c => $"""
            - name: {c.context}
              context:
                cluster: {c.context}-cluster
                user: {c.context}-admin

            """));
        var users = string.Concat(contexts.Select(c => $"""
            - name: {c.context}-admin
              user:
                token: sekret-token-{c.context}

            """));
        var path = _dir[file];
        File.WriteAllText(path, $"apiVersion: v1\nkind: Config\ncurrent-context: {current}\nclusters:\n{clusters}contexts:\n{ctx}users:\n{users}");
        return path;
    }

    [Fact]
    public void Several_kubeconfigs_give_their_current_contexts_and_names_and_networks_pair_in_order()
    {
        var west = Kubeconfig("west.yaml", "west", ("west", "https://127.0.0.1:1"));
        var east = Kubeconfig("east.yaml", "east", ("east", "https://127.0.0.1:2"));
        var clusters = new ClusterResolver().Resolve(new ClusterSelection
        {
            Kubeconfigs = new[] { west, east },
            Names = new[] { "west-cluster", "east-cluster" },
            Networks = new[] { "net-a", "net-b" },
        });
        Assert.Equal(new[] { "west-cluster", "east-cluster" }, clusters.Select(c => c.Name));
        Assert.Equal(new[] { "net-a", "net-b" }, clusters.Select(c => c.Network));
        Assert.Equal(new[] { "https://127.0.0.1:1/", "https://127.0.0.1:2/" }, clusters.Select(c => c.Server.TrimEnd('/') + "/"));
        Assert.NotNull(clusters[0].CertificateAuthority);
        Assert.Equal("west-admin", clusters[0].User);
    }

    [Fact]
    public void Several_contexts_of_one_kubeconfig_and_default_names_and_networks()
    {
        var both = Kubeconfig("both.yaml", "west", ("west", "https://127.0.0.1:1"), ("east", "https://127.0.0.1:2"));
        var clusters = new ClusterResolver().Resolve(new ClusterSelection { Kubeconfigs = new[] { both }, Contexts = new[] { "east", "west" } });
        Assert.Equal(new[] { "east", "west" }, clusters.Select(c => c.Name));
        Assert.Equal(new[] { "east-network", "west-network" }, clusters.Select(c => c.Network));
    }

    [Fact]
    public void The_default_is_KUBECONFIG_merged_as_kubectl_merges_it_then_the_home_config()
    {
        var west = Kubeconfig("west.yaml", "west", ("west", "https://127.0.0.1:1"));
        var east = Kubeconfig("east.yaml", "east", ("east", "https://127.0.0.1:2"));
        var fromEnvironment = new ClusterResolver(name => name == "KUBECONFIG" ? $"{west}:{east}" : null, _dir.Path)
            .Resolve(new ClusterSelection { Contexts = new[] { "west", "east" } });
        Assert.Equal(new[] { "west", "east" }, fromEnvironment.Select(c => c.Name));

        Directory.CreateDirectory(_dir[".kube"]);
        File.Copy(east, _dir[".kube/config"]);
        var fromHome = new ClusterResolver(_ => null, _dir.Path).Resolve(new ClusterSelection());
        Assert.Equal("east", Assert.Single(fromHome).Name);
    }

    [Theory]
    [InlineData("default/api-west-example-com:6443/kube:admin", "default-api-west-example-com-6443-kube-admin")]
    [InlineData("West_Cluster", "west-cluster")]
    [InlineData("west", "west")]
    public void Names_derive_from_contexts_as_DNS_labels(string context, string expected) =>
        Assert.Equal(expected, ClusterResolver.NameFromContext(context));

    [Fact]
    public void Bad_input_is_named_with_the_fix()
    {
        var west = Kubeconfig("west.yaml", "west", ("west", "https://127.0.0.1:1"));
        var resolver = new ClusterResolver(_ => null, _dir.Path);
        MeshException Fails(ClusterSelection selection) => Assert.Throws<MeshException>(() => resolver.Resolve(selection));

        var missing = Fails(new ClusterSelection { Kubeconfigs = new[] { _dir["absent.yaml"] } });
        Assert.Equal(("KubeconfigNotFound", MeshErrorKind.ObjectNotFound), (missing.ErrorId, missing.Kind));
        Assert.Contains("absent.yaml", missing.Message);

        var context = Fails(new ClusterSelection { Kubeconfigs = new[] { west }, Contexts = new[] { "nowhere" } });
        Assert.Equal("ContextNotFound", context.ErrorId);
        Assert.Contains("west", context.RecommendedAction);

        File.WriteAllText(_dir["broken.yaml"], "apiVersion: v1\nkind: Config\nclusters: [ {name: x, cluster: {server: ");
        Assert.Equal("KubeconfigInvalid", Fails(new ClusterSelection { Kubeconfigs = new[] { _dir["broken.yaml"] } }).ErrorId);

        var insecure = Write("insecure.yaml", "west", insecure: true, new[] { ("west", "https://127.0.0.1:1") });
        var tls = Fails(new ClusterSelection { Kubeconfigs = new[] { insecure } });
        Assert.Equal(("InsecureKubeconfig", MeshErrorKind.SecurityError), (tls.ErrorId, tls.Kind));

        Assert.Equal("ParameterCountMismatch", Fails(new ClusterSelection { Kubeconfigs = new[] { west }, Names = new[] { "a", "b" } }).ErrorId);
        Assert.Equal("InvalidClusterName", Fails(new ClusterSelection { Kubeconfigs = new[] { west }, Names = new[] { "West_1" } }).ErrorId);
        Assert.Equal("InvalidNetworkName", Fails(new ClusterSelection { Kubeconfigs = new[] { west }, Networks = new[] { "net work" } }).ErrorId);
        Assert.Equal("DuplicateClusterName", Fails(new ClusterSelection { Kubeconfigs = new[] { west, west } }).ErrorId);
        Assert.Equal("ContextCountMismatch", Fails(new ClusterSelection { Kubeconfigs = new[] { west, west }, Contexts = new[] { "west" } }).ErrorId);
    }

    [Fact]
    public void No_token_appears_in_a_cluster_objects_public_properties()
    {
        var west = Kubeconfig("west.yaml", "west", ("west", "https://127.0.0.1:1"));
        var cluster = new ClusterResolver().Resolve(new ClusterSelection { Kubeconfigs = new[] { west } })[0];
        var values = typeof(OssmMultiCluster.Model.MeshCluster).GetProperties().Select(p => p.GetValue(cluster)?.ToString() ?? string.Empty);
        Assert.DoesNotContain(values, v => v.Contains("sekret-token"));
    }
}
