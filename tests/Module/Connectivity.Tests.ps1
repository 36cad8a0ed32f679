<#
Test-MeshConnectivity and Test-MeshFailover on the lab. Client pods are real API objects (created, their status patched
as a kubelet would), so finding the client pod is real. The lab has no kubelet, so nothing can be exec'd into: the
exec is a named stand-in, a small program the module runs in its place because OSSM_MULTICLUSTER_POD_EXEC names it
(the module's one documented test seam). ScriptedPodExec answers like helloworld, v1 and v2 in turn, and logs each
call; NoCurlPodExec answers as a container without curl does.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-TestedModule
    $script:lab = Start-TestLab
    Set-LabVariable $lab $ExecutionContext.SessionState
    $script:manifest = Join-Path (Get-RepoRoot) 'tests/Samples/helloworld.yaml'

    $script:standIns = New-TestDirectory
    $script:calls = Join-Path $standIns 'calls.log'
    $script:scripted = Join-Path $standIns 'scripted-pod-exec'
    Set-Content -Path $scripted -Value @"
#!/usr/bin/env bash
# ScriptedPodExec: cluster namespace pod container command... -> helloworld's reply and curl's trailer.
cluster=`$1 pod="`$2/`$3" container=`$4; shift 4
echo "`$cluster|`$pod|`$container|`$*" >> '$calls'
n=`$(wc -l < '$calls')
if (( n % 2 )); then v=v1; else v=v2; fi
printf 'Hello version: %s, instance: helloworld-%s-758dd55874-6x4t8\n\n200 0.0125' "`$v" "`$v"
"@
    $script:noCurl = Join-Path $standIns 'nocurl-pod-exec'
    Set-Content -Path $noCurl -Value @'
#!/usr/bin/env bash
# NoCurlPodExec: the container has no curl.
echo 'exec: "curl": executable file not found in $PATH' >&2
exit 127
'@
    & chmod +x $scripted $noCurl

    function script:Use-PodExec([string] $Program) {
        Remove-Item $calls -ErrorAction SilentlyContinue
        $env:OSSM_MULTICLUSTER_POD_EXEC = $Program
    }
    function script:Get-PodExecCall { @(Get-Content $calls -ErrorAction SilentlyContinue) }
}

AfterAll {
    $env:OSSM_MULTICLUSTER_POD_EXEC = $null
    Remove-Item $standIns -Recurse -Force -ErrorAction SilentlyContinue
    Stop-TestLab $lab
}

Describe 'Test-MeshFailover' {
    AfterEach { $env:OSSM_MULTICLUSTER_POD_EXEC = $null }

    It 'removes the component, proves it is still served and restores it' {
        New-LabClientPod $lab west conn-failover sleep-0 sleep -Ready
        $c = Get-MeshCluster -Kubeconfig $west
        $null = $c | Install-MeshSample -Name Helloworld -Version v2 -Path $manifest -Namespace failover-hw
        Use-PodExec $scripted
        $out = Test-MeshFailover -From $c -RemoveFrom $c -Sample Helloworld -Component helloworld -SampleNamespace failover-hw -Version v2 `
            -Path $manifest -Namespace conn-failover -Url helloworld.failover-hw:5000/hello -Count 4 -Settle 0 -Confirm:$false -ErrorVariable errors

        $errors | Should -BeNullOrEmpty
        $out | Where-Object { $_ -is [OssmMultiCluster.Model.MeshResourceResult] } | ForEach-Object { "$($_.Kind)|$($_.Name)|$($_.Action)" } |
            Should -Be 'Service|helloworld|Deleted', 'Deployment|helloworld-v2|Deleted',
            'Namespace|failover-hw|Unchanged', 'Service|helloworld|Created', 'Deployment|helloworld-v2|Created'
        $verdict = $out[-1]
        $verdict | Should -BeOfType ([OssmMultiCluster.Model.MeshFailoverResult])
        "$($verdict.Passed)|$($verdict.Restored)|$($verdict.RemovedFrom)" | Should -Be 'True|True|west'
        @($out | Where-Object { $_ -is [OssmMultiCluster.Model.MeshConnectivityProbe] }).Count | Should -Be 4
        (Invoke-LabKubectl $lab west -Try -n failover-hw get deployment helloworld-v2).Code | Should -Be 0
        (Invoke-LabKubectl $lab west -Try -n failover-hw get deployment helloworld-v1).Code | Should -Not -Be 0
    }

    It 'restores the component before reporting why it could not send its requests' {
        New-LabClientPod $lab west conn-failover-nocurl sleep-0 sleep -Ready
        $c = Get-MeshCluster -Kubeconfig $west
        $null = $c | Install-MeshSample -Name Helloworld -Version v2 -Path $manifest -Namespace failover-nocurl
        Use-PodExec $noCurl
        # CurlMissing ends the command (a terminating error); what it wrote before is in -OutVariable.
        $failure = $null
        try {
            $null = Test-MeshFailover -From $c -RemoveFrom $c -Sample Helloworld -Component helloworld -SampleNamespace failover-nocurl -Version v2 `
                -Path $manifest -Namespace conn-failover-nocurl -Url helloworld.failover-nocurl:5000/hello -Count 2 -Settle 0 -Confirm:$false -OutVariable out
        }
        catch { $failure = $_ }

        $out | ForEach-Object { "$($_.Kind)|$($_.Name)|$($_.Action)" } |
            Should -Be 'Service|helloworld|Deleted', 'Deployment|helloworld-v2|Deleted',
            'Namespace|failover-nocurl|Unchanged', 'Service|helloworld|Created', 'Deployment|helloworld-v2|Created'
        $failure.FullyQualifiedErrorId | Should -Be 'CurlMissing,OssmMultiCluster.Commands.TestMeshFailoverCommand'
        (Invoke-LabKubectl $lab west -Try -n failover-nocurl get deployment helloworld-v2).Code | Should -Be 0
    }
}

Describe 'Test-MeshConnectivity' {
    AfterEach { $env:OSSM_MULTICLUSTER_POD_EXEC = $null }

    It 'is NoClientPod, saying how to deploy sleep, when no pod matches the selector' {
        $out = Get-MeshCluster -Kubeconfig $west | Test-MeshConnectivity -Namespace conn-none -Url helloworld.sample:5000/hello -ErrorVariable errors -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $errors.Count | Should -Be 1
        $e = $errors[0]
        $e.FullyQualifiedErrorId | Should -Be 'NoClientPod,OssmMultiCluster.Commands.TestMeshConnectivityCommand'
        $e.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::ObjectNotFound)
        $e.TargetObject | Should -Be 'west'
        "$e" | Should -BeLike "*'app=sleep' in namespace 'conn-none'*"
        $e.ErrorDetails.RecommendedAction | Should -BeLike '*samples/sleep/sleep.yaml*'
    }

    It 'is ClientPodNotReady, naming each pod''s state, when no pod is Running and ready' {
        New-LabClientPod $lab west conn-notready sleep-pending sleep
        New-LabClientPod $lab west conn-notready sleep-starting sleep -NotReady
        $out = Get-MeshCluster -Kubeconfig $west | Test-MeshConnectivity -Namespace conn-notready -Url helloworld.sample:5000/hello -ErrorVariable errors -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $errors.Count | Should -Be 1
        $e = $errors[0]
        $e.FullyQualifiedErrorId | Should -Be 'ClientPodNotReady,OssmMultiCluster.Commands.TestMeshConnectivityCommand'
        $e.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidOperation)
        "$e" | Should -BeLike '*sleep-pending: Pending*'
        "$e" | Should -BeLike '*sleep-starting: Running, not ready: sleep*'
        $e.ErrorDetails.RecommendedAction | Should -BeLike '*kubectl -n conn-notready wait pod -l app=sleep*'
    }

    It 'uses the first ready pod by name and its client container, not the sidecar, and writes probes and a verdict' {
        New-LabClientPod $lab west conn-test sleep-c sleep -Ready
        New-LabClientPod $lab west conn-test sleep-b sleep -Ready
        New-LabClientPod $lab west conn-test sleep-a sleep -NotReady
        New-LabClientPod $lab west conn-test curl-0 other -Ready
        Use-PodExec $scripted
        $out = Get-MeshCluster -Kubeconfig $west | Test-MeshConnectivity -Namespace conn-test -Url helloworld.sample:5000/hello -Count 4 -ErrorVariable errors
        $errors | Should -BeNullOrEmpty

        $probes = @($out | Where-Object { $_ -is [OssmMultiCluster.Model.MeshConnectivityProbe] })
        $probes | ForEach-Object { "$($_.Cluster)|$($_.Pod)|$($_.Index)|$($_.StatusCode)|$($_.TimeMs)|$($_.ServedBy)" } |
            Should -Be 'west|conn-test/sleep-b|1|200|12.5|v1', 'west|conn-test/sleep-b|2|200|12.5|v2',
            'west|conn-test/sleep-b|3|200|12.5|v1', 'west|conn-test/sleep-b|4|200|12.5|v2'
        $result = $out[-1]
        $result | Should -BeOfType ([OssmMultiCluster.Model.MeshConnectivityResult])
        "$($result.Passed)|$($result.Requests)|$($result.Succeeded)|$($result.DistinctServers)|$($result.Distribution['v1'])|$($result.Distribution['v2'])" |
            Should -Be 'True|4|4|2|2|2'
        (Get-PodExecCall)[0] | Should -Be 'west|conn-test/sleep-b|sleep|curl -sS -o - -w \n%{http_code} %{time_total} --max-time 10 http://helloworld.sample:5000/hello'

        # The probes' table; the verdict, shown alone, in its own (in a mixed stream PowerShell lists the second type).
        $probeView = $probes | Out-String -Width 200
        $probeView | Should -Match '(?m)^Cluster\s+Index\s+Status\s+TimeMs\s+ServedBy\s+Detail'
        $probeView | Should -Match '(?m)^west\s+4\s+200\s+12[.,]5\s+v2'
        $verdictView = $result | Out-String -Width 200
        $verdictView | Should -Match '(?m)^From\s+Passed\s+Succeeded\s+Distribution\s+Detail'
        $verdictView | Should -Match '(?m)^west\s+True\s+4/4\s+v1=2, v2=2\s+4 of 4 requests succeeded'

        $null = Get-MeshCluster -Kubeconfig $west | Test-MeshConnectivity -Namespace conn-test -Selector app=other -Container sleep -Url x.y/z -Count 1 -MinClusters 1
        (Get-PodExecCall)[-1] | Should -Be 'west|conn-test/curl-0|sleep|curl -sS -o - -w \n%{http_code} %{time_total} --max-time 10 http://x.y/z'

        $token = ((Get-Content -Raw $west) -split 'token: ')[1].Split("`n")[0].Trim()
        ($out | Out-String) + ($out | Format-List | Out-String) | Should -Not -BeLike "*$token*"
    }

    It 'is ClientContainerNotFound for a container the pod does not have' {
        New-LabClientPod $lab west conn-container sleep-0 sleep -Ready
        $null = Get-MeshCluster -Kubeconfig $west | Test-MeshConnectivity -Namespace conn-container -Container curl -Url helloworld.sample:5000/hello -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors.Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'ClientContainerNotFound,OssmMultiCluster.Commands.TestMeshConnectivityCommand'
        "$($errors[0])" | Should -BeLike '*it has istio-proxy, sleep*'
    }

    It 'turns the real exec against a pod no kubelet runs into ExecFailed naming the pod, not a crash' {
        New-LabClientPod $lab west conn-realexec sleep-0 sleep -Ready
        $out = Get-MeshCluster -Kubeconfig $west | Test-MeshConnectivity -Namespace conn-realexec -Url helloworld.sample:5000/hello -Count 1 -ErrorVariable errors -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $errors.Count | Should -Be 1
        $e = $errors[0]
        # The API server refuses the WebSocket upgrade (400: the pod has no node), which is all the lab can show of the real exec.
        $e.FullyQualifiedErrorId | Should -Be 'ExecFailed,OssmMultiCluster.Commands.TestMeshConnectivityCommand'
        $e.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::ConnectionError)
        "$e" | Should -BeLike '*could not run curl in pod conn-realexec/sleep-0*'
        $e.ErrorDetails.RecommendedAction | Should -BeLike '*kubectl -n conn-realexec exec sleep-0 -c sleep -- true*'
    }

    It 'stops on an invalid pattern or URL before any cluster is asked' {
        $c = Get-MeshCluster -Kubeconfig $west
        { $c | Test-MeshConnectivity -Url helloworld.sample:5000/hello -Pattern '(unclosed' } |
            Should -Throw -ErrorId 'PatternInvalid,OssmMultiCluster.Commands.TestMeshConnectivityCommand'
        { $c | Test-MeshConnectivity -Url '--config=/etc/passwd' } |
            Should -Throw -ErrorId 'UrlInvalid,OssmMultiCluster.Commands.TestMeshConnectivityCommand'
    }
}
