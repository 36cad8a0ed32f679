<#
Ctrl+C: stopping a pipeline as the console host does (PowerShell.BeginStop on the running pipeline) stops a cmdlet
waiting on the lab at once, with PipelineStoppedException, and leaves the clusters as they were: nothing changed by a
wait, every object of an install applied, a failover test's component put back. Each pipeline runs in a [powershell]
of its own (its own runspace, the built module imported), so this process can stop it while it waits.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-TestedModule
    $script:lab = Start-TestLab
    Set-LabVariable $lab $ExecutionContext.SessionState
    $script:manifest = Join-Path (Get-RepoRoot) 'tests/Samples/helloworld.yaml'

    # A hang detector, not a speed target: a stop that works takes milliseconds.
    $script:bound = [timespan]::FromSeconds(5)

    function script:Get-ObjectVersion([string] $Cluster, [string] $Namespace) {
        <#
        What the module could have changed: each object's generation and the time of the module's field-manager entry
        (resourceVersion would also move when the controller manager updates a Deployment's status).
        #>
        Invoke-LabKubectl $lab $Cluster -n $Namespace get 'services,deployments,gateways.networking.istio.io' -o `
            'jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.generation}@{.metadata.managedFields[?(@.manager=="ossm-multicluster")].time} {end}'
    }

    function script:Stop-PipelineWhile {
        <#
        Runs $Script in a [powershell] of its own with the module imported and $Variables set, and once it has been in
        $Phase (a progress activity, or the start of a verbose message) for a second, stops it as Ctrl+C does. Returns
        what it wrote (Output, Errors), the exception that ended it (Terminating) and how long the stop took (Took).
        #>
        param([Parameter(Mandatory)] [string] $Script, [Parameter(Mandatory)] [string] $Phase, [hashtable] $Variables = @{})
        $state = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
        $null = $state.ImportPSModule([string[]] @(Get-ModuleManifestPath))
        $runspace = [runspacefactory]::CreateRunspace($state)
        $runspace.Open()
        $ps = [powershell]::Create($runspace)
        try {
            foreach ($name in $Variables.Keys) { $runspace.SessionStateProxy.SetVariable($name, $Variables[$name]) }
            $null = $ps.AddScript($Script)
            $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
            $invocation = $ps.BeginInvoke[psobject, psobject]($null, $output)

            $progress = $ps.Streams.Progress
            $verbose = $ps.Streams.Verbose
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $started = $false
            while (-not $started -and $clock.Elapsed -lt [timespan]::FromMinutes(1)) {
                for ($i = 0; $i -lt $progress.Count -and -not $started; $i++) { $started = $progress[$i].Activity -eq $Phase }
                for ($i = 0; $i -lt $verbose.Count -and -not $started; $i++) { $started = $verbose[$i].Message.StartsWith($Phase, [StringComparison]::Ordinal) }
                if (-not $started) { Start-Sleep -Milliseconds 50 }
            }
            $started | Should -BeTrue -Because "'$Phase' should start (state $($ps.InvocationStateInfo.State): $($ps.InvocationStateInfo.Reason.Message))"
            Start-Sleep -Seconds 1
            $ps.InvocationStateInfo.State | Should -Be ([System.Management.Automation.PSInvocationState]::Running)

            $clock = [Diagnostics.Stopwatch]::StartNew()
            $stop = $ps.BeginStop($null, $null)
            $ended = $stop.AsyncWaitHandle.WaitOne($bound) -and $invocation.AsyncWaitHandle.WaitOne($bound)
            $took = $clock.Elapsed
            $ended | Should -BeTrue -Because 'the pipeline should stop'
            $ps.EndStop($stop)
            $terminating = $null
            try { $null = $ps.EndInvoke($invocation) }
            catch {
                # The method call wraps what the pipeline threw.
                $terminating = $_.Exception
                while ($terminating -is [System.Management.Automation.MethodInvocationException] -and $terminating.InnerException) { $terminating = $terminating.InnerException }
            }
            $ps.InvocationStateInfo.State | Should -Be ([System.Management.Automation.PSInvocationState]::Stopped)
            [pscustomobject]@{ Output = @($output); Errors = @($ps.Streams.Error); Terminating = $terminating; Took = $took }
        }
        finally {
            $ps.Dispose()
            $runspace.Dispose()
        }
    }
}

AfterAll {
    Stop-TestLab $lab
}

Describe 'Ctrl+C' {
    It 'ends Wait-MeshGateway''s wait at once and changes nothing' {
        $ns = 'stop-wait'
        $null = Get-MeshCluster -Kubeconfig $west, $east |
            Install-MeshEastWestGateway -Namespace $ns -LoadBalancerAnnotation @{ 'ossm-lab/ingress' = 'none' } -ErrorVariable setupErrs
        $setupErrs | Should -BeNullOrEmpty
        $before = "$(Get-ObjectVersion west $ns)|$(Get-ObjectVersion east $ns)"

        $run = Stop-PipelineWhile -Phase 'Waiting for gateway addresses' -Variables @{ west = $west; east = $east; ns = $ns } -Script @'
Get-MeshCluster -Kubeconfig $west, $east | Wait-MeshGateway -Namespace $ns -Timeout 00:10:00
'@

        $run.Terminating.GetType() | Should -Be ([System.Management.Automation.PipelineStoppedException])
        $run.Took | Should -BeLessThan $bound
        $run.Output | Should -BeNullOrEmpty
        $run.Errors | Should -BeNullOrEmpty
        "$(Get-ObjectVersion west $ns)|$(Get-ObjectVersion east $ns)" | Should -BeExactly $before
    }

    It 'stops an install waiting for addresses with every object applied, and a re-run changes nothing' {
        $ns = 'stop-install'
        $run = Stop-PipelineWhile -Phase 'Waiting for gateway addresses' -Variables @{ west = $west; east = $east; ns = $ns } -Script @'
Get-MeshCluster -Kubeconfig $west, $east |
    Install-MeshEastWestGateway -Namespace $ns -LoadBalancerAnnotation @{ 'ossm-lab/ingress' = 'none' } -Wait -Timeout 00:10:00 |
    ForEach-Object { "$($_.Cluster)|$($_.Kind)|$($_.Action)" }
'@

        $run.Terminating.GetType() | Should -Be ([System.Management.Automation.PipelineStoppedException])
        $run.Took | Should -BeLessThan $bound
        $run.Errors | Should -BeNullOrEmpty
        $run.Output | ForEach-Object { "$_" } | Should -BeExactly 'west|Namespace|Created', 'west|Service|Created', 'west|Deployment|Created', 'west|Gateway|Created',
            'east|Namespace|Created', 'east|Service|Created', 'east|Deployment|Created', 'east|Gateway|Created'

        $actions = Get-MeshCluster -Kubeconfig $west, $east |
            Install-MeshEastWestGateway -Namespace $ns -LoadBalancerAnnotation @{ 'ossm-lab/ingress' = 'none' } -ErrorVariable againErrs |
            ForEach-Object Action | Sort-Object -Unique
        $againErrs | Should -BeNullOrEmpty
        $actions | ForEach-Object { "$_" } | Should -BeExactly 'Unchanged'
    }

    It 'cancels Test-MeshFailover''s settling wait and restores the component it removed' {
        $sample = 'stop-failover-hw'
        New-LabClientPod $lab west stop-failover-client sleep-0 sleep -Ready
        $null = Get-MeshCluster -Kubeconfig $west | Install-MeshSample -Name Helloworld -Version v2 -Path $manifest -Namespace $sample -ErrorVariable setupErrs
        $setupErrs | Should -BeNullOrEmpty
        function Get-Uid([string] $What) { Invoke-LabKubectl $lab west -n $sample get $What -o 'jsonpath={.metadata.uid}' }
        $serviceBefore, $deploymentBefore = (Get-Uid service/helloworld), (Get-Uid deployment/helloworld-v2)

        # A minute of settling: only the cancellation of the wait itself (no progress is written) ends it within the bound.
        $run = Stop-PipelineWhile -Phase 'Waiting 60 s for the mesh' -Variables @{ west = $west; manifest = $manifest; sample = $sample } -Script @'
$c = Get-MeshCluster -Kubeconfig $west
Test-MeshFailover -From $c -RemoveFrom $c -Sample Helloworld -Component helloworld -SampleNamespace $sample -Version v2 -Path $manifest `
    -Namespace stop-failover-client -Url "helloworld.${sample}:5000/hello" -Settle 00:01:00 -Confirm:$false -Verbose |
    ForEach-Object { "$($_.Kind)|$($_.Name)|$($_.Action)" }
'@

        $run.Terminating.GetType() | Should -Be ([System.Management.Automation.PipelineStoppedException])
        $run.Took | Should -BeLessThan $bound
        $run.Errors | Should -BeNullOrEmpty
        $run.Output | ForEach-Object { "$_" } | Should -BeExactly 'Service|helloworld|Deleted', 'Deployment|helloworld-v2|Deleted'
        Get-Uid service/helloworld | Should -Not -BeNullOrEmpty
        Get-Uid service/helloworld | Should -Not -Be $serviceBefore
        Get-Uid deployment/helloworld-v2 | Should -Not -Be $deploymentBefore
        (Invoke-LabKubectl $lab west -Try -n $sample get deployment/helloworld-v1).Code | Should -Not -Be 0
    }
}
