using k8s;
using OssmMultiCluster.Mesh.Connectivity;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Tests.Mesh.Connectivity;

/// <summary>
/// A stand-in for the pod exec boundary (the lab has no kubelet): answers each exec with the next scripted curl
/// result and records the commands it was given.
/// </summary>
internal sealed class ScriptedPodExec : IPodExec
{
    private readonly Queue<PodExecResult> _replies;

    public ScriptedPodExec(IEnumerable<PodExecResult> replies) => _replies = new Queue<PodExecResult>(replies);

    public List<(string cluster, string ns, string pod, string container, IReadOnlyList<string> command)> Calls { get; } = new();

    public Task<PodExecResult> ExecAsync(MeshCluster cluster, string ns, string pod, string container, IReadOnlyList<string> command, CancellationToken ct)
    {
        Calls.Add((cluster.Name, ns, pod, container, command));
        return Task.FromResult(_replies.Count > 0 ? _replies.Dequeue() : throw new InvalidOperationException("no scripted reply left"));
    }

    /// <summary>What curl -sS -o - -w '\n%{http_code} %{time_total}' prints for helloworld's reply from <paramref name="version"/>.</summary>
    public static PodExecResult Helloworld(string version, double seconds = 0.0123) =>
        new($"Hello version: {version}, instance: helloworld-{version}-758dd55874-6x4t8\n\n200 {seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}", string.Empty, 0);

    public static PodExecResult Http(int status, string body, double seconds = 0.004) =>
        new($"{body}\n{status} {seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}", string.Empty, 0);

    /// <summary>curl failing to connect: exit code 7, status 000, the reason on stderr.</summary>
    public static PodExecResult ConnectFailed() =>
        new("\n000 0.001021", "curl: (7) Failed to connect to helloworld.sample port 5000 after 1 ms: Couldn't connect to server\n", 7);

    /// <summary>A client image without curl, as the API server reports it.</summary>
    public static PodExecResult NoCurl() =>
        new(string.Empty, "OCI runtime exec failed: exec failed: unable to start container process: exec: \"curl\": executable file not found in $PATH: unknown", 126);

    public const string Token = "sha256~lab-token-never-shown-0123456789";

    /// <summary>A cluster whose kubeconfig carries a token, so tests can check it appears nowhere.</summary>
    public static MeshCluster Cluster(string name = "east") =>
        new(name, name + "-network", name, "/dev/null", new KubernetesClientConfiguration { Host = "https://127.0.0.1:6443", AccessToken = Token }, null, "admin");

    public static ClientPod SleepPod => new("sleep", "sleep-5c6f6f6d7b-abcde", "sleep");
}
