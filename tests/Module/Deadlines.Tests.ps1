<#
No call without a deadline: kubeconfig exec credential plugins (an SSO prompt, a cloud CLI) run by the module with
-CredentialTimeout, API calls with -RequestTimeout, waits with -Timeout; and Get-MeshStatus never runs a command it
finds in a cluster's remote secret. The plugins are small bash scripts written by each test: stand-ins for a real
credential plugin at the process boundary, named as such. No assertion on time: the deadlines given are short so that
the file stays quick, and each test checks what a runbook sees (the error, and the plugin's processes gone).
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-TestedModule
    $script:lab = Start-TestLab
    Set-LabVariable $lab $ExecutionContext.SessionState
    $ErrorActionPreference = 'Stop'
    $script:dir = New-TestDirectory
    # What a plugin prints that must never reach any stream: its output can hold credentials.
    $script:marker = "plugin-output-$([guid]::NewGuid().ToString('n'))"
    $script:adminToken = ((Get-Content $west | Where-Object { $_ -match '^\s+token:' }) -split ':\s*')[1].Trim()

    function script:New-PluginKubeconfig([string] $Name, [string] $PluginBody, [string] $ApiVersion = 'client.authentication.k8s.io/v1') {
        <# West's kubeconfig with its token replaced by an exec plugin (a stand-in credential plugin: a bash script). #>
        $plugin = Join-Path $dir "$Name.sh"
        Set-Content -Path $plugin -Value "#!/usr/bin/env bash`n$PluginBody"
        chmod +x $plugin
        New-ExecKubeconfig $Name $plugin $ApiVersion
    }

    function script:New-ExecKubeconfig([string] $Name, [string] $Command, [string] $ApiVersion = 'client.authentication.k8s.io/v1') {
        <# West's kubeconfig whose user runs $Command for its credentials (written as a user's file would be, absolute path). #>
        $config = Join-Path $dir "$Name.kubeconfig"
        $exec = "    exec:`n      apiVersion: $ApiVersion`n      command: $Command"
        (Get-Content $west -Raw) -replace '(?m)^    token: .*$', $exec | Set-Content $config
        $config
    }

    function script:Assert-PluginError($Run, [string] $ErrorId, [string] $Category, [string] $Command) {
        $record = if ($Run.Terminating) { $Run.Terminating } else { @($Run.Errors)[0] }
        $record | Should -Not -BeNullOrEmpty -Because "$ErrorId is expected"
        $record.FullyQualifiedErrorId | Should -BeExactly "$ErrorId,OssmMultiCluster.Commands.GetMeshClusterCommand"
        "$($record.CategoryInfo.Category)" | Should -BeExactly $Category
        $record.TargetObject | Should -BeExactly 'west'
        "$record" | Should -BeLikeExactly "*context 'west'*"
        if ($Command) { "$record" | Should -BeLikeExactly "*$Command*" }
        $record.ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
        ($Run | Get-ScriptRunText).Contains($marker) | Should -BeFalse -Because "the plugin's output is never shown"
        $Run.Output | Should -BeNullOrEmpty
        $record
    }
}

AfterAll {
    Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
    Stop-TestLab $lab
}

Describe 'Get-MeshCluster with an exec credential plugin' {
    It 'stops a plugin that never exits after -CredentialTimeout: CredentialPluginTimeout naming context and command, the plugin and its child killed' {
        $pids = Join-Path $dir 'hung.pids'
        # A login that waits for an answer nobody gives: it starts a child (a browser, a cloud CLI) and waits for it.
        $config = New-PluginKubeconfig hung @"
echo '$marker' >&2
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"$marker'
sleep 3600 &
echo "`$`$ `$!" > '$pids'
wait
"@
        $run = Invoke-ModuleScript -Variables @{ config = $config } 'Get-MeshCluster -Kubeconfig $config -CredentialTimeout 00:00:02'

        $e = Assert-PluginError $run CredentialPluginTimeout OperationTimeout (Join-Path $dir 'hung.sh')
        "$e" | Should -BeLikeExactly '*within 2 s*'
        $e.ErrorDetails.RecommendedAction | Should -BeLikeExactly '*-CredentialTimeout*'
        foreach ($id in (Get-Content $pids) -split ' ') {
            # Killed by then; the wait only covers the kernel's reaping of it.
            $process = Get-Process -Id $id -ErrorAction SilentlyContinue
            if ($process) { $process.WaitForExit(10000) | Should -BeTrue -Because "process $id of the plugin's tree must be stopped" }
        }
    }

    It 'runs a plugin that answers, and the cluster works with its token (which no stream shows)' {
        $config = New-PluginKubeconfig good @"
echo '$marker' >&2
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' '$adminToken'
"@
        $run = Invoke-ModuleScript -Variables @{ config = $config } 'Get-MeshCluster -Kubeconfig $config -Test -Verbose | ForEach-Object Name'

        $run | Assert-NoScriptError
        $run.Output | Should -BeExactly 'west'
        $text = $run | Get-ScriptRunText
        $text.Contains($adminToken) | Should -BeFalse
        $text.Contains($marker) | Should -BeFalse
    }

    It 'is CredentialPluginFailed when the plugin exits with an error, without its output' {
        $config = New-PluginKubeconfig failing "echo '$marker'; echo '$marker' >&2; exit 3"
        $run = Invoke-ModuleScript -Variables @{ config = $config } 'Get-MeshCluster -Kubeconfig $config'

        $e = Assert-PluginError $run CredentialPluginFailed PermissionDenied (Join-Path $dir 'failing.sh')
        "$e" | Should -BeLikeExactly '*exit code 3*'
    }

    It 'is CredentialPluginInvalid when the plugin answers something other than an ExecCredential' {
        $config = New-PluginKubeconfig garbage "echo '$marker'"
        $run = Invoke-ModuleScript -Variables @{ config = $config } 'Get-MeshCluster -Kubeconfig $config'

        $null = Assert-PluginError $run CredentialPluginInvalid InvalidData (Join-Path $dir 'garbage.sh')
    }

    It 'is CredentialPluginNotFound when the command does not exist' {
        $config = New-ExecKubeconfig missing ossm-no-such-login-tool
        $run = Invoke-ModuleScript -Variables @{ config = $config } 'Get-MeshCluster -Kubeconfig $config'

        $null = Assert-PluginError $run CredentialPluginNotFound ObjectNotFound ossm-no-such-login-tool
    }

    It 'refuses a -CredentialTimeout that is not positive' {
        { Get-MeshCluster -Kubeconfig $west -CredentialTimeout 0 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,OssmMultiCluster.Commands.GetMeshClusterCommand'
    }
}

Describe 'API calls with -RequestTimeout' {
    It 'is ClusterTimeout when a server accepts the connection and never answers; the other cluster answers' {
        # A listener that never accepts: the kernel completes the TCP handshake, nothing ever answers the TLS hello.
        $silent = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $silent.Start()
        try {
            $config = Join-Path $dir 'silent.kubeconfig'
            (Get-Content $west -Raw) -replace 'server: https://127\.0\.0\.1:\d+', "server: https://127.0.0.1:$($silent.LocalEndpoint.Port)" | Set-Content $config
            $run = Invoke-ModuleScript -Variables @{ config = $config; east = $east } @'
Get-MeshCluster -Kubeconfig $config, $east -RequestTimeout 00:00:02 -Test | ForEach-Object Name
'@
            $run.Terminating | Should -BeNullOrEmpty
            $run.Output | Should -BeExactly 'east'
            $run.Errors | Should -HaveCount 1
            $run.Errors[0].FullyQualifiedErrorId | Should -BeExactly 'ClusterTimeout,OssmMultiCluster.Commands.GetMeshClusterCommand'
            "$($run.Errors[0].CategoryInfo.Category)" | Should -BeExactly 'OperationTimeout'
            $run.Errors[0].TargetObject | Should -BeExactly 'west'
            $run.Errors[0].ErrorDetails.RecommendedAction | Should -BeLikeExactly '*-RequestTimeout*'
        }
        finally { $silent.Stop() }
    }
}

Describe 'Waits with -Timeout' {
    It 'refuses a zero -Timeout on <Command>' -ForEach @(
        @{ Command = 'Wait-MeshGateway' }, @{ Command = 'Connect-MeshCluster' }, @{ Command = 'New-MeshRemoteSecret' }, @{ Command = 'Update-MeshRemoteSecret' }
    ) {
        $c = Get-MeshCluster -Kubeconfig $west, $east
        $id = "ParameterArgumentValidationError,OssmMultiCluster.Commands.$($Command -replace '-', '')Command"
        { & $Command -Cluster $c -Timeout 0 } | Should -Throw -ErrorId $id
    }

    It 'reads the gateway''s Service once, then watches it until the load balancer writes the address (no polling)' {
        $c = Get-MeshCluster -Kubeconfig $west
        $null = $c | Install-MeshEastWestGateway -Namespace gw-watch -LoadBalancerAnnotation @{ 'ossm-lab/ingress' = 'none' }
        # The load balancer is let to give the address only once the API server counts one more namespaced watch of
        # Services (its own gauge; looked at no more than 240 times), so the address can only come through the watch.
        $gauge = 'apiserver_longrunning_gauge\{[^}]*resource="services",scope="namespace"[^}]*verb="WATCH"[^}]*\} (\d+)'
        $watches = { param($Kubeconfig, $Pattern) if ((& kubectl --kubeconfig $Kubeconfig get --raw /metrics) -join "`n" -match $Pattern) { [int]$Matches[1] } else { 0 } }
        $before = & $watches $west $gauge
        $annotator = Start-ThreadJob {
            for ($i = 0; $i -lt 240 -and (& $using:watches $using:west $using:gauge) -le $using:before; $i++) { Start-Sleep -Milliseconds 500 }
            & kubectl --kubeconfig $using:west -n gw-watch annotate service istio-eastwestgateway ossm-lab/ingress=ip --overwrite
        }
        try {
            $log = @($c | Wait-MeshGateway -Namespace gw-watch -Timeout 00:05:00 -Verbose -OutVariable out 4>&1 |
                    Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
            $annotator | Wait-Job -Timeout 120 | Receive-Job | Should -Match 'annotated'
        }
        finally { $annotator | Remove-Job -Force }
        $out.Address | Should -MatchExactly '^127\.100\.0\.\d+$'
        # One read, and one watch whose event carries the address.
        @($log -match '^west: GET /api/v1/namespaces/gw-watch/services/istio-eastwestgateway -> 200') | Should -HaveCount 1
        @($log -match '^west: GET \S+/services\?\S*watch=true') | Should -HaveCount 1
    }

    It 'ends a watch that sees no address at -Timeout: GatewayAddressTimeout' {
        $c = Get-MeshCluster -Kubeconfig $west
        $null = $c | Install-MeshEastWestGateway -Namespace gw-watch-never -LoadBalancerAnnotation @{ 'ossm-lab/ingress' = 'none' }
        $log = @($c | Wait-MeshGateway -Namespace gw-watch-never -Timeout 00:00:02 -Verbose -ErrorVariable errors -ErrorAction SilentlyContinue 4>&1 |
                Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeExactly 'GatewayAddressTimeout,OssmMultiCluster.Commands.WaitMeshGatewayCommand'
        @($log -match '^west: GET \S+/services\?\S*watch=true').Count | Should -BeGreaterOrEqual 1
        # Polling every half second would have read it at least four times in 2 s.
        @($log -match '^west: GET /api/v1/namespaces/gw-watch-never/services/istio-eastwestgateway -> 200').Count | Should -BeLessThan 4
    }
}

Describe 'Get-MeshStatus and remote secrets' {
    It 'never runs a credential plugin found in a remote secret, and says why the secret does not work' {
        $ns = 'deadline-status'
        $ran = Join-Path $dir 'status-plugin-ran'
        $config = New-PluginKubeconfig status "touch '$ran'; printf '{`"apiVersion`":`"client.authentication.k8s.io/v1`",`"kind`":`"ExecCredential`",`"status`":{`"token`":`"%s`"}}' '$adminToken'"
        $null = Invoke-LabKubectl $lab east create namespace $ns
        try {
            $null = Invoke-LabKubectl $lab east -n $ns create secret generic istio-remote-secret-west "--from-file=west=$config"
            $null = Invoke-LabKubectl $lab east -n $ns label secret istio-remote-secret-west istio/multiCluster=true
            $null = Invoke-LabKubectl $lab east -n $ns annotate secret istio-remote-secret-west networking.istio.io/cluster=west

            $checks = Get-MeshCluster -Kubeconfig $west, $east | Get-MeshStatus -Namespace $ns -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
            Test-Path $ran | Should -BeFalse -Because 'a command read from a cluster is never run'
            $secretChecks = @($checks | Where-Object { $_.Cluster -eq 'east' -and "$($_.Detail)" -like '*by running a command*' })
            $secretChecks | Should -Not -BeNullOrEmpty
            "$($secretChecks[0].Status)" | Should -BeExactly 'Error'
        }
        finally { $null = Invoke-LabKubectl $lab east delete namespace $ns --wait=false }
    }
}
