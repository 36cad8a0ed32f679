using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh.Connectivity;

/// <summary>
/// How requests are sent from a client pod: the pod's namespace, label selector and container (null: its first
/// container other than istio-proxy), how many requests, a regex naming who served each answer, and how long each may take.
/// </summary>
internal sealed record ProbeOptions(string Namespace, string Selector, string? Container, int Count, string? Pattern, TimeSpan Timeout);

/// <summary>
/// Sending requests from a client pod as Test-MeshConnectivity and Test-MeshFailover do: the input checked before any
/// pod is touched, the pod found, the requests sent one after the other, each probe written as it comes back.
/// </summary>
internal static class ProbeRun
{
    /// <summary>A tester for <paramref name="url"/>; bad input fails here, before any pod is touched.</summary>
    /// <param name="exec">How commands reach the pod; default the one in use (<see cref="PodExecTransport"/>).</param>
    public static ConnectivityTester CreateTester(ProbeOptions options, string url, IPodExec? exec = null)
    {
        if (options.Timeout <= TimeSpan.Zero)
        {
            throw new MeshException("TimeoutInvalid", MeshErrorKind.InvalidArgument, $"-Timeout {options.Timeout} is not a positive time span.", options.Timeout,
                "Give how long each request may take, e.g. -Timeout 00:00:10.");
        }

        ConnectivityTester.NormalizeUrl(url);
        return new ConnectivityTester(exec ?? PodExecTransport.Create(), options.Pattern);
    }

    public static Task<ClientPod> FindClientPodAsync(MeshCluster cluster, ProbeOptions options, CancellationToken cancellation) =>
        ClientPodFinder.FindAsync(cluster, options.Namespace, options.Selector, options.Container, cancellation);

    /// <summary>Sends <see cref="ProbeOptions.Count"/> requests one after the other, writing each probe as it comes back.</summary>
    public static async Task<IReadOnlyList<MeshConnectivityProbe>> SendAsync(IMeshHost host, ConnectivityTester tester, ProbeOptions options, MeshCluster cluster,
        ClientPod pod, string url)
    {
        host.WriteVerbose($"Sending {options.Count} request(s) to {url} from pod {pod.Namespace}/{pod.Name}, container {pod.Container}, of cluster '{cluster.Name}'.");
        var probes = new List<MeshConnectivityProbe>();
        var activity = $"Sending requests to {url} from cluster '{cluster.Name}'";
        try
        {
            for (var i = 1; i <= options.Count; i++)
            {
                host.WriteProgress(activity, $"Request {i} of {options.Count}", 100 * (i - 1) / options.Count);
                var probe = await tester.ProbeAsync(cluster, pod, url, i, options.Timeout, host.Cancellation).ConfigureAwait(false);
                probes.Add(probe);
                host.WriteObject(probe);
            }
        }
        finally
        {
            host.WriteProgress(activity, string.Empty, completed: true);
        }

        return probes;
    }

    /// <summary>
    /// Test-MeshConnectivity for one client cluster: every probe, then the verdict. A failure (no client pod, no curl)
    /// is this cluster's error; the pipeline goes on with the next.
    /// </summary>
    public static async Task TestAsync(IMeshHost host, ConnectivityTester tester, ProbeOptions options, MeshCluster from, string url, int minClusters)
    {
        try
        {
            var pod = await FindClientPodAsync(from, options, host.Cancellation).ConfigureAwait(false);
            var probes = await SendAsync(host, tester, options, from, pod, url).ConfigureAwait(false);
            host.WriteObject(ConnectivityTester.Summarize(from.Name, url, probes, minClusters));
        }
        catch (MeshException error)
        {
            host.WriteError(error);
        }
    }
}
