using System.Diagnostics;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh.Connectivity;

/// <summary>
/// The pod-exec transport the connectivity checks use, chosen in one place: the real pod exec, unless the environment
/// variable <c>OSSM_MULTICLUSTER_POD_EXEC</c> names a stand-in program. That variable is the documented test seam for
/// the one boundary the test lab cannot provide (it has no kubelet, so nothing can be exec'd into): the stand-in is run
/// as <c>program cluster namespace pod container command...</c>, and what it prints and its exit code are what the
/// command in the container would have printed and returned.
/// </summary>
internal static class PodExecTransport
{
    public const string StandInVariable = "OSSM_MULTICLUSTER_POD_EXEC";

    public static IPodExec Create() =>
        Environment.GetEnvironmentVariable(StandInVariable) is { Length: > 0 } program ? new StandInPodExec(program) : new KubernetesPodExec();
}

/// <summary>Runs the stand-in program named by <c>OSSM_MULTICLUSTER_POD_EXEC</c> in place of a pod exec (tests only).</summary>
internal sealed class StandInPodExec : IPodExec
{
    private readonly string _program;

    public StandInPodExec(string program) => _program = program;

    public async Task<PodExecResult> ExecAsync(MeshCluster cluster, string ns, string pod, string container, IReadOnlyList<string> command, CancellationToken ct)
    {
        var start = new ProcessStartInfo(_program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { cluster.Name, ns, pod, container }.Concat(command))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{PodExecTransport.StandInVariable}: '{_program}' did not start.");
        process.StandardInput.Close();
        using var kill = ct.Register(() =>
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        });
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        return new PodExecResult(await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false), process.ExitCode);
    }
}
