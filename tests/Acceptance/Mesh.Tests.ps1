#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
.SYNOPSIS
    Acceptance suite for two or more real OpenShift clusters with the OpenShift Service Mesh operator installed: the
    whole walkthrough pipeline, connectivity, load balancing across clusters, failover, status and teardown.
.DESCRIPTION
    It cannot run in this project's CI (no cluster, no kubelet); CI parses it and checks that every module command
    and parameter it uses exists. Run it against clusters you may change:

        $env:OSSM_ACCEPTANCE_KUBECONFIGS = '/path/west.kubeconfig,/path/east.kubeconfig'
        Invoke-Pester ./tests/Acceptance -Output Detailed

    Optional: OSSM_ACCEPTANCE_FLAVOR (Ossm2, default, or Ossm3), OSSM_ACCEPTANCE_SAMPLES (a folder with
    bookinfo.yaml, sleep.yaml and helloworld.yaml, for clusters without internet access).
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/OssmMultiCluster/OssmMultiCluster.psd1') -Force
    $kubeconfigs = $env:OSSM_ACCEPTANCE_KUBECONFIGS -split ','
    if ($kubeconfigs.Count -lt 2) { throw 'Set OSSM_ACCEPTANCE_KUBECONFIGS to two or more kubeconfig paths, comma-separated.' }
    $flavor = if ($env:OSSM_ACCEPTANCE_FLAVOR) { $env:OSSM_ACCEPTANCE_FLAVOR } else { 'Ossm2' }
    $names = 1..$kubeconfigs.Count | ForEach-Object { "cluster$_" }
    $script:clusters = Get-MeshCluster -Kubeconfig $kubeconfigs -Name $names -Network ($names | ForEach-Object { "$_-network" }) -Test
    $script:flavor = $flavor
    $script:samples = $env:OSSM_ACCEPTANCE_SAMPLES
    function script:Sample([string] $name) {
        if ($script:samples) { @{ Path = Join-Path $script:samples "$name.yaml" } } else { @{} }
    }
}

Describe 'The multi-primary mesh, end to end' {
    It 'installs the PKI, control planes and gateways on every cluster' {
        $root = New-MeshRootCA
        $ca = $clusters | New-MeshIntermediateCA -RootCA $root | Install-MeshCACertificate -Force
        $ca | Should -Not -BeNullOrEmpty
        $clusters | Install-MeshControlPlane -MeshId acceptance-mesh -Flavor $flavor | Should -Not -BeNullOrEmpty
        $addresses = $clusters | Install-MeshEastWestGateway -Flavor $flavor -Wait -Timeout (New-TimeSpan -Minutes 10) |
            Where-Object { $_ -is [OssmMultiCluster.Model.MeshGatewayAddress] }
        @($addresses).Count | Should -Be $clusters.Count
    }

    It 'connects every cluster to every other, and a second run changes nothing' {
        Connect-MeshCluster -Cluster $clusters -MeshNetworks:($flavor -eq 'Ossm3') | Should -Not -BeNullOrEmpty
        $again = Connect-MeshCluster -Cluster $clusters -MeshNetworks:($flavor -eq 'Ossm3')
        $again | Where-Object Action -ne Unchanged | Should -BeNullOrEmpty
    }

    It 'reports a healthy mesh' {
        $status = $clusters | Get-MeshStatus
        $status | Where-Object { $_.Status -eq 'Error' } | Should -BeNullOrEmpty
        $status[-1].Healthy | Should -BeTrue
    }

    It 'balances helloworld across the clusters' {
        $versions = 'v1', 'v2'
        for ($i = 0; $i -lt $clusters.Count; $i++) {
            $params = Sample 'helloworld'
            $clusters[$i] | Install-MeshSample -Name Helloworld -Version $versions[$i % 2] -Namespace sample @params
        }
        $params = Sample 'sleep'
        $clusters[0] | Install-MeshSample -Name Sleep -Namespace sleep @params
        Start-Sleep -Seconds 60
        $result = Test-MeshConnectivity -From $clusters[0] -Namespace sleep -Url helloworld.sample:5000/hello -Count 20 -MinClusters 2 |
            Select-Object -Last 1
        $result.Passed | Should -BeTrue
        $result.DistinctServers | Should -BeGreaterOrEqual 2
    }

    It 'keeps helloworld served when it leaves the client''s cluster' {
        $params = Sample 'helloworld'
        $verdict = Test-MeshFailover -From $clusters[0] -RemoveFrom $clusters[0] -Sample Helloworld -Component helloworld -SampleNamespace sample `
            -Version v1 -Namespace sleep -Url helloworld.sample:5000/hello -Count 10 -Settle (New-TimeSpan -Seconds 30) -Confirm:$false @params |
            Select-Object -Last 1
        $verdict.Passed | Should -BeTrue
        $verdict.Restored | Should -BeTrue
    }

    It 'rotates the reader tokens and stays healthy' {
        Update-MeshRemoteSecret -Cluster $clusters -Confirm:$false | Should -Not -BeNullOrEmpty
        Start-Sleep -Seconds 30
        ($clusters | Get-MeshStatus)[-1].Healthy | Should -BeTrue
    }

    It 'tears down: one cluster leaves without trace, then the samples go' {
        Disconnect-MeshCluster -Cluster $clusters[-1] -From $clusters[0..($clusters.Count - 2)] -Confirm:$false | Should -Not -BeNullOrEmpty
        $status = $clusters[0..($clusters.Count - 2)] | Get-MeshStatus
        $status | Where-Object { $_.Check -eq 'remote-secret' -and $_.Status -ne 'OK' } | Should -BeNullOrEmpty
        $clusters | Remove-MeshSample -Name Helloworld -Namespace sample -Confirm:$false
        $clusters[0] | Remove-MeshSample -Name Sleep -Confirm:$false
    }
}
