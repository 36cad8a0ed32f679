<#
.SYNOPSIS
    Times Connect-MeshCluster on N = 2, 4, 8 lab clusters: n·(n−1) remote secrets and n mesh-network updates.
.DESCRIPTION
    Run on demand, not in the test suite (after dotnet pwsh ./build.ps1 -Task Build):
        dotnet pwsh bench/connect.ps1 [-Sizes 2,4,8]
    Starts a loopback lab per size (tests/lab/lab.sh), installs control planes and east-west gateways, then times
    the first Connect-MeshCluster (creates everything) and a re-run (changes nothing). The growth should stay near
    linear in N: clusters are worked on in parallel, each applying its n−1 secrets.
#>
# Strings, so that -Sizes 2,4,8 reaches the script as one argument under pwsh -File too.
param([string[]] $Sizes = @('2', '4', '8'))

$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../out/OssmMultiCluster/OssmMultiCluster.psd1')
[int[]] $Sizes = @($Sizes -split ',' | Where-Object { $_ } | ForEach-Object { [int]$_ })
$lab = Join-Path $PSScriptRoot '../tests/lab/lab.sh'
$rows = foreach ($n in $Sizes) {
    $dir = Join-Path ([IO.Path]::GetTempPath()) "ossm-bench-connect-$n-$PID"
    $names = 1..$n | ForEach-Object { "c$_" }
    $kubeconfigs = & bash $lab start $dir @names 2>$null
    if ($LASTEXITCODE) { throw "lab.sh start failed for $n clusters" }
    try {
        $clusters = Get-MeshCluster -Kubeconfig $kubeconfigs
        $null = $clusters | Install-MeshControlPlane -MeshId bench-mesh
        $null = $clusters | Install-MeshEastWestGateway -Wait -Timeout 00:01:00
        $first = [Diagnostics.Stopwatch]::StartNew()
        $created = Connect-MeshCluster -Cluster $clusters -CreateServiceAccount -WarningAction SilentlyContinue
        $first.Stop()
        $again = [Diagnostics.Stopwatch]::StartNew()
        $unchanged = Connect-MeshCluster -Cluster $clusters -CreateServiceAccount -WarningAction SilentlyContinue
        $again.Stop()
        [pscustomobject]@{
            Clusters   = $n
            Secrets    = @($created | Where-Object Kind -eq Secret).Count
            FirstRunS  = [Math]::Round($first.Elapsed.TotalSeconds, 2)
            ReRunS     = [Math]::Round($again.Elapsed.TotalSeconds, 2)
            Unchanged  = @($unchanged | Where-Object Action -eq Unchanged).Count
        }
    }
    finally {
        & bash $lab stop $dir --purge
    }
}
"Connect-MeshCluster on the loopback lab, $([Environment]::ProcessorCount) cores (every API server runs on this machine too):"
$rows | Format-Table -AutoSize | Out-String
$base = $rows[0]
foreach ($row in $rows | Select-Object -Skip 1) {
    "  N={0}: first run {1:N1}x the N={2} time for {3:N1}x the clusters and {4:N1}x the secrets" -f `
        $row.Clusters, ($row.FirstRunS / $base.FirstRunS), $base.Clusters, ($row.Clusters / $base.Clusters), ($row.Secrets / $base.Secrets)
}
