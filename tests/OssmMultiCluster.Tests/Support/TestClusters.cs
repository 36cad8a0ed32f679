using OssmMultiCluster.Kube;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Tests.Support;

/// <summary>MeshCluster objects for tests that build manifests without contacting a cluster.</summary>
public static class TestClusters
{
    public static MeshCluster Offline(string name, string network, string server = "https://127.0.0.1:1")
    {
        using var dir = new TempDir();
        var path = dir["kubeconfig"];
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            current-context: {name}
            clusters:
            - name: {name}
              cluster:
                server: {server}
            contexts:
            - name: {name}
              context:
                cluster: {name}
                user: {name}
            users:
            - name: {name}
              user:
                token: offline
            """);
        return new ClusterResolver().Resolve(new ClusterSelection { Kubeconfigs = new[] { path }, Networks = new[] { network } })[0];
    }
}
