
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

    /// <summary>
    /// A client pod (sidecar first, then the client container) in <paramref name="ns"/>, created if need be with its
    /// namespace; <paramref name="ready"/> patches its status as a kubelet would (true: Running and ready; false:
    /// Running, client not ready; null: left Pending).
    /// </summary>
    public void ClientPod(string cluster, string ns, string name, string app, bool? ready)
    {
        using var dir = new TempDir();
        var manifest = dir["pod.yaml"];
        File.WriteAllText(manifest, $"""
            apiVersion: v1
            kind: Pod
            metadata:
              name: {name}
              namespace: {ns}
              labels: {"{"} app: {app} {"}"}
            spec:
              automountServiceAccountToken: false
              containers:
              - name: istio-proxy
                image: registry.redhat.io/openshift-service-mesh/proxyv2-rhel8
              - name: sleep
                image: curlimages/curl
            """);
        TryKubectl(cluster, "create", "namespace", ns);
        // The namespace's default service account comes from the controller manager a moment after the namespace.
        for (var attempt = 0; ; attempt++)
        {
            var (code, output) = TryKubectl(cluster, "apply", "-f", manifest);
            if (code == 0)
            {
                break;
            }

            Assert.True(attempt < 50 && output.Contains("serviceaccount", StringComparison.OrdinalIgnoreCase), output);
            Thread.Sleep(200);
        }

        if (ready is { } allReady)
        {
            var statuses = string.Join(",", new[] { "istio-proxy", "sleep" }.Select(c =>
                "{\"name\":\"" + c + "\",\"ready\":" + (allReady || c == "istio-proxy" ? "true" : "false") +
                ",\"restartCount\":0,\"image\":\"x\",\"imageID\":\"\",\"state\":{\"running\":{\"startedAt\":\"2026-01-01T00:00:00Z\"}}}"));
            Kubectl(cluster, "-n", ns, "patch", "pod", name, "--subresource=status", "--type=merge", "-p",
                "{\"status\":{\"phase\":\"Running\",\"containerStatuses\":[" + statuses + "]}}");
        }
    }

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
