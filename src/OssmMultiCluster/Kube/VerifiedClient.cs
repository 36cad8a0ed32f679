using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using k8s;

namespace OssmMultiCluster.Kube;

/// <summary>
/// The one place Kubernetes clients are made: KubernetesClient's, with the API server's certificate verified as kubectl
/// does it.
/// </summary>
/// <remarks>
/// KubernetesClient's own check, for a kubeconfig that names the CA, accepts a certificate whose chain ends in that CA
/// whatever name it was issued for: the chain error that a private CA always causes makes it skip the name check. So a
/// certificate of any host the CA signed would pass for the API server. Here the name must match (the URL's host, or
/// the kubeconfig's tls-server-name, which KubernetesClient sends as the Host header and so as the TLS server name) and
/// the chain must end in one of the kubeconfig's CAs and nowhere else (as kubectl: the named CAs replace the system's).
/// </remarks>
internal static class VerifiedClient
{
    /// <param name="handlers">At least one: the client's transport is found behind them.</param>
    public static Kubernetes Create(KubernetesClientConfiguration configuration, params DelegatingHandler[] handlers)
    {
        var client = new Kubernetes(configuration, handlers);
        if (configuration.SslCaCerts is { Count: > 0 } trusted
            && Uri.TryCreate(configuration.Host, UriKind.Absolute, out var host) && host.Scheme == Uri.UriSchemeHttps)
        {
            var anchors = new X509Certificate2Collection();
            foreach (var ca in trusted)
            {
                anchors.Add(new X509Certificate2(ca.RawData));
            }

            // The client puts its SocketsHttpHandler innermost, behind the handlers given: replace its check there.
            HttpMessageHandler? inner = handlers.LastOrDefault();
            while (inner is DelegatingHandler delegating)
            {
                inner = delegating.InnerHandler;
            }

            if (inner is not SocketsHttpHandler sockets)
            {
                throw new InvalidOperationException("The Kubernetes client's transport was not found behind the module's handlers; TLS could not be set up.");
            }

            sockets.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) => Verify(anchors, certificate, errors);
        }

        return client;
    }

    /// <summary>True when the server's certificate names the host asked for and chains to one of <paramref name="trusted"/>.</summary>
    public static bool Verify(X509Certificate2Collection trusted, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var presented = new X509Certificate2(certificate);
        return chain.Build(presented);
    }
}
