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

    private static string Complete(string line) => $"(TabExpansion2 -inputScript '{line.Replace("'", "''")}' -cursorColumn {line.Length}).CompletionMatches.CompletionText -join ','";

    [Fact]
    public void Flavors_samples_and_components_complete_on_every_parameter_that_takes_them()
    {
        var lines = new[]
        {
            "Install-MeshControlPlane -Flavor ", "Install-MeshEastWestGateway -Flavor ", "Install-MeshEastWestGateway -Flavor O",
            "Install-MeshSample -Name ", "Remove-MeshSample -Name ", "Test-MeshFailover -Sample ", "Remove-MeshSample -Name h",
            "Remove-MeshSample -Name Bookinfo -Component ", "Remove-MeshSample -Name Bookinfo -Component r",
            "Test-MeshFailover -Sample Helloworld -Component ", "Remove-MeshSample -Component s",
        };
        var run = ModuleEngine.Run(string.Join("\n", lines.Select(Complete)));
        run.AssertNoErrors();
        Assert.Equal(new[]
        {
            "Ossm2,Ossm3", "Ossm2,Ossm3", "Ossm2,Ossm3", "Bookinfo,Helloworld,Sleep", "Bookinfo,Helloworld,Sleep", "Bookinfo,Helloworld,Sleep",
            "Helloworld", "productpage,details,reviews,ratings", "reviews,ratings", "helloworld", "sleep",
        }, run.Output.Select(o => o.ToString()));
    }

    [Fact]
    public void Cluster_and_CA_parameters_complete_with_the_session_variables_that_hold_them_and_names_with_their_names()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["config"], """
            apiVersion: v1
            kind: Config
            current-context: Prod.West/Admin
            clusters:
            - {name: c, cluster: {server: 'https://127.0.0.1:1'}}
            users:
            - {name: u, user: {token: offline}}
            contexts:
            - {name: east-admin, context: {cluster: c, user: u}}
            - {name: Prod.West/Admin, context: {cluster: c, user: u}}
            """);
        var lines = new[]
        {
            "Get-MeshStatus -Cluster ", "Connect-MeshCluster -Cluster ", "$clusters | Install-MeshControlPlane -MeshId m -Cluster ",
            "Disconnect-MeshCluster -Cluster ", "Disconnect-MeshCluster -Cluster $west -From ", "Test-MeshFailover -From $west -RemoveFrom ",
            "Test-MeshConnectivity -From ", "Wait-MeshGateway -Cluster $we",
            "New-MeshIntermediateCA -RootCA ", "Export-MeshCA -Path ./ca -InputObject ", "Install-MeshCACertificate -CertificateAuthority ",
            "New-MeshIntermediateCA -RootCA $root -ClusterName ", "Update-MeshRemoteSecret -Cluster $clusters -Source ",
            "Update-MeshRemoteSecret -Cluster $west -Source ", "Import-MeshCA -CertificatePath c.pem -ClusterName e",
            "Get-MeshCluster -Kubeconfig $config -Name ", "Get-MeshCluster -Kubeconfig $config -Context east-admin -Name ",
        };
        var run = ModuleEngine.Run("""
            $clusters = Get-MeshCluster -Kubeconfig $config -Context Prod.West/Admin, east-admin -Name west, east
            $west = $clusters[0]
            $root = New-MeshRootCA -KeySize 2048 -PregenerateKeys 0
            $westCA = $west | New-MeshIntermediateCA -RootCA $root -KeySize 2048
            $numbers = 1, 2
            $mixed = @($west, 'not a cluster')
            """ + "\n" + string.Join("\n", lines.Select(Complete)), new Dictionary<string, object?> { ["config"] = dir["config"] });
        run.AssertNoErrors();
        Assert.Equal(new[]
        {
            "$clusters,$west", "$clusters,$west", "$clusters,$west",
            "$clusters[0],$clusters[1],$west", "$clusters,$west", "$clusters[0],$clusters[1],$west",
            "$clusters[0],$clusters[1],$west", "$west,$westCA", // a typed '$' is PowerShell's own variable completion
            "$root", "$root,$westCA", "$root,$westCA",
            "east,west", "east,west",
            "west", "east",
            "prod-west-admin,east-admin", "east-admin",
        }, run.Output.Select(o => o.ToString()));
    }
}
