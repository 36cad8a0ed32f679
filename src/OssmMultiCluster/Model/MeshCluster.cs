using System.Security.Cryptography.X509Certificates;
using k8s;

namespace OssmMultiCluster.Model;

/// <summary>
/// One cluster of the mesh: its mesh name and network, and how to reach its API server. Every cmdlet that talks
/// to Kubernetes takes these from the pipeline. Credentials stay inside: no property shows a token or key.
/// </summary>
public sealed class MeshCluster
{
    private readonly Lazy<IKubernetes> _client;

    internal MeshCluster(string name, string network, string context, string kubeconfigPath,
        KubernetesClientConfiguration configuration, X509Certificate2? certificateAuthority, string? user, string? certificateAuthorityPem = null, TimeSpan? requestTimeout = null)
    {
        Name = name;
        Network = network;
        Context = context;
        KubeconfigPath = kubeconfigPath;
        Configuration = configuration;
        CertificateAuthority = certificateAuthority;
        User = user;
        CertificateAuthorityPem = certificateAuthorityPem;
        RequestTimeout = requestTimeout ?? Kube.ClusterSelection.DefaultRequestTimeout;
        _client = new Lazy<IKubernetes>(() => Kube.VerifiedClient.Create(Configuration, new Kube.ApiCallHandler(name, timeout: RequestTimeout)), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The mesh's name for the cluster (cluster.name, L= of its intermediate CA), a DNS-1123 label.</summary>
    public string Name { get; }

    /// <summary>The mesh network the cluster is on (topology.istio.io/network).</summary>
    public string Network { get; }

    /// <summary>The kubeconfig context used to reach the cluster.</summary>
    public string Context { get; }

    /// <summary>The API server URL.</summary>
    public string Server => Configuration.Host;

    public string KubeconfigPath { get; }

    /// <summary>The CA the API server's certificate is verified against; null when the system's trust store is used.</summary>
    public X509Certificate2? CertificateAuthority { get; }

    /// <summary>The kubeconfig user entry's name (never its credentials).</summary>
    public string? User { get; }

    /// <summary>Every CA the kubeconfig trusts for this server, as PEM; what remote kubeconfigs carry.</summary>
    internal string? CertificateAuthorityPem { get; }

    internal KubernetesClientConfiguration Configuration { get; }

    /// <summary>How long one API call to this cluster may take (Get-MeshCluster -RequestTimeout).</summary>
    internal TimeSpan RequestTimeout { get; }

    internal IKubernetes Client => _client.Value;

    /// <summary>The API versions the cluster serves, asked once for every cmdlet this object goes through.</summary>
    internal Kube.ServedApis Apis { get; } = new();

    public override string ToString() => Name;
}
