using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Engine;

/// <summary>Install-MeshSample and Remove-MeshSample on the lab, from a local manifest (the lab has no internet).</summary>
[Collection("lab")]
public sealed class SampleTests
{
    private readonly LabFixture _lab;

    public SampleTests(LabFixture lab) => _lab = lab;

    private Dictionary<string, object?> Vars(params (string, object?)[] extra) =>
        _lab.Variables(extra.Append(("manifest", (object?)Path.Combine(ModuleEngine.RepoRoot, "tests", "Samples", "helloworld.yaml"))).ToArray());

    [Fact]
    public void A_version_of_helloworld_is_deployed_once_and_its_component_removed_as_the_failover_step_does()
    {
        var run = ModuleEngine.Run("""
            $c = Get-MeshCluster -Kubeconfig $west
            ($c | Install-MeshSample -Name Helloworld -Version v2 -Path $manifest -Namespace hw-test | ForEach-Object { "$($_.Kind)|$($_.Name)|$($_.Action)" }) -join ','
            ($c | Install-MeshSample -Name Helloworld -Version v2 -Path $manifest -Namespace hw-test | ForEach-Object Action | Sort-Object -Unique) -join ','
            """, Vars());
        run.AssertNoErrors();
        Assert.Equal("Namespace|hw-test|Created,Service|helloworld|Created,Deployment|helloworld-v2|Created", run.Output[0].ToString());
        Assert.Equal("Unchanged", run.Output[1].ToString());
        Assert.Equal("enabled", _lab.Kubectl("west", "get", "ns", "hw-test", "-o", "jsonpath={.metadata.labels.istio-injection}"));
        Assert.Equal("true", _lab.Kubectl("west", "-n", "hw-test", "get", "deploy", "helloworld-v2", "-o", "jsonpath={.spec.template.metadata.labels.sidecar\\.istio\\.io/inject}"));
        Assert.NotEqual(0, _lab.TryKubectl("west", "-n", "hw-test", "get", "deploy", "helloworld-v1").code);

        var removed = ModuleEngine.Run("""
            Get-MeshCluster -Kubeconfig $west | Remove-MeshSample -Name Helloworld -Namespace hw-test -Component helloworld -Confirm:$false |
                ForEach-Object { "$($_.Kind)|$($_.Name)|$($_.Action)" }
            """, Vars());
        removed.AssertNoErrors();
        Assert.Equal(new[] { "Service|helloworld|Deleted", "Deployment|helloworld-v2|Deleted" }, removed.Output.Select(o => o.ToString()));
        Assert.NotEqual(0, _lab.TryKubectl("west", "-n", "hw-test", "get", "svc", "helloworld").code);
        Assert.Equal(0, _lab.TryKubectl("west", "get", "ns", "hw-test").code);

        var whole = ModuleEngine.Run("Get-MeshCluster -Kubeconfig $west | Remove-MeshSample -Name Helloworld -Namespace hw-test -Confirm:$false | ForEach-Object Action", Vars());
        Assert.Equal("Deleted", Assert.Single(whole.Output).ToString());
    }

    [Fact]
    public async Task A_manifest_is_downloaded_from_Uri()
    {
        // A loopback web server stands in for the upstream samples site, which this machine cannot reach.
        using var listener = new System.Net.HttpListener();
        var port = 0;
        for (var candidate = 28000; port == 0 && candidate < 28100; candidate++)
        {
            try
            {
                listener.Prefixes.Clear();
                listener.Prefixes.Add($"http://127.0.0.1:{candidate}/");
                listener.Start();
                port = candidate;
            }
            catch (System.Net.HttpListenerException)
            {
                // Taken; try the next port.
            }
        }

        var manifest = File.ReadAllBytes((string)Vars()["manifest"]!);
        var served = Task.Run(async () =>
        {
            var context = await listener.GetContextAsync();
            await context.Response.OutputStream.WriteAsync(manifest);
            context.Response.Close();
            return context.Request.Url!.AbsolutePath;
        });
        var run = ModuleEngine.Run($"Get-MeshCluster -Kubeconfig $east | Install-MeshSample -Name Helloworld -Version v1 -Namespace hw-download -Uri http://127.0.0.1:{port}/samples/helloworld.yaml | ForEach-Object Name", Vars());
        run.AssertNoErrors();
        Assert.Equal("/samples/helloworld.yaml", await served);
        Assert.Equal(new[] { "hw-download", "helloworld", "helloworld-v1" }, run.Output.Select(o => o.ToString()));
    }

    [Fact]
    public void Bad_manifests_are_named_and_nothing_is_applied()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["broken.yaml"], "apiVersion: v1\nkind: Service\nmetadata: [unclosed\n");
        var run = ModuleEngine.Run("""
            $c = Get-MeshCluster -Kubeconfig $west
            $c | Install-MeshSample -Name Sleep -Path $broken -Namespace bad-sample
            $c | Install-MeshSample -Name Sleep -Path $missing -Namespace bad-sample
            """, Vars(("broken", dir["broken.yaml"]), ("missing", dir["absent.yaml"])));
        Assert.Equal(new[] { "SampleManifestInvalid,OssmMultiCluster.Commands.InstallMeshSampleCommand", "SampleManifestNotFound,OssmMultiCluster.Commands.InstallMeshSampleCommand" },
            run.Errors.Select(e => e.FullyQualifiedErrorId));
        Assert.Contains("broken.yaml", run.Errors[0].ToString());
        Assert.NotEqual(0, _lab.TryKubectl("west", "get", "ns", "bad-sample").code);
    }
}
