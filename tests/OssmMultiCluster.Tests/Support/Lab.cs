
namespace OssmMultiCluster.Tests.Support;

/// <summary>
/// Real Kubernetes API servers on loopback (tests/lab/lab.sh): west (load balancers get IPs), east (hostnames),
/// north, bare (no operator CRDs) and doomed (stopped by the test that needs a cluster down). Started once for the tests of
/// the "lab" collection.
/// </summary>
public sealed class LabFixture : IDisposable
{
    public static readonly string[] Clusters = { "west", "east", "north", "bare", "doomed" };

    public LabFixture()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("ossm-lab-").FullName;
        string output;
        try
        {
            output = Script(new[] { "start", Directory, "--lb-hostname", "east", "--no-crds", "bare" }.Concat(Clusters).ToArray());
        }
        catch (InvalidOperationException ex)
        {
            // Dispose never runs for a fixture whose constructor threw; keep the logs' last lines, leave nothing running.
            var logs = string.Join("\n", System.IO.Directory.EnumerateFiles(Directory, "*.log", SearchOption.AllDirectories)
                .Select(f => $"{Path.GetRelativePath(Directory, f)}: {File.ReadLines(f).LastOrDefault()}"));
            Script("stop", Directory, "--purge");
            throw new InvalidOperationException(ex.Message + "\n" + logs, ex);
        }

        Kubeconfigs = Clusters.ToDictionary(c => c, c => Path.Combine(Directory, c + ".kubeconfig"));
        Assert.All(Kubeconfigs.Values, path => Assert.Contains(path, output));
    }

    public string Directory { get; }

    public IReadOnlyDictionary<string, string> Kubeconfigs { get; }

    /// <summary>Script variables for engine tests: $west, $east, … hold the kubeconfig paths, plus <paramref name="extra"/>.</summary>
    public Dictionary<string, object?> Variables(params (string name, object? value)[] extra)
    {
        var variables = Kubeconfigs.ToDictionary(k => k.Key, k => (object?)k.Value);
        foreach (var (name, value) in extra)
        {
            variables[name] = value;
        }

        return variables;
    }

    /// <summary>A kubeconfig of a user the cluster authenticates but grants nothing.</summary>
    public string NobodyKubeconfig(string cluster) => Path.Combine(Directory, cluster + "-nobody.kubeconfig");

    public static string LabScript => Path.Combine(ModuleEngine.RepoRoot, "tests", "lab", "lab.sh");

    /// <summary>kubectl against one lab cluster; throws with kubectl's message when it fails.</summary>
    public string Kubectl(string cluster, params string[] arguments)
    {
        var (code, output) = Run("kubectl", new[] { "--kubeconfig", Kubeconfigs[cluster] }.Concat(arguments).ToArray());
        if (code != 0)
        {
            throw new InvalidOperationException($"kubectl {string.Join(' ', arguments)} on {cluster} failed: {output}");
        }

        return output;
    }

    public (int code, string output) TryKubectl(string cluster, params string[] arguments) =>
        Run("kubectl", new[] { "--kubeconfig", Kubeconfigs[cluster] }.Concat(arguments).ToArray());

    public void StopCluster(string cluster) => Script("stop-cluster", Directory, cluster);

    /// <summary>Kills only the cluster's kube-apiserver: the cluster is down, its data stays.</summary>
    public void StopApiServer(string cluster) => Script("stop-apiserver", Directory, cluster);

    /// <summary>Starts the cluster's kube-apiserver again (same port, certificates, data) and waits until it is ready.</summary>
    public void StartApiServer(string cluster) => Script("start-apiserver", Directory, cluster);

    public void Dispose() => Script("stop", Directory, "--purge");

    private static string Script(params string[] arguments)
    {
        var (code, output) = Run("bash", new[] { LabScript }.Concat(arguments).ToArray());
        if (code != 0)
        {
            throw new InvalidOperationException($"lab.sh {string.Join(' ', arguments)} failed: {output}");
        }

        return output;
    }

    private static (int code, string output) Run(string file, string[] arguments)
    {
        var (code, stdout, stderr) = Processes.Run(file, arguments);
        return (code, stdout + stderr);
    }
}

[CollectionDefinition("lab")]
public sealed class LabCollection : ICollectionFixture<LabFixture>
{
}
