<#
Get-MeshRemoteCluster and Get-MeshStatus -IstiodView on the lab. The istiod pods are real API objects (created, their
status patched as a kubelet would), the remote secrets are real Secrets, so finding istiod and the expected clusters is
real. The lab has no kubelet and no istiod: the exec into istiod is a named stand-in (IstiodClusterzStandIn, run by the
module because OSSM_MULTICLUSTER_POD_EXEC names it) that prints a response recorded in the format istiod serves
(tests/OssmMultiCluster.Tests/Mesh/Status/Recorded). Without the stand-in, the real exec goes to the lab's API server.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-TestedModule
    $script:lab = Start-TestLab
    Set-LabVariable $lab $ExecutionContext.SessionState
    $script:ns = 'istiod-view'
    $script:recordings = Join-Path (Get-RepoRoot) 'tests/OssmMultiCluster.Tests/Mesh/Status/Recorded'

    $script:standIns = New-TestDirectory
    $script:calls = Join-Path $standIns 'calls.log'
    $script:standIn = Join-Path $standIns 'istiod-clusterz'
    # IstiodClusterzStandIn: cluster namespace pod container command... -> the response recorded for that cluster.
    Set-Content -Path $standIn -Value @"
#!/usr/bin/env bash
cluster=`$1 pod="`$2/`$3" container=`$4; shift 4
echo "`$cluster|`$pod|`$container|`$*" >> '$calls'
if [[ "`$*" != 'pilot-discovery request GET /debug/clusterz' ]]; then echo "unexpected command: `$*" >&2; exit 2; fi
reply='$standIns'/"`$cluster".reply
if [[ -f "`$reply.fail" ]]; then cat "`$reply.fail" >&2; exit 1; fi
cat "`$reply"
"@
    & chmod +x $standIn

    function script:Use-Reply([string] $Cluster, [string] $Recorded, [string] $Failure) {
        Remove-Item (Join-Path $standIns "$Cluster.reply*") -ErrorAction SilentlyContinue
        if ($Recorded) { Copy-Item (Join-Path $recordings $Recorded) (Join-Path $standIns "$Cluster.reply") }
        if ($Failure) { Set-Content (Join-Path $standIns "$Cluster.reply.fail") $Failure }
    }
    function script:New-RemoteSecret([string] $On, [string] $For) {
        $secret = @{ apiVersion = 'v1'; kind = 'Secret'; type = 'Opaque'
            metadata = @{ name = "istio-remote-secret-$For"; namespace = $ns; labels = @{ 'istio/multiCluster' = 'true' } }
            stringData = @{ $For = 'apiVersion: v1' } } | ConvertTo-Json -Depth 5
        $file = New-TemporaryFile
        try { Set-Content $file $secret; $null = Invoke-LabKubectl $lab $On apply -f $file }
        finally { Remove-Item $file }
    }

    # east runs an istiod and holds a remote secret for west; west has the namespace but no istiod.
    New-LabClientPod $lab east $ns istiod-7d4b9c-abcde istiod -Ready
    New-RemoteSecret -On east -For west
    $null = Invoke-LabKubectl $lab west -Try create namespace $ns
    $script:clusters = Get-MeshCluster -Kubeconfig $west, $east -Name west, east -Network west-network, east-network
}

AfterAll {
    $env:OSSM_MULTICLUSTER_POD_EXEC = $null
    Remove-Item $standIns -Recurse -Force -ErrorAction SilentlyContinue
    Stop-TestLab $lab
}

Describe 'Get-MeshRemoteCluster' {
    BeforeEach { Remove-Item $calls -ErrorAction SilentlyContinue; $env:OSSM_MULTICLUSTER_POD_EXEC = $standIn }
    AfterEach { $env:OSSM_MULTICLUSTER_POD_EXEC = $null }

    It 'asks the running istiod in its own container and reports a synced remote cluster as OK' {
        Use-Reply east 'clusterz-east-synced.json'
        $view = $clusters[1] | Get-MeshRemoteCluster -Namespace $ns

        $view | Should -HaveCount 1
        $view[0] | Should -BeOfType ([OssmMultiCluster.Model.MeshRemoteCluster])
        $view[0].Cluster | Should -Be 'east'
        $view[0].Istiod | Should -Be 'istiod-7d4b9c-abcde'
        $view[0].RemoteCluster | Should -Be 'west'
        $view[0].SecretName | Should -Be "istio-system/istio-remote-secret-west"
        $view[0].SyncStatus | Should -Be 'synced'
        $view[0].Status | Should -Be 'OK'
        Get-Content $calls | Should -Be "east|$ns/istiod-7d4b9c-abcde|discovery|pilot-discovery request GET /debug/clusterz"
    }

    It 'shows a table a user scans, and the pod with Format-List' {
        Use-Reply east 'clusterz-east-synced.json'
        $view = $clusters[1] | Get-MeshRemoteCluster -Namespace $ns
        $table = $view | Out-String
        $table | Should -Match 'Cluster\s+RemoteCluster\s+SyncStatus\s+Status\s+Detail'
        $table | Should -Match 'east\s+west\s+synced\s+OK'
        ($view | Format-List Istiod, SecretName | Out-String) | Should -Match 'Istiod\s+: istiod-7d4b9c-abcde'
    }

    It 'reports a remote secret istiod has not loaded as missing, an Error' {
        Use-Reply east 'clusterz-none.json'
        $view = $clusters[1] | Get-MeshRemoteCluster -Namespace $ns
        $view.SyncStatus | Should -Be 'missing'
        $view.Status | Should -Be 'Error'
        $view.Detail | Should -Match "istio-remote-secret-west"
    }

    It 'judges syncing, timeout and clusters no secret names as istiod reports them' {
        Use-Reply east 'clusterz-three-clusters.json'
        $view = $clusters[1] | Get-MeshRemoteCluster -Namespace $ns
        $byCluster = @{}; $view | ForEach-Object { $byCluster[$_.RemoteCluster] = $_ }
        $byCluster.Keys | Sort-Object | Should -Be 'north', 'south', 'west'
        $byCluster['west'].Status | Should -Be 'OK'
        # No remote secret on east names north or south: istiod reads them all the same.
        $byCluster['north'].Status | Should -Be 'Warning'
        $byCluster['south'].Status | Should -Be 'Warning'
        $byCluster['south'].SyncStatus | Should -Be 'timeout'
    }

    It 'reports a cluster without istiod as IstiodNotRunning and still reads the others' {
        Use-Reply east 'clusterz-east-synced.json'
        $view = $clusters | Get-MeshRemoteCluster -Namespace $ns -ErrorVariable errors -ErrorAction SilentlyContinue
        $view.Cluster | Should -Be 'east'
        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'IstiodNotRunning,*'
        $errors[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errors[0].TargetObject | Should -Be 'west'
        $errors[0].ErrorDetails.RecommendedAction | Should -Match 'Install-MeshControlPlane'
    }

    It 'reports an istiod that refuses the request as IstiodDebugFailed, with what it said' {
        Use-Reply east -Failure 'Error: received unsuccessful status code 500: the server is shutting down'
        $view = $clusters[1] | Get-MeshRemoteCluster -Namespace $ns -ErrorVariable errors -ErrorAction SilentlyContinue
        $view | Should -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'IstiodDebugFailed,*'
        $errors[0].CategoryInfo.Category | Should -Be 'ReadError'
        $errors[0].Exception.Message | Should -Match 'unsuccessful status code 500'
    }

    It 'without the stand-in, execs through the lab API server, which has no kubelet: ExecFailed names the pod' {
        $env:OSSM_MULTICLUSTER_POD_EXEC = $null
        $view = $clusters[1] | Get-MeshRemoteCluster -Namespace $ns -ErrorVariable errors -ErrorAction SilentlyContinue
        $view | Should -BeNullOrEmpty
        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'ExecFailed,*'
        $errors[0].Exception.Message | Should -Match "$ns/istiod-7d4b9c-abcde"
        Test-Path $calls | Should -BeFalse
    }
}

Describe 'Get-MeshStatus -IstiodView' {
    BeforeEach { $env:OSSM_MULTICLUSTER_POD_EXEC = $standIn }
    AfterEach { $env:OSSM_MULTICLUSTER_POD_EXEC = $null }

    It 'adds one istiod-view check per remote cluster, and one Error for a cluster whose istiod cannot be asked' {
        Use-Reply east 'clusterz-none.json'
        $out = $clusters | Get-MeshStatus -Namespace $ns -IstiodView
        $checks = $out | Where-Object { $_ -is [OssmMultiCluster.Model.MeshStatusCheck] -and $_.Check -eq 'istiod-view' }
        $checks | Should -HaveCount 2
        ($checks | Where-Object Cluster -EQ 'east').Detail | Should -Match '^west: .*has not loaded'
        ($checks | Where-Object Cluster -EQ 'west').Detail | Should -Match '^IstiodNotRunning'
        $checks.Status | Should -Be 'Error', 'Error'
        $summary = $out[-1]
        $summary.Checks | Should -Be (@($out).Count - 1)
    }

    It 'asks no istiod without the switch' {
        Remove-Item $calls -ErrorAction SilentlyContinue
        $out = $clusters | Get-MeshStatus -Namespace $ns
        $out | Where-Object { $_ -is [OssmMultiCluster.Model.MeshStatusCheck] -and $_.Check -eq 'istiod-view' } | Should -BeNullOrEmpty
        Test-Path $calls | Should -BeFalse
    }
}
