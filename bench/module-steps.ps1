<#
.SYNOPSIS
    The module's side of bench/end-to-end.ps1, run by it in a fresh pwsh process per run (as a runbook runs): the
    pipeline that does the walkthrough's steps 4-10, 12 and 14, each step timed, and the HTTP requests it sent per
    cluster (from the module's own call log, -Verbose). Prints one JSON object.
.DESCRIPTION
    dotnet pwsh bench/module-steps.ps1 -Kubeconfig a,b -Name west-cluster,east-cluster -Network west-network,east-network
        [-CACertsFrom <dir>]
    With -CACertsFrom, steps 4-5 are not run: the CAs are imported (untimed) from openssl-made files laid out as the
    walkthrough writes them, so the Kubernetes part is timed with no key generation anywhere.
#>
param(
    [Parameter(Mandatory)] [string[]] $Kubeconfig,
    [Parameter(Mandatory)] [string[]] $Name,
    [Parameter(Mandatory)] [string[]] $Network,
    [string[]] $DirectKubeconfig,
    [string] $CACertsFrom,
    [string] $MeshId = 'bookinfo-mesh',
    # Another build of the module (a before/after comparison, bench/first-call.ps1); default: this tree's out/.
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/OssmMultiCluster/OssmMultiCluster.psd1')
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
# pwsh -File hands an array over as one word: a,b.
$Kubeconfig = @($Kubeconfig -split ','); $Name = @($Name -split ','); $Network = @($Network -split ',')
$DirectKubeconfig = if ($DirectKubeconfig) { @($DirectKubeconfig -split ',') } else { $Kubeconfig }
$watch = [Diagnostics.Stopwatch]::StartNew()
Import-Module $ModulePath
$import = $watch.Elapsed.TotalSeconds

$requests = @{}
$stepRequests = [ordered]@{}
$steps = [ordered]@{}
function Measure-Step([string] $Step, [scriptblock] $Work) {
    <# Runs a step with -Verbose on, counting the API calls it logs per cluster; returns its output. #>
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $output = & $Work 4>&1
    $steps[$Step] = $watch.Elapsed.TotalSeconds
    $counts = [ordered]@{}
    foreach ($item in $output) {
        if ($item -is [System.Management.Automation.VerboseRecord]) {
            # One line per request sent: '<cluster>: <METHOD> <path> -> <status> ...' or '... failed: ...'.
            if ($item.Message -match '^([a-z0-9-]+): (GET|POST|PUT|PATCH|DELETE) \S+ (->|failed)') {
                $requests[$Matches[1]] = 1 + [int]$requests[$Matches[1]]
                $counts[$Matches[1]] = 1 + [int]$counts[$Matches[1]]
            }
        }
        else { $item }
    }
    if ($counts.Count) { $stepRequests[$Step] = $counts }
}

if ($CACertsFrom) {
    $cas = Import-MeshCA -Path $CACertsFrom | Where-Object Kind -EQ Intermediate
}
else {
    $root = Measure-Step '4 New-MeshRootCA' { New-MeshRootCA }
}
$mesh = Measure-Step '2-3 Get-MeshCluster' { Get-MeshCluster -Kubeconfig $Kubeconfig -Name $Name -Network $Network -Verbose }
if (-not $CACertsFrom) {
    $cas = Measure-Step '5 New-MeshIntermediateCA' { $mesh | New-MeshIntermediateCA -RootCA $root }
}
$null = Measure-Step '6 Install-MeshCACertificate' { $cas | Install-MeshCACertificate -Cluster $mesh -Verbose }
$null = Measure-Step '7 Install-MeshControlPlane' { $mesh | Install-MeshControlPlane -MeshId $MeshId -Verbose }
# Untimed, as on the walkthrough's side: the OSSM operator's part (the lab has none).
foreach ($k in $DirectKubeconfig) {
    $null = & kubectl --kubeconfig $k -n istio-system create serviceaccount istio-reader-service-account
    if ($LASTEXITCODE) { throw "Could not create istio-reader-service-account ($k)." }
}
$null = Measure-Step '8 Install-MeshEastWestGateway' { $mesh | Install-MeshEastWestGateway -Verbose }
$null = Measure-Step 'address Wait-MeshGateway' { $mesh | Wait-MeshGateway -Verbose }
# The lab's API servers are on loopback: Connect-MeshCluster warns that other clusters could not reach them.
$null = Measure-Step '9-14 Connect-MeshCluster' { Connect-MeshCluster -Cluster $mesh -WarningAction SilentlyContinue -Verbose }

[pscustomobject]@{ Import = $import; Steps = $steps; Requests = $requests; StepRequests = $stepRequests } | ConvertTo-Json -Compress -Depth 4
