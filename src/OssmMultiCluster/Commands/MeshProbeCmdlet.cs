using System.Management.Automation;
using OssmMultiCluster.Mesh.Connectivity;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// What the cmdlets that send requests from a client pod share: how the pod is found (namespace, selector,
/// container), how many requests, how long each may take, how the server is read from the answer.
/// </summary>
public abstract class MeshProbeCmdlet : MeshCmdlet
{
    /// <summary>The client pod's namespace.</summary>
    [Parameter]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string Namespace { get; set; } = "sleep";

    /// <summary>The client pod's label selector.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Selector { get; set; } = "app=sleep";

    /// <summary>The container curl runs in; default: the pod's first container other than istio-proxy.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Container { get; set; }

    [Parameter]
    [ValidateRange(1, 1000)]
    public int Count { get; set; } = 10;

    /// <summary>A regex whose first capture group, matched on the response body, names who served it.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Pattern { get; set; }

    /// <summary>How long each request may take (curl --max-time).</summary>
    [Parameter]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A tester for <paramref name="url"/>; bad input fails here, before any pod is touched.</summary>
    private protected ConnectivityTester CreateTester(string url)
    {
        if (Timeout <= TimeSpan.Zero)
        {
            throw new MeshException("TimeoutInvalid", MeshErrorKind.InvalidArgument, $"-Timeout {Timeout} is not a positive time span.", Timeout,
                "Give how long each request may take, e.g. -Timeout 00:00:10.");
        }

        ConnectivityTester.NormalizeUrl(url);
        return new ConnectivityTester(PodExecTransport.Create(), Pattern);
    }

    private protected ClientPod FindClientPod(MeshCluster cluster) => Run(ct => ClientPodFinder.FindAsync(cluster, Namespace, Selector, Container, ct));

    /// <summary>Sends -Count requests one after the other, writing each probe as it comes back.</summary>
    private protected IReadOnlyList<MeshConnectivityProbe> SendProbes(ConnectivityTester tester, MeshCluster cluster, ClientPod pod, string url)
    {
        WriteVerbose($"Sending {Count} request(s) to {url} from pod {pod.Namespace}/{pod.Name}, container {pod.Container}, of cluster '{cluster.Name}'.");
        var probes = new List<MeshConnectivityProbe>();
        var progress = NewProgress($"Sending requests to {url} from cluster '{cluster.Name}'");
        for (var i = 1; i <= Count; i++)
        {
            progress.StatusDescription = $"Request {i} of {Count}";
            progress.PercentComplete = 100 * (i - 1) / Count;
            WriteProgress(progress);
            var probe = Run(ct => tester.ProbeAsync(cluster, pod, url, i, Timeout, ct));
            probes.Add(probe);
            WriteObject(probe);
        }

        progress.RecordType = ProgressRecordType.Completed;
        WriteProgress(progress);
        return probes;
    }
}
