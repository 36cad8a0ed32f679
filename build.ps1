<#
.SYNOPSIS
    Builds, tests and packages the OssmMultiCluster module.
.DESCRIPTION
    Build   : dotnet build; the importable module lands in out/OssmMultiCluster.
    Test    : dotnet test (unit tests, engine tests through PowerShell 7.6).
    Package : a versioned module folder out/package/OssmMultiCluster/<version> and a zip of it, ready for Publish-Module.
    Demo    : the whole walkthrough as one pipeline on a local lab of two clusters (examples/lab-mesh.ps1).
.EXAMPLE
    ./build.ps1 -Task Build, Test
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
    $manifest = Test-ModuleManifest -Path (Join-Path $moduleOut 'OssmMultiCluster.psd1')
    $target = Join-Path $root "out/package/OssmMultiCluster/$($manifest.Version)"
    if (Test-Path $target) { Remove-Item -Recurse -Force $target }
    $null = New-Item -ItemType Directory -Path $target
    Copy-Item -Path (Join-Path $moduleOut '*') -Destination $target -Recurse
    $zip = Join-Path $root "out/package/OssmMultiCluster-$($manifest.Version).zip"
    if (Test-Path $zip) { Remove-Item -Force $zip }
    [IO.Compression.ZipFile]::CreateFromDirectory($target, $zip)
    Write-Host "Packaged $target and $zip"
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
