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

    /// <summary>The parameters above, for the services that send the requests.</summary>
    private protected ProbeOptions Probe => new(Namespace, Selector, Container, Count, Pattern, Timeout);
}
