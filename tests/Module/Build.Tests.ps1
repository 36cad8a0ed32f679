<#
build.ps1's Package and Demo tasks, run as a user runs them: `dotnet pwsh ./build.ps1 -Task <task>` in a process of its
own (-NoBuild: the module under test is the one already built). The Test task is what runs this file; Build runs
before every suite.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:root = Get-RepoRoot
    $script:manifest = Import-PowerShellDataFile (Get-ModuleManifestPath)

    function script:Invoke-Pwsh {
        param([string] $Command, [hashtable] $Environment = @{})
        $saved = @{}
        foreach ($key in $Environment.Keys) { $saved[$key] = [Environment]::GetEnvironmentVariable($key); [Environment]::SetEnvironmentVariable($key, $Environment[$key]) }
        try {
            Push-Location $root
            # This very pwsh (the pinned one), started by path: `dotnet pwsh` would look for its tool manifest under $HOME.
            $output = & ([Environment]::ProcessPath) (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -Command $Command 2>&1 | Out-String
            [pscustomobject]@{ Code = $LASTEXITCODE; Output = $output }
        }
        finally {
            Pop-Location
            foreach ($key in $saved.Keys) { [Environment]::SetEnvironmentVariable($key, $saved[$key]) }
        }
    }
}

Describe 'build.ps1 -Task Package' {
    BeforeAll {
        $script:package = Invoke-Pwsh './build.ps1 -Task Package -NoBuild'
        $script:nupkg = Join-Path $root "out/package/OssmMultiCluster.$($manifest.ModuleVersion).nupkg"
    }

    It 'writes the versioned .nupkg with PSResourceGet' {
        $package.Code | Should -Be 0 -Because $package.Output
        $nupkg | Should -Exist
    }

    It 'carries the manifest''s metadata and every file of the module folder at the package root' {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [System.IO.Compression.ZipFile]::OpenRead($nupkg)
        try {
            $entries = $zip.Entries.FullName
            $reader = [System.IO.StreamReader]::new($zip.GetEntry('OssmMultiCluster.nuspec').Open())
            [xml] $nuspec = $reader.ReadToEnd()
            $reader.Dispose()
        }
        finally { $zip.Dispose() }
        $moduleFiles = Get-ChildItem (Split-Path (Get-ModuleManifestPath)) -Recurse -File |
            ForEach-Object { [IO.Path]::GetRelativePath((Split-Path (Get-ModuleManifestPath)), $_.FullName).Replace('\', '/') }
        $moduleFiles | Should -Not -BeNullOrEmpty
        foreach ($file in $moduleFiles) { $entries | Should -Contain $file }
        $meta = $nuspec.package.metadata
        $meta.id | Should -Be 'OssmMultiCluster'
        $meta.version | Should -Be $manifest.ModuleVersion
        $meta.description | Should -Be $manifest.Description
        $meta.projectUrl | Should -Be $manifest.PrivateData.PSData.ProjectUri
        $tags = $meta.tags -split ' '
        $tags | Should -Contain 'PSModule'
        foreach ($tag in $manifest.PrivateData.PSData.Tags) { $tags | Should -Contain $tag }
    }

    It 'installs from a local repository with Install-PSResource and imports by name in a fresh pwsh' {
        $home_ = New-TestDirectory
        try {
            $repo = Join-Path $home_ 'repo'
            $null = New-Item -ItemType Directory $repo
            Copy-Item $nupkg $repo
            # A home of its own: the repository registration and the CurrentUser module folder stay in the test's folder.
            $run = Invoke-Pwsh -Environment @{ HOME = $home_; XDG_DATA_HOME = $null; XDG_CONFIG_HOME = $null; PSModulePath = $null } -Command @"
`$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name OssmLocal -Uri '$repo' -Trusted
Install-PSResource -Name OssmMultiCluster -Repository OssmLocal -Scope CurrentUser -TrustRepository
Import-Module OssmMultiCluster
`$m = Get-Module OssmMultiCluster
"path=`$(`$m.ModuleBase)"
"version=`$(`$m.Version)"
"cmdlets=`$(`$m.ExportedCmdlets.Count)"
`$root = New-MeshRootCA -KeySize 2048 -PregenerateKeys 0
"root=`$(`$root.GetType().FullName)|`$(`$root.Kind)"
"@
            $run.Code | Should -Be 0 -Because $run.Output
            $run.Output | Should -Match "(?m)^path=$([regex]::Escape($home_))/"
            $run.Output | Should -Match "(?m)^version=$([regex]::Escape($manifest.ModuleVersion))\s*$"
            $run.Output | Should -Match "(?m)^cmdlets=$($manifest.CmdletsToExport.Count)\s*$"
            $run.Output | Should -Match '(?m)^root=OssmMultiCluster\.Model\.MeshCertificateAuthority\|Root\s*$'
        }
        finally { Remove-Item $home_ -Recurse -Force -ErrorAction SilentlyContinue }
    }
}

Describe 'build.ps1 -Task Demo' {
    It 'runs the walkthrough on a lab of its own and leaves nothing running' {
        $demo = Invoke-Pwsh './build.ps1 -Task Demo -NoBuild'
        $demo.Code | Should -Be 0 -Because $demo.Output
        # Every step's table, and the re-run that changes nothing.
        $demo.Output | Should -Match '(?m)^west\s'
        $demo.Output | Should -Match 'ServiceMeshControlPlane'
        $demo.Output | Should -Match 'istio-eastwestgatew'
        $demo.Output | Should -Match 'Connected 2 clusters; a second run changes nothing:'
        $demo.Output | Should -Match '(?m)^\s*\d+\s+Unchanged\s*$'
        $demo.Output | Should -Not -Match '(?m)^\s*\d+\s+(Created|Configured)\s*$' -Because 'the second run is only Unchanged'
        # The demo's lab (ossm-lab-demo-<pid> under the temp folder) is stopped and purged.
        (& pgrep -f 'ossm-lab-demo-') | Should -BeNullOrEmpty
        Get-ChildItem ([IO.Path]::GetTempPath()) -Filter 'ossm-lab-demo-*' | Should -BeNullOrEmpty
    }
}

Describe 'The module folder''s assemblies (ReadyToRun)' {
    It 'carry linux-x64 ReadyToRun code for <Name> beside its IL, in the assembly itself (no composite image)' -ForEach @(
        @{ Name = 'OssmMultiCluster' }, @{ Name = 'KubernetesClient' }, @{ Name = 'YamlDotNet' }, @{ Name = 'Fractions' }
    ) -Skip:([Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier -ne 'linux-x64') {
        $bin = Join-Path (Split-Path (Get-ModuleManifestPath)) 'bin'
        Get-ChildItem $bin -Filter '*.r2r.dll' | Should -BeNullOrEmpty -Because 'a composite image would hold the code apart from the assemblies'
        $stream = [IO.File]::OpenRead((Join-Path $bin "$Name.dll"))
        try {
            $pe = [System.Reflection.PortableExecutable.PEReader]::new($stream)
            $native = $pe.PEHeaders.CorHeader.ManagedNativeHeaderDirectory
            $native.Size | Should -BeGreaterThan 0 -Because 'ReadyToRun code is described by the managed native header'
            $offset = 0
            $pe.PEHeaders.TryGetDirectoryOffset($native, [ref] $offset) | Should -BeTrue
            $stream.Position = $offset
            # 'RTR': the assembly's own ReadyToRun header.
            [IO.BinaryReader]::new($stream).ReadUInt32() | Should -Be 0x00525452
            # Its IL is all still there: what any other OS, CPU or runtime runs.
            $metadata = [System.Reflection.Metadata.PEReaderExtensions]::GetMetadataReader($pe)
            $body = 0
            foreach ($method in $metadata.MethodDefinitions) {
                $body = $metadata.GetMethodDefinition($method).RelativeVirtualAddress
                if ($body) { break }
            }
            $body | Should -Not -Be 0
            [System.Reflection.Metadata.PEReaderExtensions]::GetMethodBody($pe, $body).GetILBytes().Length | Should -BeGreaterThan 0
        }
        finally { $stream.Dispose() }
    }
}
