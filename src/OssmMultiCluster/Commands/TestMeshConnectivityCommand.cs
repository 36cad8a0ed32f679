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
public sealed class TestMeshConnectivityCommand : MeshProbeCmdlet
{
    private ConnectivityTester? _tester;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    [ArgumentCompleter(typeof(SingleMeshClusterCompleter))]
    public MeshCluster From { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Url { get; set; } = string.Empty;

    /// <summary>Distinct servers the verdict asks for; 0 when responses do not say who served them.</summary>
    [Parameter]
    [ValidateRange(0, 100)]
    public int MinClusters { get; set; } = 2;

    private protected override void Begin()
    {
        _tester = ProbeRun.CreateTester(Probe, Url);
    }

    private protected override void Process()
    {
        var (tester, probe, from, url, minClusters) = (_tester!, Probe, From, Url, MinClusters);
        Run(host => ProbeRun.TestAsync(host, tester, probe, from, url, minClusters));
    }
}
