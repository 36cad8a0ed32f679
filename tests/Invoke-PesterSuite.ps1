<#
.SYNOPSIS
    Runs Pester test files with the project's pinned Pester and writes the counts as JSON (build.ps1 -Task Test runs it
    in a pwsh process of its own for each suite).
.EXAMPLE
    dotnet pwsh tests/Invoke-PesterSuite.ps1 -Path tests/Module/Connect.Tests.ps1
    One file on its own: it starts a lab of its own when build.ps1 has not started the shared one.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string[]] $Path,
    [string] $PesterManifest,
    [string] $Summary,
    [string] $ResultFile,
    [string[]] $FullName
)

$ErrorActionPreference = 'Stop'
# pwsh -File hands an array over as separate words: build.ps1 joins several paths with the path separator.
$Path = @($Path | ForEach-Object { $_ -split [regex]::Escape([IO.Path]::PathSeparator) } | Where-Object { $_ })
if (-not $PesterManifest) {
    $props = & dotnet msbuild (Join-Path $PSScriptRoot 'Module/ModuleTests.csproj') -nologo -getProperty:NuGetPackageRoot -getProperty:PesterVersion | ConvertFrom-Json
    $PesterManifest = Join-Path $props.Properties.NuGetPackageRoot "pester/$($props.Properties.PesterVersion)/tools/Pester.psd1"
}
if (-not (Test-Path $PesterManifest)) {
    throw "Pester is not restored at ${PesterManifest}: run 'dotnet restore tests/Module/ModuleTests.csproj'."
}
Import-Module $PesterManifest -ErrorAction Stop

$config = New-PesterConfiguration
$config.Run.Path = $Path
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$config.Should.ErrorAction = 'Stop'
if ($FullName) { $config.Filter.FullName = $FullName }
if ($ResultFile) {
    $config.TestResult.Enabled = $true
    $config.TestResult.OutputFormat = 'JUnitXml'
    $config.TestResult.OutputPath = $ResultFile
}

$result = Invoke-Pester -Configuration $config
# A file that failed to load or a block whose BeforeAll threw: counted as failed even when no test was marked so.
$failed = $result.FailedCount
if ($failed -eq 0) { $failed = $result.FailedBlocksCount + $result.FailedContainersCount }
$failedNames = @($result.Failed | ForEach-Object ExpandedPath) +
    @($result.FailedBlocks | ForEach-Object { "$($_.ExpandedPath) (block)" }) +
    @($result.FailedContainers | ForEach-Object { "$($_.Item) (file)" })
$counts = [ordered]@{ Passed = $result.PassedCount; Failed = $failed; Skipped = $result.SkippedCount + $result.NotRunCount; FailedTests = $failedNames }
if ($Summary) { $counts | ConvertTo-Json | Set-Content -Path $Summary }
"Pester: $($counts.Passed) passed, $($counts.Failed) failed, $($counts.Skipped) skipped"
exit ([int]($failed -gt 0))
