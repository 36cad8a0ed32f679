using System.Net;
using System.Security.Authentication;
using k8s.Autorest;

namespace OssmMultiCluster.Kube;

/// <summary>
/// Turns what the Kubernetes client throws into a <see cref="MeshException"/> that names the cluster, the object and
/// the server's message, with a fix. Token and key material never reach these messages: they are built from the
/// status code and the server's Status message only.
/// </summary>
internal static class KubeFailure
{
    public static bool IsKubeFailure(Exception ex) =>
        ex is HttpOperationException or HttpRequestException or AuthenticationException or System.Net.Sockets.SocketException or IOException
            || (ex is TaskCanceledException { InnerException: TimeoutException });

    public static MeshException From(Exception ex, string cluster, string what)
    {
        switch (ex)
        {
            case HttpOperationException http:
                var status = http.Response.StatusCode;
                var message = ServerMessage(http);
                return status switch
                {
                    HttpStatusCode.Unauthorized => new MeshException("ClusterUnauthorized", MeshErrorKind.PermissionDenied,
                        $"Cluster '{cluster}' rejected the credentials while {what} (401): {message}", cluster,
                        "The kubeconfig's token or certificate has expired or is wrong: log in again ('oc login') and rerun Get-MeshCluster.", ex),
                    HttpStatusCode.Forbidden => new MeshException("ClusterForbidden", MeshErrorKind.PermissionDenied,
                        $"Cluster '{cluster}' forbids {what} (403): {message}", cluster,
                        "Use a kubeconfig whose user may manage the mesh (cluster-admin, or the rights in the README).", ex),
                    HttpStatusCode.NotFound when MissingNamespace(http) is { } ns => new MeshException("NamespaceNotFound", MeshErrorKind.ObjectNotFound,
                        $"Cluster '{cluster}' has no namespace '{ns}' while {what} (404): {message}", ns,
                        $"Install the control plane (or the plug-in CA) first, which creates it, or create it ('kubectl create namespace {ns}'), or pass the right -Namespace.", ex),
                    HttpStatusCode.NotFound => new MeshException("ObjectNotFound", MeshErrorKind.ObjectNotFound,
                        $"Cluster '{cluster}' has no such resource while {what} (404): {message}", cluster,
                        "Check that the operator providing this resource is installed on the cluster.", ex),
                    HttpStatusCode.Conflict => new MeshException("FieldConflict", MeshErrorKind.ResourceExists,
                        $"On cluster '{cluster}', {what} conflicts with fields another manager owns (409): {message}", cluster,
                        "Someone else set these fields (kubectl, another tool). Rerun with -Force to take ownership, if the module's values are the ones you want.", ex),
                    HttpStatusCode.UnprocessableEntity or HttpStatusCode.BadRequest => new MeshException("ObjectInvalid", MeshErrorKind.InvalidData,
                        $"Cluster '{cluster}' refused {what} ({(int)status}): {message}", cluster,
                        "The server's message names the field; check the parameter that sets it, and the operator's version.", ex),
                    _ => new MeshException("ClusterError", MeshErrorKind.ConnectionError,
                        $"Cluster '{cluster}' failed while {what} ({(int)status}): {message}", cluster,
                        "Check the API server's health ('kubectl get --raw /readyz') and retry.", ex),
                };
            case HttpRequestException request when HasAuthenticationFailure(request):
            case AuthenticationException:
                return new MeshException("ClusterTlsFailed", MeshErrorKind.SecurityError,
                    $"The API server of cluster '{cluster}' did not present a certificate that the kubeconfig's CA signed for the name it was reached by (while {what}).", cluster,
                    "Check certificate-authority-data in the kubeconfig (the CA that signed the API server's certificate), and that the server URL's host is in " +
                    "the certificate; when it cannot be, set the name the certificate carries as the cluster's tls-server-name ('kubectl config set-cluster <name> --tls-server-name <host>').", ex);
            case TaskCanceledException { InnerException: TimeoutException }:
                return new MeshException("ClusterTimeout", MeshErrorKind.OperationTimeout,
                    $"Cluster '{cluster}' did not answer in time while {what}: {FirstLine(ex.Message)}", cluster,
                    "Check that the API server is up and not overloaded ('kubectl get --raw /readyz'); over a slow link, give each call longer with Get-MeshCluster -RequestTimeout.", ex);
            case HttpRequestException:
            case TaskCanceledException:
            case System.Net.Sockets.SocketException:
            case IOException:
                return new MeshException("ClusterUnreachable", MeshErrorKind.ConnectionError,
                    $"Cluster '{cluster}' cannot be reached while {what}: {FirstLine(ex.Message)}", cluster,
                    "Check that the API server URL in the kubeconfig is reachable from here (VPN, firewall) and that the cluster is up.", ex);
            default:
                throw new ArgumentException("Not a Kubernetes client failure.", nameof(ex), ex);
        }
    }

    private static bool HasAuthenticationFailure(Exception ex)
    {
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is AuthenticationException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The message of the server's Status (one line), else the reason phrase.</summary>
    /// <summary>The namespace a 404 says is missing (the Status's details.kind is namespaces); null for any other 404.</summary>
    internal static string? MissingNamespace(HttpOperationException http)
    {
        if (string.IsNullOrEmpty(http.Response.Content))
        {
            return null;
        }

        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(http.Response.Content);
            return document.RootElement.TryGetProperty("details", out var details) && details.ValueKind == System.Text.Json.JsonValueKind.Object
                && details.TryGetProperty("kind", out var kind) && kind.ValueKind == System.Text.Json.JsonValueKind.String && kind.GetString() == "namespaces"
                && details.TryGetProperty("name", out var name) && name.ValueKind == System.Text.Json.JsonValueKind.String
                ? name.GetString()
                : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    internal static string ServerMessage(HttpOperationException http)
    {
        var content = http.Response.Content;
        if (string.IsNullOrEmpty(content))
        {
            return http.Response.ReasonPhrase ?? http.Message;
        }

        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(content);
            return document.RootElement.TryGetProperty("message", out var message) ? message.GetString() ?? content : content;
        }
        catch (System.Text.Json.JsonException)
        {
            return FirstLine(content);
        }
    }

    private static string FirstLine(string text) => text.Split('\n')[0];
}
