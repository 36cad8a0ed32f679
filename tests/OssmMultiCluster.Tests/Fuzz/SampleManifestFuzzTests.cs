using OssmMultiCluster.Mesh;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Fuzz;

/// <summary>
/// Fuzzes the third kind of input the module parses: sample manifests (Install-MeshSample -Path/-Uri,
/// Test-MeshFailover), through Samples.Objects, with random text and text and YAML-structure mutations of the
/// helloworld manifest. Every input gives objects or a MeshException, within the hang bound; none may crash the process.
/// </summary>
public sealed class SampleManifestFuzzTests
{
    private const int Cases = 800;

    private static readonly string Helloworld = File.ReadAllText(Path.Combine(RepoPaths.Root, "tests", "Samples", "helloworld.yaml"));

    private static readonly string[] Vocabulary =
    {
        "apiVersion: v1\n", "kind: Service\n", "kind: Deployment\n", "metadata:\n", "  name: ", "spec:\n", "  ports:\n", "  - port: ", "labels:",
        "---\n", "- ", ": ", "&a ", "*a", "? ", "[", "]", "{", "}", "!!binary ", "<<: *a", "null", "~", "true", "  ", "\n",
    };

    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    public SampleManifestFuzzTests(Xunit.Abstractions.ITestOutputHelper output) => _output = output;

    [Fact]
    public void Fuzz_sample_manifests() => FuzzRunner.Run(nameof(Fuzz_sample_manifests), 7_000_000, Cases, random =>
    {
        var (text, how) = random.Next(5) switch
        {
            0 => (TextMutations.RandomText(random, 60, Vocabulary), "random text"),
            1 or 2 => TextMutations.Mutate(random, Helloworld),
            _ => YamlMutations.Mutate(random, Helloworld),
        };
        return new FuzzInput(how, Array.Empty<string>(), () => Samples.Objects(text, "fuzz.yaml", "fuzz", random.Next(2) == 0 ? null : "v1"));
    }, _output);

    [Theory]
    [InlineData("*x : 2\nb: &x 1\n", "alias")]
    [InlineData("a: &x [1]\nb: *x\n", "alias")]
    [InlineData("? [a, b]\n: c\n", "wrong shape")]
    [InlineData("apiVersion: [v1]\nkind: Service\nmetadata: {name: x}\n", "wrong shape")]
    [InlineData("apiVersion: v1\nkind: Service\nmetadata: [x]\n", "wrong shape")]
    public void Manifests_that_crashed_or_threw_raw_exceptions_are_refused_cleanly(string manifest, string why)
    {
        var error = Assert.Throws<MeshException>(() => Samples.Objects(manifest, "bad.yaml", "ns", null));
        Assert.Equal("SampleManifestInvalid", error.ErrorId);
        Assert.Equal("bad.yaml", error.Target);
        Assert.Contains(why, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deep_nesting_is_refused_before_it_is_parsed()
    {
        var error = Assert.Throws<MeshException>(() => Samples.Objects(new string('[', 100_000), "deep.yaml", "ns", null));
        Assert.Equal("SampleManifestInvalid", error.ErrorId);
        Assert.Contains("nests more than 64 levels", error.Message, StringComparison.Ordinal);
    }
}
