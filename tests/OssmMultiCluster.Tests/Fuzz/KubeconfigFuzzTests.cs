using System.Text;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Model;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Fuzz;

/// <summary>
/// Fuzzes the module's kubeconfig input through ClusterResolver.Resolve, as Get-MeshCluster calls it, with kubeconfig
/// files: random bytes, random YAML-like text, and text and YAML-structure mutations of <see cref="KubeconfigCorpus"/>.
/// A cluster that resolves must also give a client (what the first cmdlet to contact it does). Every other input must
/// fail with a MeshException that repeats no token, password or key, within <see cref="FuzzRunner.HangBound"/>.
/// </summary>
public sealed class KubeconfigFuzzTests : IClassFixture<KubeconfigCorpus>, IDisposable
{
    private const int Cases = 1000;

    private static readonly string[] Vocabulary =
    {
        "apiVersion: v1\n", "kind: Config\n", "clusters:\n", "contexts:\n", "users:\n", "current-context: ", "- name: ", "  cluster:\n", "    server: ",
        "https://127.0.0.1:6443", "certificate-authority-data: ", "insecure-skip-tls-verify: ", "  context:\n", "    user: ", "namespace: ", "token: ",
        "client-certificate-data: ", "client-key-data: ", "username: ", "password: ", "auth-provider:", "config:", "  ", "    ", "- ", ": ", "&a ", "*a",
        "!!binary ", "!!map ", "---\n", "...\n", "? ", "%YAML 1.2\n", "%TAG ! tag:x,2000:\n", "<<: *a", "null", "~", "true",
    };

    private readonly KubeconfigCorpus _corpus;
    private readonly Xunit.Abstractions.ITestOutputHelper _output;
    private readonly TempDir _dir = new();

    public KubeconfigFuzzTests(KubeconfigCorpus corpus, Xunit.Abstractions.ITestOutputHelper output)
    {
        (_corpus, _output) = (corpus, output);
        File.WriteAllText(_dir["ca.crt"], corpus.CaPem);
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Fuzz_kubeconfig_files() => FuzzRunner.Run(nameof(Fuzz_kubeconfig_files), 5_000_000, Cases, random =>
    {
        var seed = random.Pick(_corpus.Files.Keys.ToList());
        var (bytes, how) = Input(random, _corpus.Files[seed]);
        var path = _dir["config"];
        File.WriteAllBytes(path, bytes);
        var selection = new ClusterSelection
        {
            Kubeconfigs = new[] { path },
            Contexts = random.Next(4) == 0 ? new[] { random.Pick(new[] { "west", "east", "oidc", "nowhere" }) } : null,
        };
        return new FuzzInput($"{seed}: {how}", _corpus.Secrets, () => Touch(new ClusterResolver(_ => null, _dir.Path).Resolve(selection)));
    }, _output);

    [Fact]
    public void Fuzz_merged_KUBECONFIG_files() => FuzzRunner.Run(nameof(Fuzz_merged_KUBECONFIG_files), 6_000_000, Cases / 2, random =>
    {
        var first = random.Pick(_corpus.Files.Keys.ToList());
        var second = random.Pick(_corpus.Files.Keys.ToList());
        var mutateFirst = random.Next(2) == 0;
        var (bytes, how) = Input(random, _corpus.Files[mutateFirst ? first : second]);
        File.WriteAllBytes(_dir["first"], mutateFirst ? bytes : Encoding.UTF8.GetBytes(_corpus.Files[first]));
        File.WriteAllBytes(_dir["second"], mutateFirst ? Encoding.UTF8.GetBytes(_corpus.Files[second]) : bytes);
        var variable = $"{_dir["first"]}{Path.PathSeparator}{_dir["second"]}";
        return new FuzzInput($"{first}+{second}, {(mutateFirst ? "first" : "second")}: {how}", _corpus.Secrets,
            () => Touch(new ClusterResolver(name => name == "KUBECONFIG" ? variable : null, _dir.Path).Resolve(new ClusterSelection())));
    }, _output);

    /// <summary>What Get-MeshCluster's output and the next cmdlet read of each cluster, the client included.</summary>
    private static void Touch(IReadOnlyList<MeshCluster> clusters)
    {
        foreach (var cluster in clusters)
        {
            _ = (cluster.Name, cluster.Network, cluster.Context, cluster.Server, cluster.User, cluster.CertificateAuthority?.Subject, cluster.ToString(), cluster.Client);
        }
    }

    private static (byte[] bytes, string how) Input(Random random, string seed)
    {
        switch (random.Next(20))
        {
            case 0:
                return (TextMutations.RandomBytes(random, 4096), "random bytes");
            case 1:
                return (Encoding.UTF8.GetBytes(TextMutations.RandomText(random, 80, Vocabulary)), "random YAML-like text");
            case 2:
                return (Encoding.UTF8.GetBytes(seed + "---\n" + seed), "two documents");
        }

        var text = seed;
        var steps = new List<string>();
        for (var i = random.Next(1, 4); i > 0; i--)
        {
            string how;
            (text, how) = random.Next(3) == 0 ? TextMutations.Mutate(random, text) : YamlMutations.Mutate(random, text);
            steps.Add(how);
        }

        return (Encoding.UTF8.GetBytes(text), string.Join(", then ", steps));
    }
}
