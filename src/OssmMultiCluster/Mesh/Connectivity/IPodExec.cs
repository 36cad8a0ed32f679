using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh.Connectivity;

/// <summary>What a command run in a container printed, and how it ended.</summary>
internal sealed class PodExecResult
{
    public PodExecResult(string stdout, string stderr, int exitCode)
    {
        Stdout = stdout;
        Stderr = stderr;
        ExitCode = exitCode;
    }

    public string Stdout { get; }

    public string Stderr { get; }

    /// <summary>The command's exit code; 126/127 when the shell-less runtime could not start it.</summary>
    public int ExitCode { get; }
}

/// <summary>
/// The one transport boundary of the connectivity checks: run a command in a container of a pod and collect its
/// output. <see cref="KubernetesPodExec"/> is the real one; <see cref="PodExecTransport"/> picks it, or the stand-in
/// program tests name in OSSM_MULTICLUSTER_POD_EXEC, because the lab's API servers have no kubelet to exec into.
/// </summary>
internal interface IPodExec
{
    Task<PodExecResult> ExecAsync(MeshCluster cluster, string ns, string pod, string container, IReadOnlyList<string> command, CancellationToken ct);
}
