using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Host;

/// <summary>
/// The module keeps its own KubernetesClient, YamlDotNet and BouncyCastle in its own load context: another module's
/// older versions, loaded first into the session, break nothing. Run in a fresh ossm-run process, where nothing else
/// of the module is loaded, as in a user's pwsh session.
/// </summary>
public sealed class DependencyIsolationTests
{
    private static string Package(string id, string version, string file) =>
        Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
            id, version, "lib", "net6.0", file);

    [Fact]
    public void The_module_works_in_a_session_that_already_loaded_other_YamlDotNet_and_BouncyCastle_versions()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["kubeconfig"], """
            apiVersion: v1
            kind: Config
            current-context: west
            clusters:
            - name: west
              cluster:
                server: https://api.west.example.com:6443
            contexts:
            - name: west
              context: {cluster: west, user: west}
            users:
            - name: west
              user: {token: offline}
            """);
        File.WriteAllText(dir["isolation.ps1"], """
            param($Yaml, $BouncyCastle, $Module, $Out, $Kubeconfig)
            $ErrorActionPreference = 'Stop'
            $null = [Reflection.Assembly]::LoadFrom($Yaml)
            $null = [Reflection.Assembly]::LoadFrom($BouncyCastle)
            Import-Module $Module
            $root = New-MeshRootCA -KeySize 2048 -PregenerateKeys 0
            $null = @($root) + @('west' | New-MeshIntermediateCA -RootCA $root) | Export-MeshCA -Path "$Out/pki"
            'imported=' + @(Import-MeshCA -Path "$Out/pki").Count
            $null = Get-MeshCluster -Kubeconfig $Kubeconfig | Install-MeshControlPlane -MeshId bookinfo-mesh -OutputPath "$Out/gitops"
            'exported=' + (Test-Path "$Out/gitops/west/istio-system/servicemeshcontrolplane-basic.yaml")
            [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -in 'YamlDotNet', 'BouncyCastle.Cryptography' } |
                ForEach-Object { '{0} {1} {2}' -f $_.GetName().Name, ([Version][Diagnostics.FileVersionInfo]::GetVersionInfo($_.Location).FileVersion).ToString(2), [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).Name } |
                Sort-Object
            """);
        var (code, stdout, stderr) = OssmRun.Run("--no-module", dir["isolation.ps1"],
            "-Yaml", Package("yamldotnet", "16.3.0", "YamlDotNet.dll"),
            "-BouncyCastle", Package("bouncycastle.cryptography", "2.4.0", "BouncyCastle.Cryptography.dll"),
            "-Module", ModuleEngine.ModuleManifest, "-Out", dir.Path, "-Kubeconfig", dir["kubeconfig"]);
        Assert.True(code == 0, stderr + stdout);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Contains("imported=2", lines);
        Assert.Contains("exported=True", lines);
        Assert.Contains("YamlDotNet 16.3 Default", lines);
        Assert.Contains("YamlDotNet 18.1 OssmMultiCluster", lines);
        Assert.Contains("BouncyCastle.Cryptography 2.4 Default", lines);
        Assert.Contains("BouncyCastle.Cryptography 2.7 OssmMultiCluster", lines);
    }
}
