<#
.SYNOPSIS
    Builds, tests and packages the OssmMultiCluster module.
.DESCRIPTION
    Build   : dotnet build; the importable module lands in out/OssmMultiCluster.
    Test    : dotnet test (unit tests, engine tests through PowerShell 7.6).
    Package : the module as PowerShellGet packages it (tools/OssmMultiCluster.Packager): a versioned module folder
              out/package/OssmMultiCluster/<version> (Publish-Module -Path) and out/package/OssmMultiCluster.<version>.nupkg
              (Publish-PSResource -NupkgPath), its nuspec made from the manifest with PSModule/PSCmdlet_/PSCommand_ tags.
    Demo    : the whole walkthrough as one pipeline on a local lab of two clusters (examples/lab-mesh.ps1).
.EXAMPLE
    ./build.ps1 -Task Build, Test
.EXAMPLE
    ./build.ps1 -Task Package; Publish-PSResource -NupkgPath ./out/package/OssmMultiCluster.0.1.0.nupkg -Repository PSGallery -ApiKey $key
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Package', 'Demo')]
    [string[]] $Task = @('Build'),

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot
$moduleOut = Join-Path $root 'out/OssmMultiCluster'

function Invoke-DotNet {
    param([Parameter(ValueFromRemainingArguments)] [string[]] $Arguments)
    & dotnet @Arguments
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($Arguments -join ' ') failed with exit code $LASTEXITCODE." }
}

function Invoke-Build {
    Invoke-DotNet build (Join-Path $root 'OssmMultiCluster.sln') -c $Configuration
    $manifest = Test-ModuleManifest -Path (Join-Path $moduleOut 'OssmMultiCluster.psd1')
    Write-Host "Built $($manifest.Name) $($manifest.Version) in $moduleOut"
}

function Invoke-Test {
    Invoke-DotNet test (Join-Path $root 'OssmMultiCluster.sln') -c $Configuration
}

function Invoke-Package {
    # The packager builds the module folder first (project reference), then reads the manifest with Test-ModuleManifest.
    Invoke-DotNet run --project (Join-Path $root 'tools/OssmMultiCluster.Packager') -c $Configuration -- `
        --module $moduleOut --output (Join-Path $root 'out/package')
}

function Invoke-Demo {
    Import-Module (Join-Path $moduleOut 'OssmMultiCluster.psd1') -Force
    & (Join-Path $root 'examples/lab-mesh.ps1')
}

foreach ($step in $Task) {
    switch ($step) {
        'Build' { Invoke-Build }
        'Test' { Invoke-Test }
        'Package' { Invoke-Package }
        'Demo' { Invoke-Demo }
    }
}
