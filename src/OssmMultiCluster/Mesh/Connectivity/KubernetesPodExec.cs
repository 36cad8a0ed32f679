using k8s;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh.Connectivity;

/// <summary>
/// Pod exec through the API server (the same WebSocket exec that 'oc exec' uses, channel v4), with the cluster's own
/// client and credentials.
/// </summary>
/// <remarks>
/// Limitations: no stdin and no TTY; stdout and stderr are read whole into memory (fine for curl's replies, not for
/// streaming); the exit code comes from the API server's closing Status (NonZeroExitCode). A command that cannot be
/// started ("executable file not found") comes back from the server as a failure Status: it is returned as exit code
/// 127 with the server's message on stderr, as a shell would; any other refusal is an ExecFailed error. Cannot run on
/// the test lab, which has no kubelet; it is checked on real clusters only.
/// </remarks>
internal sealed class KubernetesPodExec : IPodExec
{
    public async Task<PodExecResult> ExecAsync(MeshCluster cluster, string ns, string pod, string container, IReadOnlyList<string> command, CancellationToken ct)
    {
        string stdout = string.Empty, stderr = string.Empty;
        try
        {
            var exitCode = await cluster.Client.NamespacedPodExecAsync(pod, ns, container, command, false, async (stdIn, stdOut, stdErr) =>
            {
                using var outReader = new StreamReader(stdOut);
                using var errReader = new StreamReader(stdErr);
                var readOut = outReader.ReadToEndAsync(ct);
                var readErr = errReader.ReadToEndAsync(ct);
                stdout = await readOut.ConfigureAwait(false);
                stderr = await readErr.ConfigureAwait(false);
            }, ct).ConfigureAwait(false);
            return new PodExecResult(stdout, stderr, exitCode);
        }
        catch (KubernetesException ex) when (!ct.IsCancellationRequested)
        {
            // The server's Status when the command could not be run at all (no such executable, container not running).
            var message = ex.Status?.Message ?? ex.Message;
            if (message.Contains("executable file not found", StringComparison.OrdinalIgnoreCase)
                || message.Contains("no such file or directory", StringComparison.OrdinalIgnoreCase))
            {
                return new PodExecResult(stdout, string.IsNullOrEmpty(stderr) ? message : stderr + "\n" + message, 127);
            }

            throw ExecFailed(cluster, ns, pod, container, command, message, ex);
        }
        catch (Exception ex) when (KubeFailure.IsKubeFailure(ex) && !ct.IsCancellationRequested)
        {
            throw KubeFailure.From(ex, cluster.Name, $"running {command[0]} in pod {ns}/{pod}");
        }
        catch (System.Net.WebSockets.WebSocketException ex) when (!ct.IsCancellationRequested)
        {
            throw ExecFailed(cluster, ns, pod, container, command, ex.Message, ex);
        }
    }

    private static MeshException ExecFailed(MeshCluster cluster, string ns, string pod, string container, IReadOnlyList<string> command, string message, Exception inner) =>
        new("ExecFailed", MeshErrorKind.ConnectionError,
            $"Cluster '{cluster.Name}' could not run {command[0]} in pod {ns}/{pod}: {message}", cluster.Name,
            $"Check that you may exec into pods there and that the pod runs: 'kubectl -n {ns} exec {pod} -c {container} -- true'.", inner);
}
