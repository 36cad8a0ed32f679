<#
The module keeps its own KubernetesClient, YamlDotNet and BouncyCastle in its own AssemblyLoadContext: another
module's older versions, loaded first into a session, break nothing. Run in a fresh pwsh process, where nothing of the
module is loaded yet, as in a user's session. The older packages (YamlDotNet 16.3.0, BouncyCastle.Cryptography 2.4.0)
are restored into the NuGet packages folder by tests/Module/ModuleTests.csproj.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:root = Get-RepoRoot
    $props = & dotnet msbuild (Join-Path $root 'tests/Module/ModuleTests.csproj') -nologo -getProperty:NuGetPackageRoot | Out-String
    $script:packages = $props.Trim()
    function script:Get-PackageAssembly([string] $Id, [string] $Version, [string] $File) {
        $path = Join-Path $packages "$Id/$Version/lib/net6.0/$File"
        if (-not (Test-Path $path)) { throw "$Id $Version is not restored at ${path}: run 'dotnet restore tests/Module/ModuleTests.csproj'." }
        $path
    }
    $script:dir = New-TestDirectory
    Set-Content -Path "$dir/kubeconfig" -Value @'
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
'@
}

AfterAll {
    Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Import-Module in a session that already loaded other YamlDotNet and BouncyCastle versions' {
    BeforeAll {
        $yaml = Get-PackageAssembly yamldotnet 16.3.0 YamlDotNet.dll
        $bouncyCastle = Get-PackageAssembly bouncycastle.cryptography 2.4.0 BouncyCastle.Cryptography.dll
        $command = @"
`$ErrorActionPreference = 'Stop'
`$null = [Reflection.Assembly]::LoadFrom('$yaml')
`$null = [Reflection.Assembly]::LoadFrom('$bouncyCastle')
Import-Module '$(Get-ModuleManifestPath)'
`$root = New-MeshRootCA -KeySize 2048 -PregenerateKeys 0
`$null = @(`$root) + @('west' | New-MeshIntermediateCA -RootCA `$root) | Export-MeshCA -Path '$dir/pki'
'imported=' + @(Import-MeshCA -Path '$dir/pki').Count
`$cluster = Get-MeshCluster -Kubeconfig '$dir/kubeconfig'
'cluster=' + `$cluster.Name + ' ' + `$cluster.Server
`$null = `$cluster | Install-MeshControlPlane -MeshId bookinfo-mesh -Flavor Ossm2 -OutputPath '$dir/gitops'
'exported=' + (Test-Path '$dir/gitops/west/istio-system/servicemeshcontrolplane-basic.yaml')
'module=' + [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$cluster.GetType().Assembly).Name
[AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -in 'YamlDotNet', 'BouncyCastle.Cryptography' } |
    ForEach-Object { '{0} {1} {2}' -f `$_.GetName().Name, ([Version][Diagnostics.FileVersionInfo]::GetVersionInfo(`$_.Location).FileVersion).ToString(2), [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$_).Name } |
    Sort-Object
"@
        # A fresh process of the pinned pwsh, from the repository (where its tool manifest is).
        Push-Location $root
        try {
            $script:output = & dotnet pwsh -NoProfile -NonInteractive -Command $command 2>&1 | ForEach-Object { "$_" }
            $script:code = $LASTEXITCODE
        }
        finally { Pop-Location }
        $script:lines = @($output | ForEach-Object { $_.Trim() } | Where-Object { $_ })
    }

    It 'runs the module''s PKI and cluster pipelines' {
        $code | Should -Be 0 -Because ($output -join "`n")
        $lines | Should -Contain 'imported=2'
        $lines | Should -Contain 'cluster=west https://api.west.example.com:6443'
        $lines | Should -Contain 'exported=True'
    }

    It 'keeps the module''s own versions in its own load context, and the session''s in the default one' {
        $lines | Should -Contain 'module=OssmMultiCluster'
        $lines | Where-Object { $_ -match '^(YamlDotNet|BouncyCastle\.Cryptography) ' } | Should -Be @(
            'BouncyCastle.Cryptography 2.4 Default'
            'BouncyCastle.Cryptography 2.7 OssmMultiCluster'
            'YamlDotNet 16.3 Default'
            'YamlDotNet 18.1 OssmMultiCluster')
    }
}
