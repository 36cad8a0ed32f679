<#
Faults on real lab API servers: retried transient failures (a real 503, dropped connections), permanent ones reported
at once, -Verbose naming each call, conflicts with another field manager, and a cluster whose API server dies between
steps and comes back. Dropped connections come from Support/DroppingProxy.cs, a TCP relay that resets the first
connections it accepts.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-TestedModule
    $script:lab = Start-TestLab
    Set-LabVariable $lab $ExecutionContext.SessionState
    if (-not ('OssmTest.DroppingProxy' -as [type])) { Add-Type -Path (Join-Path $PSScriptRoot 'Support/DroppingProxy.cs') }

    function script:Split-VerboseRecord {
        <# What a command wrote with -Verbose 4>&1: its verbose messages in .Verbose, everything else in .Output. #>
        param([object[]] $Records)
        [pscustomobject]@{
            Output  = @($Records | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] })
            Verbose = @($Records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
        }
    }

    function script:Get-LineCount([string[]] $Lines, [string] $Text) {
        @($Lines | Where-Object { $_.Contains($Text, [StringComparison]::Ordinal) }).Count
    }

    function script:Get-ServerOf([string] $Kubeconfig) {
        (Get-Content $Kubeconfig | ForEach-Object Trim | Where-Object { $_.StartsWith('server: ', [StringComparison]::Ordinal) } | Select-Object -First 1).Substring('server: '.Length)
    }
}

AfterAll {
    Stop-TestLab $lab
}

Describe 'API calls under -Verbose' {
    It 'names every API call and its cluster' {
        $ns = 'fault-verbose'
        $c = Get-MeshCluster -Kubeconfig $west, $east -ErrorVariable +errs
        $run = Split-VerboseRecord ($c | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048) -KeySize 2048 -ErrorVariable +errs |
                Install-MeshCACertificate -Namespace $ns -Verbose -ErrorVariable +errs 4>&1)

        $errs | Should -BeNullOrEmpty
        foreach ($cluster in 'west', 'east') {
            $run.Verbose | Where-Object { $_.StartsWith("${cluster}: GET /api/v1/namespaces/$ns/secrets/cacerts -> 404", [StringComparison]::Ordinal) } |
                Should -Not -BeNullOrEmpty -Because "$cluster's GET of cacerts is named"
            $run.Verbose | Where-Object {
                $_.StartsWith("${cluster}: PATCH /api/v1/namespaces/$ns/secrets/cacerts?", [StringComparison]::Ordinal) -and
                $_.Contains('fieldManager=ossm-multicluster', [StringComparison]::Ordinal) -and $_.Contains('-> 201', [StringComparison]::Ordinal)
            } | Should -Not -BeNullOrEmpty -Because "$cluster's PATCH of cacerts is named with its field manager"
        }
    }
}

Describe 'Transient and permanent failures' {
    It 'retries a real 503 to the bound, then reports it with the cluster, the object and the server''s message' {
        # An aggregated API whose service does not exist: the API server itself answers 503 for maistra.io/v2.
        $ns = 'fault-503'
        $ca = [Convert]::ToBase64String([IO.File]::ReadAllBytes((Join-Path $lab.Directory 'bare/pki/ca.crt')))
        $file = New-TemporaryFile
        @"
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: v2.maistra.io
spec:
  group: maistra.io
  version: v2
  groupPriorityMinimum: 1000
  versionPriority: 15
  caBundle: $ca
  service:
    name: nothing-here
    namespace: default
"@ | Set-Content $file
        try {
            $null = Invoke-LabKubectl $lab bare apply -f $file
            $clock = [Diagnostics.Stopwatch]::StartNew()
            while (-not (Invoke-LabKubectl $lab bare -Try get --raw /apis/maistra.io/v2/servicemeshcontrolplanes).Output.Contains('ServiceUnavailable', [StringComparison]::Ordinal)) {
                $clock.Elapsed | Should -BeLessThan ([timespan]::FromSeconds(30)) -Because 'the API server answers 503 for maistra.io/v2 within 30 s'
                Start-Sleep -Milliseconds 200
            }

            $terminating = $null
            try {
                $run = Split-VerboseRecord (Get-MeshCluster -Kubeconfig $bare -ErrorVariable +errs |
                        Install-MeshControlPlane -Namespace $ns -MeshId m -Flavor Ossm2 -Verbose -ErrorVariable +errs -ErrorAction SilentlyContinue 4>&1)
            }
            catch { $terminating = $_ }

            $terminating | Should -BeNullOrEmpty
            $errs | Should -HaveCount 1
            $e = $errs[0]
            $e.FullyQualifiedErrorId | Should -BeLikeExactly 'ClusterError,*'
            $e.TargetObject | Should -BeExactly 'bare'
            "$e" | Should -BeLikeExactly '*ServiceMeshControlPlane*'
            "$e" | Should -BeLikeExactly '*(503)*'
            "$e" | Should -BeLikeExactly '*(503): service unavailable*'
            Get-LineCount $run.Verbose "bare: GET /apis/maistra.io/v2/namespaces/$ns/servicemeshcontrolplanes/basic -> 503 Service Unavailable" | Should -Be 4
            Get-LineCount $run.Verbose 'retrying' | Should -Be 3
            (Invoke-LabKubectl $lab bare -Try get namespace $ns).Output | Should -BeLikeExactly '*NotFound*'
        }
        finally {
            Remove-Item $file
            $null = Invoke-LabKubectl $lab bare delete apiservice v2.maistra.io
        }
    }

    It 'does not retry Forbidden, and names the cluster, the object and the server''s message' {
        $nobody = Get-LabKubeconfig $lab west -Nobody
        $terminating = $null
        try {
            $run = Split-VerboseRecord (Get-MeshCluster -Kubeconfig $nobody -Name west -ErrorVariable +errs |
                    New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048) -KeySize 2048 -ErrorVariable +errs |
                    Install-MeshCACertificate -Namespace fault-forbidden -Verbose -ErrorVariable +errs -ErrorAction SilentlyContinue 4>&1)
        }
        catch { $terminating = $_ }

        $terminating | Should -BeNullOrEmpty
        $errs | Should -HaveCount 1
        $e = $errs[0]
        $e.FullyQualifiedErrorId | Should -BeLikeExactly 'ClusterForbidden,*'
        $e.TargetObject | Should -BeExactly 'west'
        "$e" | Should -BeLikeExactly '*secret fault-forbidden/cacerts*'
        "$e" | Should -BeLikeExactly '*cannot get resource "secrets"*'
        Get-LineCount $run.Verbose '-> 403' | Should -Be 1
        Get-LineCount $run.Verbose 'retrying' | Should -Be 0
    }

    It 'retries dropped connections, and reports a server that keeps dropping them as unreachable' {
        $server = [uri](Get-ServerOf $west)
        $dir = New-TestDirectory
        try {
            $flaky = [OssmTest.DroppingProxy]::new($server, 2)
            try {
                $flakyConfig = $flaky.Kubeconfig($west, (Join-Path $dir 'flaky'))
                $run = Split-VerboseRecord (Get-MeshCluster -Kubeconfig $flakyConfig -Name west -Test -Verbose -ErrorVariable flakyErrs 4>&1)
                $flakyErrs | Should -BeNullOrEmpty
                $run.Output | Should -HaveCount 1
                $run.Output[0] | Should -BeOfType ([OssmMultiCluster.Model.MeshCluster])
                $run.Output | ForEach-Object Name | Should -BeExactly 'west'
                Get-LineCount $run.Verbose 'retrying' | Should -Be 2
                $flaky.Accepted | Should -BeGreaterOrEqual 3
            }
            finally { $flaky.Dispose() }

            $dead = [OssmTest.DroppingProxy]::new($server, [int]::MaxValue)
            try {
                $deadConfig = $dead.Kubeconfig($west, (Join-Path $dir 'dead'))
                $failed = Split-VerboseRecord (Get-MeshCluster -Kubeconfig $deadConfig -Name west -Test -Verbose -ErrorVariable deadErrs -ErrorAction SilentlyContinue 4>&1)
                $deadErrs | Should -HaveCount 1
                $deadErrs[0].FullyQualifiedErrorId | Should -BeLikeExactly 'ClusterUnreachable,*'
                $deadErrs[0].TargetObject | Should -BeExactly 'west'
                Get-LineCount $failed.Verbose 'retrying' | Should -Be 3
                Get-LineCount $failed.Verbose 'giving up' | Should -Be 1
                $dead.Accepted | Should -Be 4
            }
            finally { $dead.Dispose() }
        }
        finally { Remove-Item $dir -Recurse -Force }
    }
}

Describe 'Fields another manager changed' {
    It 'does not overwrite a field someone else changed, and -Force takes it over saying so' {
        $ns = 'fault-conflict'
        function Get-Tracing { (Get-LabObject $lab west @('-n', $ns, 'smcp', 'basic')).spec.tracing.type }

        $null = Get-MeshCluster -Kubeconfig $west | Install-MeshControlPlane -Namespace $ns -MeshId conflict-mesh -ErrorVariable firstErrs
        $firstErrs | Should -BeNullOrEmpty
        $null = Invoke-LabKubectl $lab west -n $ns patch smcp basic --type merge -p '{"spec":{"tracing":{"type":"Jaeger"}}}'

        $refused = Get-MeshCluster -Kubeconfig $west | Install-MeshControlPlane -Namespace $ns -MeshId conflict-mesh -ErrorVariable refusedErrs -ErrorAction SilentlyContinue |
            ForEach-Object { "$($_.Kind)|$($_.Action)|$($null -ne $_.OwnershipTaken)" }
        $refusedErrs | Should -HaveCount 1
        $e = $refusedErrs[0]
        $e.FullyQualifiedErrorId | Should -BeLikeExactly 'FieldConflict,*'
        $e.TargetObject | Should -BeExactly 'west'
        "$e" | Should -BeLikeExactly '*.spec.tracing.type*'
        $e.ErrorDetails.RecommendedAction | Should -BeLikeExactly '*-Force*'
        Get-Tracing | Should -BeExactly 'Jaeger'

        $forced = Get-MeshCluster -Kubeconfig $west | Install-MeshControlPlane -Namespace $ns -MeshId conflict-mesh -Force -ErrorVariable forcedErrs -WarningVariable forcedWarnings -WarningAction SilentlyContinue |
            ForEach-Object { "$($_.Kind)|$($_.Action)|$($null -ne $_.OwnershipTaken)" }
        $forcedErrs | Should -BeNullOrEmpty
        $forced | Should -Contain 'ServiceMeshControlPlane|Configured|True'
        $forcedWarnings | Should -HaveCount 1
        $w = "$($forcedWarnings[0])"
        $w | Should -BeLikeExactly '*took ownership*'
        $w | Should -BeLikeExactly "*ServiceMeshControlPlane $ns/basic*"
        $w | Should -BeLikeExactly '*kubectl-patch*'
        $w | Should -BeLikeExactly '*.spec.tracing.type*'
        Get-Tracing | Should -BeExactly 'None'

        $again = Get-MeshCluster -Kubeconfig $west | Install-MeshControlPlane -Namespace $ns -MeshId conflict-mesh -Force -ErrorVariable againErrs -WarningVariable againWarnings |
            ForEach-Object { "$($_.Kind)|$($_.Action)|$($null -ne $_.OwnershipTaken)" }
        $againErrs | Should -BeNullOrEmpty
        $againWarnings | Should -BeNullOrEmpty
        foreach ($line in $again) { $line | Should -BeLikeExactly '*|Unchanged|False' }
    }
}

Describe 'An API server that dies mid-run' {
    It 'fails that cluster alone, and a re-run after the restart converges to exactly what one clean run makes' {
        $ns = 'fault-phoenix'
        $stopped = $false
        $terminating = $null
        $errs = [System.Collections.Generic.List[object]]::new()
        $output = [System.Collections.Generic.List[string]]::new()
        try {
            $c = Get-MeshCluster -Kubeconfig $west, $north -ErrorVariable +setupErrs
            $ca = $c | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048) -KeySize 2048 -ErrorVariable +setupErrs
            foreach ($e in $setupErrs) { $errs.Add($e) }
            # The steps a user re-runs; -CAOnly is the first of them, -SkipCA the others.
            $steps = {
                param([int] $Step, [switch] $CAOnly, [switch] $SkipCA)
                if (-not $SkipCA) {
                    $ca | Install-MeshCACertificate -Namespace $ns -ErrorVariable +stepErrs -ErrorAction SilentlyContinue | ForEach-Object { "$Step|$($_.Cluster)|$($_.Kind)|$($_.Action)" }
                }
                if (-not $CAOnly) {
                    $c | Install-MeshControlPlane -Namespace $ns -MeshId phoenix -Flavor Ossm2 -ErrorVariable +stepErrs -ErrorAction SilentlyContinue | ForEach-Object { "$Step|$($_.Cluster)|$($_.Kind)|$($_.Action)" }
                    $c | Install-MeshEastWestGateway -Namespace $ns -ErrorVariable +stepErrs -ErrorAction SilentlyContinue | ForEach-Object { "$Step|$($_.Cluster)|$($_.Kind)|$($_.Action)" }
                    Connect-MeshCluster -Cluster $c -Namespace $ns -CreateServiceAccount -Timeout 00:00:30 -ErrorVariable +stepErrs -ErrorAction SilentlyContinue -WarningAction SilentlyContinue |
                        ForEach-Object { "$Step|$($_.Cluster)|$($_.Kind)|$($_.Action)" }
                }
                foreach ($e in $stepErrs) { $errs.Add($e) }
            }

            & $steps 1 -CAOnly | ForEach-Object { $output.Add($_) }
            Stop-LabApiServer $lab north
            $stopped = $true
            & $steps 2 -SkipCA | ForEach-Object { $output.Add($_) }
            Start-LabApiServer $lab north
            $stopped = $false
            & $steps 3 | ForEach-Object { $output.Add($_) }
            & $steps 4 | ForEach-Object { $output.Add($_) }
        }
        catch { $terminating = $_ }
        finally {
            if ($stopped) { Start-LabApiServer $lab north }
        }

        # While north was down: each step said north failed, once; west went on, its mesh networks left alone (they
        # would have lacked north's gateway). Nothing failed after the restart.
        $terminating | Should -BeNullOrEmpty
        $errs | ForEach-Object { "$($_.FullyQualifiedErrorId.Split(',')[0])|$($_.TargetObject)|$($_.FullyQualifiedErrorId.Split('.')[-1])" } |
            Should -BeExactly 'ClusterUnreachable|north|InstallMeshControlPlaneCommand', 'ClusterUnreachable|north|InstallMeshEastWestGatewayCommand',
            'ClusterUnreachable|north|ConnectMeshClusterCommand', 'MeshNetworksIncomplete|west|ConnectMeshClusterCommand'
        $output | Should -Contain '2|west|ServiceMeshControlPlane|Created'
        $output | Should -Contain '2|west|Service|Created'
        $output | Where-Object { $_.StartsWith('2|north|', [StringComparison]::Ordinal) } | Should -BeNullOrEmpty

        # After the restart: north catches up, west has nothing to redo but the connection; then nothing changes.
        $output | Should -Contain '3|west|ServiceMeshControlPlane|Unchanged'
        $output | Should -Contain '3|north|ServiceMeshControlPlane|Created'
        $output | Should -Contain '3|north|Service|Created'
        $output | Should -Contain '3|west|Secret|Created'
        $output | Should -Contain '3|north|Secret|Created'
        foreach ($line in $output | Where-Object { $_.StartsWith('4|', [StringComparison]::Ordinal) }) { $line | Should -BeLikeExactly '*|Unchanged' }
        $output | Where-Object { $_.StartsWith('4|north|', [StringComparison]::Ordinal) } | Should -Not -BeNullOrEmpty

        # No duplicates, no orphans: exactly the objects one clean run makes.
        function Get-Name([string] $Cluster) {
            $names = Invoke-LabKubectl $lab $Cluster -n $ns get @args -o 'jsonpath={.items[*].metadata.name}'
            [string[]] $list = $names.Split(' ', [StringSplitOptions]::RemoveEmptyEntries)
            [Array]::Sort($list, [StringComparer]::Ordinal)
            $list
        }
        foreach ($pair in @('west', 'north'), @('north', 'west')) {
            $cluster, $other = $pair
            Get-Name $cluster secrets -l istio/multiCluster=true | Should -BeExactly "istio-remote-secret-$other"
            Get-Name $cluster smcp | Should -BeExactly 'basic'
            Get-Name $cluster services | Should -BeExactly 'istio-eastwestgateway'
            Get-Name $cluster secrets -l '!istio/multiCluster' --field-selector type=Opaque | Should -BeExactly 'cacerts'
            $readerTokens = @(Get-Name $cluster secrets --field-selector type=kubernetes.io/service-account-token |
                    Where-Object { $_.StartsWith('istio-reader', [StringComparison]::Ordinal) })
            # The token controller's own secret (…-token-xxxxx), and the module's only if it asked before the
            # controller made one (a race on a fresh account): never more, however often it runs.
            $controllers = @($readerTokens | Where-Object { $_.StartsWith('istio-reader-service-account-token-', [StringComparison]::Ordinal) })
            $controllers.Count | Should -BeIn 0, 1
            foreach ($n in $readerTokens | Where-Object { -not $_.StartsWith('istio-reader-service-account-token-', [StringComparison]::Ordinal) }) {
                $n | Should -BeExactly 'istio-reader-service-account-istio-remote-secret-token'
            }
            $readerTokens.Count | Should -BeIn 1, 2
            $networks = (Get-LabObject $lab $cluster @('-n', $ns, 'smcp', 'basic')).spec.cluster.multiCluster.meshNetworks
            @($networks.Keys) | Should -BeExactly "$other-network"
        }
    }
}
