using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Engine;

/// <summary>Tab completion through the engine's own TabExpansion2.</summary>
public sealed class CompletionTests
{
    [Fact]
    public void Context_completes_from_the_kubeconfig_given_and_enums_complete_their_values()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["config"], """
            apiVersion: v1
            kind: Config
            current-context: west
            clusters:
            - {name: c, cluster: {server: 'https://127.0.0.1:1'}}
            users:
            - {name: u, user: {token: offline}}
            contexts:
            - {name: west, context: {cluster: c, user: u}}
            - {name: east-admin, context: {cluster: c, user: u}}
            - {name: east-reader, context: {cluster: c, user: u}}
            """);
        var run = ModuleEngine.Run("""
            $line = "Get-MeshCluster -Kubeconfig '$config' -Context east"
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText -join ','
            $line = 'Install-MeshControlPlane -Flavor '
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText -join ','
            $line = 'Install-MeshSample -Name '
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText -join ','
            """, new Dictionary<string, object?> { ["config"] = dir["config"] });
        run.AssertNoErrors();
        Assert.Equal(new[] { "east-admin,east-reader", "Ossm2,Ossm3", "Bookinfo,Helloworld,Sleep" }, run.Output.Select(o => o.ToString()));
    }
}
