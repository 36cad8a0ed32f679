using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace OssmMultiCluster.Tests.Fuzz;

/// <summary>
/// The valid kubeconfigs the kubeconfig fuzz tests start from: the credential forms kubectl writes (bearer token, client
/// certificate, basic auth, OIDC and Azure auth providers), several contexts, a CA given as data and as a file. No exec
/// plugin: the module would run it, and a fuzzer must not run mutated commands.
/// </summary>
public sealed class KubeconfigCorpus
{
    public const string Token = "fuzz-token-4f6c1b2a9d8e7f60a1b2c3d4e5f60718";
    public const string Password = "fuzz-basic-password-0123456789abcdef";
    public const string IdToken = "eyJhbGciOiJSUzI1NiJ9.fuzz-id-token-0123456789abcdef.c2lnbmF0dXJl";
    public const string RefreshToken = "fuzz-refresh-token-0123456789abcdef";
    public const string ClientSecret = "fuzz-client-secret-0123456789abcdef";

    public KubeconfigCorpus()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var ca = new CertificateRequest("CN=fuzz-apiserver-ca", caKey, HashAlgorithmName.SHA256)
        {
            CertificateExtensions = { new X509BasicConstraintsExtension(true, false, 0, true) },
        }.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        CaPem = ca.ExportCertificatePem() + "\n";
        using var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var client = new CertificateRequest("CN=admin,O=system:masters", clientKey, HashAlgorithmName.SHA256)
            .Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), new byte[] { 1, 2, 3 });
        var caData = Base64(CaPem);
        var clientCertificateData = Base64(client.ExportCertificatePem() + "\n");
        ClientKeyData = Base64(clientKey.ExportECPrivateKeyPem() + "\n");

        Files = new Dictionary<string, string>
        {
            ["token"] = Config("west", Cluster("west", "https://127.0.0.1:6443", $"certificate-authority-data: {caData}"), User("west-admin", $"token: {Token}"),
                Context("west", "west", "west-admin", "namespace: istio-system")),
            ["client-certificate"] = Config("east", Cluster("east", "https://api.east.example.com:6443", $"certificate-authority-data: {caData}"),
                User("east-admin", $"client-certificate-data: {clientCertificateData}", $"client-key-data: {ClientKeyData}"), Context("east", "east", "east-admin")),
            ["several-contexts"] = Config("west",
                Cluster("west", "https://127.0.0.1:6443", $"certificate-authority-data: {caData}") + Cluster("east", "https://[::1]:6443", $"certificate-authority-data: {caData}"),
                User("west-admin", $"token: {Token}") + User("east-admin", "username: admin", $"password: {Password}"),
                Context("west", "west", "west-admin") + Context("default/api-east:6443/kube:admin", "east", "east-admin")),
            ["ca-file"] = Config("north", Cluster("north", "https://0.0.0.0:6443", "certificate-authority: ca.crt"), User("north-admin", $"token: {Token}"),
                Context("north", "north", "north-admin")),
            ["oidc"] = Config("oidc", Cluster("oidc", "https://127.0.0.1:6443", $"certificate-authority-data: {caData}"),
                User("oidc-user", "auth-provider:", "  name: oidc", "  config:", "    client-id: kubernetes", $"    client-secret: {ClientSecret}",
                    $"    id-token: {IdToken}", "    idp-issuer-url: https://127.0.0.1:1/issuer", $"    refresh-token: {RefreshToken}"),
                Context("oidc", "oidc", "oidc-user")),
            ["azure"] = Config("azure", Cluster("azure", "https://127.0.0.1:6443", $"certificate-authority-data: {caData}"),
                User("azure-user", "auth-provider:", "  name: azure", "  config:", $"    access-token: {IdToken}", "    apiserver-id: 00000000-0000-0000-0000-000000000000",
                    "    client-id: 11111111-1111-1111-1111-111111111111", "    tenant-id: 22222222-2222-2222-2222-222222222222",
                    $"    expires-on: \"{DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeSeconds()}\"", $"    refresh-token: {RefreshToken}"),
                Context("azure", "azure", "azure-user")),
        };
        Secrets = new[] { Token, Password, IdToken, RefreshToken, ClientSecret, ClientKeyData };
    }

    /// <summary>Kubeconfig files by the credential form they show.</summary>
    public IReadOnlyDictionary<string, string> Files { get; }

    /// <summary>The API server CA the "ca-file" kubeconfig names as ca.crt.</summary>
    public string CaPem { get; }

    public string ClientKeyData { get; }

    /// <summary>Tokens, passwords and the client key: what no error may repeat.</summary>
    public IReadOnlyList<string> Secrets { get; }

    private static string Base64(string text) => Convert.ToBase64String(Encoding.ASCII.GetBytes(text));

    private static string Config(string current, string clusters, string users, string contexts) =>
        $"apiVersion: v1\nkind: Config\ncurrent-context: {current}\nclusters:\n{clusters}contexts:\n{contexts}users:\n{users}preferences: {{}}\n";

    private static string Cluster(string name, string server, params string[] fields) =>
        $"- name: {name}\n  cluster:\n    server: {server}\n" + string.Concat(fields.Select(f => $"    {f}\n"));

    private static string User(string name, params string[] fields) =>
        $"- name: {name}\n  user:\n" + string.Concat(fields.Select(f => $"    {f}\n"));

    private static string Context(string name, string cluster, string user, params string[] fields) =>
        $"- name: '{name}'\n  context:\n    cluster: {cluster}\n    user: {user}\n" + string.Concat(fields.Select(f => $"    {f}\n"));
}
