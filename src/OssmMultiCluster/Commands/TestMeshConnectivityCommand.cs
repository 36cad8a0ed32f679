using System.Management.Automation;
using OssmMultiCluster.Mesh.Connectivity;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Sends requests with curl from a client pod (the walkthrough's sleep pod) of each -From cluster, outputs one object
/// per request, then a verdict on whether all succeeded and enough distinct servers answered.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "MeshConnectivity")]
[OutputType(typeof(MeshConnectivityProbe), typeof(MeshConnectivityResult))]
public sealed class TestMeshConnectivityCommand : MeshCmdlet
{
    private ConnectivityTester? _tester;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public MeshCluster From { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Url { get; set; } = string.Empty;

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

    /// <summary>Distinct servers the verdict asks for; 0 when responses do not say who served them.</summary>
    [Parameter]
    [ValidateRange(0, 100)]
    public int MinClusters { get; set; } = 2;

    /// <summary>A regex whose first capture group, matched on the response body, names who served it.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Pattern { get; set; }

    /// <summary>How long each request may take (curl --max-time).</summary>
    [Parameter]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    protected override void BeginProcessing()
    {
        try
        {
            if (Timeout <= TimeSpan.Zero)
            {
                throw new MeshException("TimeoutInvalid", MeshErrorKind.InvalidArgument, $"-Timeout {Timeout} is not a positive time span.", Timeout,
                    "Give how long each request may take, e.g. -Timeout 00:00:10.");
            }

            ConnectivityTester.NormalizeUrl(Url);
            _tester = new ConnectivityTester(ConnectivityTester.PodExecFactory(), Pattern);
        }
        catch (MeshException error)
        {
            ThrowMeshError(error);
        }
    }

    protected override void ProcessRecord()
    {
        try
        {
            var pod = Await(ClientPodFinder.FindAsync(From, Namespace, Selector, Container, Cancellation));
            WriteVerbose($"Sending {Count} request(s) to {Url} from pod {pod.Namespace}/{pod.Name}, container {pod.Container}, of cluster '{From.Name}'.");
            var probes = new List<MeshConnectivityProbe>();
            for (var i = 1; i <= Count; i++)
            {
                var probe = Await(_tester!.ProbeAsync(From, pod, Url, i, Timeout, Cancellation));
                probes.Add(probe);
                WriteObject(probe);
            }

            WriteObject(ConnectivityTester.Summarize(From.Name, Url, probes, MinClusters));
        }
        catch (MeshException error)
        {
            WriteMeshError(error);
        }
    }
}
