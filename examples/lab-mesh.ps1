<#
.SYNOPSIS
    The multi-primary walkthrough as one pipeline, on a local lab of real Kubernetes API servers: PKI, CA secrets,
    control planes, east-west gateways, remote secrets and mesh networks, for -Cluster (default west, east).
.DESCRIPTION
    The lab (tests/lab/lab.sh) runs etcd, kube-apiserver and kube-controller-manager per cluster on 127.0.0.1, with
    the operators' CRDs and a stand-in for cloud load balancers; no pods run there. The first run on a new machine
    builds the Kubernetes binaries once (about 6 minutes; see tests/lab/install-binaries.sh).
    On real clusters, drop the lab lines and pass your kubeconfigs to Get-MeshCluster.
.EXAMPLE
    dotnet pwsh -c "Import-Module ./out/OssmMultiCluster/OssmMultiCluster.psd1; ./examples/lab-mesh.ps1 -Cluster west, east, north"
#>
param(
    [string[]] $Cluster = @('west', 'east'),
    [string] $LabPath = (Join-Path ([IO.Path]::GetTempPath()) "ossm-lab-demo-$PID"),
    [switch] $KeepLab
)

$ErrorActionPreference = 'Stop'
$lab = Join-Path $PSScriptRoot '../tests/lab/lab.sh'
$kubeconfigs = & bash $lab start $LabPath @Cluster
if ($LASTEXITCODE) { throw "The lab did not start (exit code $LASTEXITCODE)." }
try {
    $clusters = Get-MeshCluster -Kubeconfig $kubeconfigs -Network ($Cluster | ForEach-Object { "$_-network" }) -Test
    $clusters | Out-Default

    # Steps 4-6: a root CA, one intermediate per cluster, installed as istiod's plug-in CA.
    $root = New-MeshRootCA
    $clusters | New-MeshIntermediateCA -RootCA $root | Install-MeshCACertificate | Out-Default

    # Steps 7-8: control planes and east-west gateways, waiting for the gateways' addresses.
    # The walkthrough is OSSM 2.6; the lab's own CRDs serve both operators' APIs, so the flavor is said, not read.
    $clusters | Install-MeshControlPlane -MeshId bookinfo-mesh -Flavor Ossm2 | Out-Default
    $gateways = $clusters | Install-MeshEastWestGateway -Wait
    $gateways | Where-Object { $_ -is [OssmMultiCluster.Model.MeshResourceResult] } | Out-Default
    $gateways | Where-Object { $_ -is [OssmMultiCluster.Model.MeshGatewayAddress] } | Out-Default

    # Steps 9-14: every cluster reads every other, and knows how to reach every other network.
    # (The lab's API servers are on loopback, so the module warns that other clusters could not reach them.)
    Connect-MeshCluster -Cluster $clusters -CreateServiceAccount -WarningAction SilentlyContinue | Out-Default
    "Connected $($clusters.Count) clusters; a second run changes nothing:"
    Connect-MeshCluster -Cluster $clusters -CreateServiceAccount -WarningAction SilentlyContinue | Group-Object Action -NoElement | Out-Default
}
finally {
    if (-not $KeepLab) { & bash $lab stop $LabPath --purge }
}
