<#
.SYNOPSIS
    Times Get-MeshStatus on a connected lab mesh of -Clusters clusters (default 4).
.DESCRIPTION
    Run on demand (after dotnet pwsh ./build.ps1 -Task Build):  dotnet pwsh bench/status.ps1 [-Clusters 4] [-Runs 5]
    Target: a 4-cluster status well under 5 s.
#>
param([int] $Clusters = 4, [int] $Runs = 5)

$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../out/OssmMultiCluster/OssmMultiCluster.psd1')
$lab = Join-Path $PSScriptRoot '../tests/lab/lab.sh'
$dir = Join-Path ([IO.Path]::GetTempPath()) "ossm-bench-status-$PID"
$names = 1..$Clusters | ForEach-Object { "c$_" }
$kubeconfigs = & bash $lab start $dir @names 2>$null
if ($LASTEXITCODE) { throw "lab.sh start failed" }
try {
    $mesh = Get-MeshCluster -Kubeconfig $kubeconfigs
    $null = $mesh | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048) | Install-MeshCACertificate
    $null = $mesh | Install-MeshControlPlane -MeshId bench-mesh
    $null = $mesh | Install-MeshEastWestGateway -Wait -Timeout 00:01:00
    $null = Connect-MeshCluster -Cluster $mesh -CreateServiceAccount -WarningAction SilentlyContinue
    $times = for ($i = 0; $i -lt $Runs; $i++) {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $status = $mesh | Get-MeshStatus
        $watch.Elapsed.TotalSeconds
    }
    $sorted = $times | Sort-Object
    "Get-MeshStatus on $Clusters lab clusters ($(@($status).Count - 1) checks, verdict: $($status[-1])), $Runs runs:"
    "  median {0:N2} s, min {1:N2} s, max {2:N2} s   (target: well under 5 s)" -f $sorted[[int][Math]::Floor($Runs / 2)], $sorted[0], $sorted[-1]
}
finally {
    & bash $lab stop $dir --purge
}
