using OssmMultiCluster.Kube;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Fuzz;

/// <summary>
/// One test per bug the kubeconfig fuzz tests found, each with a small kubeconfig made on purpose. Before the fix, each
/// of these hung, threw something other than a MeshException, or quoted a credential.
/// </summary>
public sealed class KubeconfigRegressionTests : IClassFixture<KubeconfigCorpus>, IDisposable
{
    private readonly KubeconfigCorpus _corpus;
    private readonly TempDir _dir = new();

    public KubeconfigRegressionTests(KubeconfigCorpus corpus) => _corpus = corpus;

    public void Dispose() => _dir.Dispose();

    private MeshException Refused(string kubeconfig)
    {
        File.WriteAllText(_dir["config"], kubeconfig);
        var task = Task.Run(() => new ClusterResolver(_ => null, _dir.Path).Resolve(new ClusterSelection { Kubeconfigs = new[] { _dir["config"] } }));
        Assert.True(Task.WaitAny(new[] { task }, FuzzRunner.HangBound) == 0, "still running: a hang");
        var error = Assert.IsType<MeshException>(task.Exception?.InnerException);
        Assert.False(string.IsNullOrEmpty(error.RecommendedAction));
        var text = FuzzRunner.ErrorText(error);
        Assert.All(_corpus.Secrets, secret => Assert.DoesNotContain(secret, text));
        return error;
    }

    [Fact]
    public void Deep_nesting_is_refused_at_once()
    {
        // Was: minutes in YamlDotNet, whose time grows with the square of the depth.
        var error = Refused(_corpus.Files["token"] + "extensions: " + new string('[', 100_000) + new string(']', 100_000) + "\n");
        Assert.Equal("KubeconfigInvalid", error.ErrorId);
        Assert.Contains("64 levels", error.Message);
    }

    [Fact]
    public void An_azure_auth_provider_is_refused_with_the_clients_advice()
    {
        // Was: a plain System.Exception from KubernetesClient.
        var error = Refused(_corpus.Files["azure"]);
        Assert.Equal(("KubeconfigInvalid", MeshErrorKind.InvalidData), (error.ErrorId, error.Kind));
        Assert.Contains("kubelogin", error.Message);
    }

    [Fact]
    public void A_user_entry_without_a_name_is_refused()
    {
        // Was: NullReferenceException from KubernetesClient's user lookup.
        var error = Refused(_corpus.Files["token"].Replace("- name: west-admin\n  user:", "- user:", StringComparison.Ordinal));
        Assert.Equal("KubeconfigInvalid", error.ErrorId);
        Assert.Contains("users has no name", error.Message);
    }

    [Fact]
    public void A_client_certificate_that_does_not_decode_is_refused_by_Get_MeshCluster()
    {
        // Was: resolved, then FormatException inside the first cmdlet to contact the cluster (when it made its client).
        var error = Refused(_corpus.Files["client-certificate"].Replace(_corpus.ClientKeyData, "not*base64", StringComparison.Ordinal));
        Assert.Equal("KubeconfigInvalid", error.ErrorId);
        Assert.Contains("client certificate or key", error.Message);
    }

    [Fact]
    public void A_token_the_YAML_cannot_convert_is_not_quoted()
    {
        // Was: YamlDotNet's message (kept in the error and as its inner exception) quoted the value: the token.
        var error = Refused(_corpus.Files["token"].Replace($"token: {KubeconfigCorpus.Token}", $"token: !!int {KubeconfigCorpus.Token}", StringComparison.Ordinal));
        Assert.Equal("KubeconfigInvalid", error.ErrorId);
        Assert.Contains("line 18,", error.Message);
    }

    [Fact]
    public void A_token_where_a_context_name_belongs_is_redacted()
    {
        // Was: "Context '<the token>' is not in kubeconfig ..." (a credential pasted into the wrong field).
        var error = Refused(_corpus.Files["token"].Replace("current-context: west", $"current-context: {KubeconfigCorpus.Token}", StringComparison.Ordinal));
        Assert.Equal("ContextNotFound", error.ErrorId);
        Assert.Contains("<redacted>", error.Message);
        Assert.Equal("<redacted>", error.Target);
    }
}
