<#
.SYNOPSIS
    Builds, tests, packages and demonstrates the OssmMultiCluster module.
.DESCRIPTION
    Run it with the project's pinned PowerShell: `dotnet tool restore`, then `dotnet pwsh ./build.ps1 -Task <task>`.

    Build   : dotnet build; the importable module lands in out/OssmMultiCluster.
    Test    : builds, then runs every suite and prints one closing line, "N passed, N failed, N skipped":
              Unit       - the services' xunit tests (tests/OssmMultiCluster.Tests; never loads the built module);
              Module     - the module's behaviour in Pester (tests/Module/*.Tests.ps1) on one loopback lab
                           (tests/lab/lab.sh) started for all of them;
              Acceptance - tests/Acceptance against a fresh two-cluster lab for each flavor (Ossm2, Ossm3), skipping
                           with a reason what the lab cannot do (it has no kubelet and no operator).
              Each Pester suite runs in a pwsh process of its own. The lab's Kubernetes binaries are built once on a
              new machine (tests/lab/install-binaries.sh, as root, about 6 minutes).
    Package : the module as a PowerShell package with PSResourceGet (Compress-PSResource):
              out/package/OssmMultiCluster.<version>.nupkg, for Publish-PSResource -NupkgPath or a local repository.
    Demo    : builds, then runs the walkthrough as one pipeline on a local lab of two clusters (examples/lab-mesh.ps1).
.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 -Task Test
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Test -Suite Module -TestPath tests/Module/Connect.Tests.ps1
    One Pester file on the shared lab, without the other suites.
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Package; Publish-PSResource -NupkgPath ./out/package/OssmMultiCluster.0.1.0.nupkg -Repository PSGallery -ApiKey $key
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Package', 'Demo')]
    [string[]] $Task = @('Build'),

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Test: which suites to run (Unit, Module, Acceptance).
    [string[]] $Suite = @('Unit', 'Module', 'Acceptance'),

    # Test: Pester files of the Module suite to run (default: all of tests/Module).
    [string[]] $TestPath,

    # Test, Package, Demo: use the module already built in out/OssmMultiCluster.
    [switch] $NoBuild
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
# From `dotnet pwsh ./build.ps1 -Suite Module,Acceptance` (pwsh -File) the list arrives as one word with commas.
$Suite = @($Suite -split ',' | Where-Object { $_ })
foreach ($name in $Suite) {
    if ($name -notin 'Unit', 'Module', 'Acceptance') { throw "-Suite takes Unit, Module and Acceptance, not '$name'." }
}
$root = $PSScriptRoot
$moduleOut = Join-Path $root 'out/OssmMultiCluster'
$results = Join-Path $root 'out/test-results'

function Invoke-DotNet {
    param([Parameter(ValueFromRemainingArguments)] [string[]] $Arguments)
    & dotnet @Arguments
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($Arguments -join ' ') failed with exit code $LASTEXITCODE." }
}

function Invoke-Build {
    Invoke-DotNet build (Join-Path $root 'OssmMultiCluster.sln') -c $Configuration -nologo
    $manifest = Test-ModuleManifest -Path (Join-Path $moduleOut 'OssmMultiCluster.psd1')
    Write-Host "Built $($manifest.Name) $($manifest.Version) in $moduleOut"
}

function Get-PesterManifest {
    $json = & dotnet msbuild (Join-Path $root 'tests/Module/ModuleTests.csproj') -nologo -getProperty:NuGetPackageRoot -getProperty:PesterVersion
    if ($LASTEXITCODE -ne 0) { throw "Could not read Pester's version from tests/Module/ModuleTests.csproj." }
    $props = ($json | ConvertFrom-Json).Properties
    Join-Path $props.NuGetPackageRoot "pester/$($props.PesterVersion)/tools/Pester.psd1"
}

function Invoke-UnitSuite {
    $trx = 'unit.trx'
    Remove-Item (Join-Path $results $trx) -ErrorAction SilentlyContinue
    & dotnet test (Join-Path $root 'tests/OssmMultiCluster.Tests') -c $Configuration --no-build --nologo `
        --logger "trx;LogFileName=$trx" --logger 'console;verbosity=normal' --results-directory $results | Out-Host
    $file = Join-Path $results $trx
    if (-not (Test-Path $file)) { return [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0; FailedTests = @('unit suite (no result file)') } }
    $run = ([xml](Get-Content -Raw $file)).TestRun
    $counters = $run.ResultSummary.Counters
    [pscustomobject]@{
        Passed      = [int]$counters.passed
        Failed      = [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]([int]$LASTEXITCODE -ne 0 -and [int]$counters.failed -eq 0)
        Skipped     = [int]$counters.notExecuted
        FailedTests = @($run.Results.UnitTestResult | Where-Object outcome -NE 'Passed' | Where-Object outcome -NE 'NotExecuted' | ForEach-Object testName)
    }
}

function Invoke-PesterProcess {
    param([string[]] $Path, [string] $Name, [hashtable] $Environment = @{})
    $summary = Join-Path $results "$Name.json"
    Remove-Item $summary -ErrorAction SilentlyContinue
    $saved = @{}
    foreach ($key in $Environment.Keys) { $saved[$key] = [Environment]::GetEnvironmentVariable($key); [Environment]::SetEnvironmentVariable($key, $Environment[$key]) }
    try {
        & dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $root 'tests/Invoke-PesterSuite.ps1') -Path ($Path -join [IO.Path]::PathSeparator) `
            -PesterManifest (Get-PesterManifest) -Summary $summary -ResultFile (Join-Path $results "$Name.xml") | Out-Host
    }
    finally {
        foreach ($key in $saved.Keys) { [Environment]::SetEnvironmentVariable($key, $saved[$key]) }
    }
    if (-not (Test-Path $summary)) {
        Write-Warning "The $Name suite ended without a result (exit code $LASTEXITCODE)."
        return [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0; FailedTests = @("$Name suite (no result)") }
    }
    $counts = Get-Content -Raw $summary | ConvertFrom-Json
    $counts.FailedTests = @($counts.FailedTests | ForEach-Object { "${Name}: $_" })
    $counts
}

function Invoke-ModuleSuite {
    Import-Module (Join-Path $root 'tests/Module/TestSupport.psm1') -Force
    # From `dotnet pwsh ./build.ps1 -TestPath a,b` (pwsh -File) the list arrives as one word with commas.
    $paths = if ($TestPath) { $TestPath -split ',' | Where-Object { $_ } | ForEach-Object { (Resolve-Path $_).Path } } else { Join-Path $root 'tests/Module' }
    $lab = Start-TestLab -Clusters (Get-TestLabCluster) -Options (Get-TestLabOption)
    try {
        Invoke-PesterProcess -Path $paths -Name 'module' -Environment @{ OSSM_TEST_LAB = $lab.Directory }
    }
    finally { Stop-TestLab $lab }
}

function Invoke-AcceptanceSuite {
    Import-Module (Join-Path $root 'tests/Module/TestSupport.psm1') -Force
    foreach ($flavor in 'Ossm2', 'Ossm3') {
        # Each flavor's clusters carry the real CRDs of its operator (../shared/reference/upstream/crds).
        $crds = $flavor.ToLowerInvariant()
        $lab = Start-TestLab -Clusters 'accept-west', 'accept-east' -Options '--lb-hostname', 'accept-east', '--crds', "accept-west=$crds", '--crds', "accept-east=$crds"
        try {
            Write-Host "Acceptance suite, flavor $flavor, on the lab's clusters $($lab.Clusters -join ', ')"
            Invoke-PesterProcess -Path (Join-Path $root 'tests/Acceptance') -Name "acceptance-$flavor" -Environment @{
                OSSM_ACCEPTANCE_KUBECONFIGS = $lab.Kubeconfigs.Values -join ','
                OSSM_ACCEPTANCE_FLAVOR      = $flavor
                OSSM_ACCEPTANCE_SAMPLES     = Join-Path $root 'tests/Samples'
            }
        }
        finally { Stop-TestLab $lab }
    }
}

function Invoke-Test {
    if (-not $NoBuild) { Invoke-Build }
    $null = New-Item -ItemType Directory -Force -Path $results
    $counts = [System.Collections.Generic.List[object]]::new()
    foreach ($name in $Suite) {
        try {
            $counts.AddRange(@(switch ($name) {
                        'Unit' { Invoke-UnitSuite }
                        'Module' { Invoke-ModuleSuite }
                        'Acceptance' { Invoke-AcceptanceSuite }
                    }))
        }
        catch {
            Write-Warning "The $name suite could not run: $_"
            $counts.Add([pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0; FailedTests = @("$name suite could not run") })
        }
    }
    $passed = ($counts | Measure-Object Passed -Sum).Sum
    $failed = ($counts | Measure-Object Failed -Sum).Sum
    $skipped = ($counts | Measure-Object Skipped -Sum).Sum
    # The failures again, next to the closing line, where a truncated log still shows them.
    foreach ($suiteCounts in $counts) {
        $names = $suiteCounts.PSObject.Properties['FailedTests']
        if ($names) { foreach ($name in @($names.Value) | Where-Object { $_ }) { "FAILED: $name" } }
    }
    # The closing line CI reads.
    "$passed passed, $failed failed, $skipped skipped"
    if ($failed -gt 0) { $script:exitCode = 1 }
}

function Invoke-Package {
    if (-not $NoBuild) { Invoke-Build }
    $output = Join-Path $root 'out/package'
    Remove-Item $output -Recurse -Force -ErrorAction SilentlyContinue
    $null = New-Item -ItemType Directory -Force -Path $output
    # Compress-PSResource packs a folder named after the module, with the manifest's metadata in the nuspec.
    Compress-PSResource -Path $moduleOut -DestinationPath $output
    $nupkg = Get-ChildItem $output -Filter 'OssmMultiCluster.*.nupkg' | Select-Object -First 1
    if (-not $nupkg) { throw "Compress-PSResource wrote no package into $output." }
    Write-Host "Packaged $($nupkg.FullName)"
}

function Invoke-Demo {
    if (-not $NoBuild) { Invoke-Build }
    Import-Module (Join-Path $moduleOut 'OssmMultiCluster.psd1') -Force
    & (Join-Path $root 'examples/lab-mesh.ps1')
}

$script:exitCode = 0
foreach ($step in $Task) {
    switch ($step) {
        'Build' { Invoke-Build }
        'Test' { Invoke-Test }
        'Package' { Invoke-Package }
        'Demo' { Invoke-Demo }
    }
}
exit $script:exitCode
