using System.Management.Automation;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Deploys one of the walkthrough's sample applications (bookinfo, sleep, helloworld) into a namespace labelled for
/// sidecar injection, from the upstream manifest or, offline, from a local file.
/// </summary>
[Cmdlet(VerbsLifecycle.Install, "MeshSample", SupportsShouldProcess = true, DefaultParameterSetName = FromUri)]
[OutputType(typeof(MeshResourceResult), typeof(MeshManifestFile))]
public sealed class InstallMeshSampleCommand : MeshExportCmdlet
{
    private const string FromUri = "Uri";
    private const string FromPath = "Path";
    private readonly List<MeshCluster> _clusters = new();

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(MeshClusterCompleter))]
    public MeshCluster[] Cluster { get; set; } = Array.Empty<MeshCluster>();

    [Parameter(Mandatory = true, Position = 1)]
    public MeshSampleName Name { get; set; }

    /// <summary>helloworld only: deploy just this version (v1 or v2), as the walkthrough does per cluster.</summary>
    [Parameter]
    [ValidateSet("v1", "v2")]
    public string? Version { get; set; }

    /// <summary>Default: the sample's name.</summary>
    [Parameter]
    [ValidatePattern(MeshNames.Dns1123LabelPattern)]
    public string? Namespace { get; set; }

    /// <summary>Where to download the manifest; default the walkthrough's upstream URL.</summary>
    [Parameter(ParameterSetName = FromUri)]
    [ValidateNotNull]
    public Uri? Uri { get; set; }

    /// <summary>A local copy of the manifest, for clusters without internet access.</summary>
    [Parameter(Mandatory = true, ParameterSetName = FromPath)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    private protected override void Process() => _clusters.AddRange(Cluster);

    private protected override void End()
    {
        var request = new SampleRequest(Name, Namespace ?? Name.ToString().ToLowerInvariant(), Version,
            Path is null ? null : GetUnresolvedProviderPathFromPSPath(Path), Uri, Force);
        var delivery = Delivery;
        Run(host => SampleDeployment.InstallAsync(host, _clusters, request, delivery));
    }
}
