using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Host;

/// <summary>ossm-run, the host the README's run command and CI use, run as a process.</summary>
public sealed class OssmRunTests
{
    [Fact]
    public void The_PKI_example_runs_and_renders_through_the_modules_views()
    {
        using var dir = new TempDir();
        var (code, stdout, stderr) = OssmRun.Run("examples/pki.ps1", "-OutputPath", dir["cacerts"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("Kind         Cluster          Subject", stdout);
        Assert.Contains("Folder: east", stdout);
        Assert.Contains("Imported 3 CAs", stdout);
        Assert.DoesNotContain("PRIVATE KEY", stdout + stderr);
        Assert.Contains(": OK", OpenSsl.Ok(dir["cacerts/east"], "verify", "-CAfile", "root-cert.pem", "cert-chain.pem"));
    }

    [Fact]
    public void The_lab_example_runs_the_whole_walkthrough_pipeline_and_stops_its_lab()
    {
        using var dir = new TempDir();
        var (code, stdout, stderr) = OssmRun.Run("examples/lab-mesh.ps1", "-LabPath", dir["lab"]);
        Assert.True(code == 0, stderr);
        foreach (var expected in new[] { "cacerts", "ServiceMeshControlPlane", "istio-eastwestgateway", "istio-remote-secret-east", "127.100.0.1" })
        {
            Assert.Contains(expected, stdout);
        }

        Assert.Matches(@"\s4 Unchanged", stdout);
        Assert.False(Directory.Exists(dir["lab"]), "the example stops and removes its lab");
    }

    [Fact]
    public void Errors_set_the_exit_code_and_show_the_error_id()
    {
        var (code, _, stderr) = OssmRun.Run("-c", "'west', 'Not_A_Label' | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048 -PregenerateKeys 0) | Out-Null");
        Assert.Equal(1, code);
        Assert.Contains("Not_A_Label", stderr);

        var (thrown, _, thrownErr) = OssmRun.Run("-c", "$ErrorActionPreference = 'Stop'; New-MeshRootCA -KeySize 1024");
        Assert.Equal(1, thrown);
        Assert.Contains("KeySizeTooSmall", thrownErr);
    }

    [Fact]
    public void Exit_codes_usage_and_a_missing_module_are_reported()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["exit.ps1"], "exit 3");
        Assert.Equal(3, OssmRun.Run("--no-module", dir["exit.ps1"]).exitCode);
        Assert.Equal(0, OssmRun.Run("--help").exitCode);
        var (code, _, stderr) = OssmRun.Run("--module", dir["absent.psd1"], "-c", "1");
        Assert.Equal(2, code);
        Assert.Contains("absent.psd1", stderr);
    }
}
