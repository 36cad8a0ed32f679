#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
.SYNOPSIS
    Acceptance suite for two or more clusters: the whole walkthrough pipeline, connectivity, load balancing across
    clusters, failover, token rotation, CA rotation, status and teardown.
.DESCRIPTION
    Runs against any clusters it is given, unchanged: real OpenShift clusters with the Service Mesh operator, or the
    project's loopback lab (build.ps1 -Task Test runs it there for both flavors). What the clusters cannot do is
    skipped with the reason: no nodes means no pod runs (no traffic to test); no operator means nobody creates the
    reader account (the suite then asks Connect-MeshCluster to create it) and no istiod restarts to wait for.

        $env:OSSM_ACCEPTANCE_KUBECONFIGS = '/path/west.kubeconfig,/path/east.kubeconfig'
        Invoke-Pester ./tests/Acceptance -Output Detailed

    Optional: OSSM_ACCEPTANCE_FLAVOR (Ossm2, default, or Ossm3), OSSM_ACCEPTANCE_SAMPLES (a folder with sleep.yaml
    and helloworld.yaml, for clusters without internet access; tests/Samples has such copies),
    OSSM_ACCEPTANCE_MODULE (the module to import; default: this repository's build, out/OssmMultiCluster).
#>

BeforeAll {
    $module = if ($env:OSSM_ACCEPTANCE_MODULE) { $env:OSSM_ACCEPTANCE_MODULE } else { Join-Path $PSScriptRoot '../../out/OssmMultiCluster/OssmMultiCluster.psd1' }
    Import-Module $module -Force
    $script:kubeconfigs = @($env:OSSM_ACCEPTANCE_KUBECONFIGS -split ',' | Where-Object { $_ })
    if ($kubeconfigs.Count -lt 2) { throw 'Set OSSM_ACCEPTANCE_KUBECONFIGS to two or more kubeconfig paths, comma-separated.' }
    $script:flavor = if ($env:OSSM_ACCEPTANCE_FLAVOR) { $env:OSSM_ACCEPTANCE_FLAVOR } else { 'Ossm2' }
    $names = 1..$kubeconfigs.Count | ForEach-Object { "cluster$_" }
    $script:clusters = Get-MeshCluster -Kubeconfig $kubeconfigs -Name $names -Network ($names | ForEach-Object { "$_-network" }) -Test
    $script:samples = $env:OSSM_ACCEPTANCE_SAMPLES
    function script:Sample([string] $name) {
        if ($script:samples) { @{ Path = Join-Path $script:samples "$name.yaml" } } else { @{} }
    }
    function script:Invoke-ClusterKubectl([int] $index) {
        $output = & kubectl --kubeconfig $kubeconfigs[$index] @args 2>&1 | Out-String
        if ($LASTEXITCODE) { throw "kubectl $($args -join ' ') on $($clusters[$index].Name): $output" }
        $output.Trim()
    }

    # What the clusters can do. Pods run only where there are nodes.
    $script:noPods = @(for ($i = 0; $i -lt $clusters.Count; $i++) {
            if (-not (Invoke-ClusterKubectl $i get nodes -o name)) { "$($clusters[$i].Name) has no nodes, so no pod runs there" }
        }) -join '; '
    $script:podsReason = "it needs running pods, and $noPods (a test lab without kubelets)"
}

Describe 'Before anything is installed' {
    It 'finds every prerequisite of the flavour met on every cluster (precheck)' {
        $checks = @($clusters | Test-MeshPrerequisite -Flavor $flavor)
        $verdict = $checks[-1]
        $verdict | Should -BeOfType ([OssmMultiCluster.Model.MeshPrerequisiteSummary])
        $verdict.Checks | Should -Be (8 * $clusters.Count)
        $checks | Where-Object { $_ -is [OssmMultiCluster.Model.MeshPrerequisiteCheck] -and $_.Status -eq 'Fail' } |
            ForEach-Object { "$($_.Cluster) $($_.Check): $($_.Message) $($_.Fix)" } | Should -BeNullOrEmpty
        $verdict.Ready | Should -BeTrue
        # The operator's CRDs serve what the module applies, for the flavour under test.
        $checks | Where-Object Check -eq 'operator' | ForEach-Object Status | Sort-Object -Unique | Should -Be 'Pass'
    }
}

Describe 'The multi-primary mesh, end to end' {
    It 'installs the PKI, control planes and gateways on every cluster' {
        $root = New-MeshRootCA
        $ca = $clusters | New-MeshIntermediateCA -RootCA $root | Install-MeshCACertificate -Force
        @($ca | Where-Object { $_.Kind -eq 'Secret' -and $_.Name -eq 'cacerts' }).Count | Should -Be $clusters.Count
        $clusters | Install-MeshControlPlane -MeshId acceptance-mesh -Flavor $flavor | Should -Not -BeNullOrEmpty
        $addresses = $clusters | Install-MeshEastWestGateway -Flavor $flavor -Wait -Timeout (New-TimeSpan -Minutes 10) |
            Where-Object { $_ -is [OssmMultiCluster.Model.MeshGatewayAddress] }
        @($addresses).Count | Should -Be $clusters.Count
        $addresses.Address | Should -Not -Contain ''
    }

    It 'connects every cluster to every other, and a second run changes nothing' {
        # The operator creates istiod's reader account with the control plane; where none did, Connect creates it.
        $missing = @(for ($i = 0; $i -lt $clusters.Count; $i++) {
                $found = & kubectl --kubeconfig $kubeconfigs[$i] -n istio-system get serviceaccount istio-reader-service-account -o name 2>$null
                if (-not $found) { $clusters[$i].Name }
            })
        if ($missing) { Write-Host "No operator made the reader account on $($missing -join ', '): Connect-MeshCluster -CreateServiceAccount creates it." }
        $connect = @{ Cluster = $clusters; MeshNetworks = ($flavor -eq 'Ossm3'); CreateServiceAccount = [bool]$missing; WarningAction = 'SilentlyContinue' }
        $first = Connect-MeshCluster @connect
        @($first | Where-Object Kind -eq Secret).Count | Should -Be ($clusters.Count * ($clusters.Count - 1))
        $again = Connect-MeshCluster @connect
        $again | Where-Object Action -ne Unchanged | Should -BeNullOrEmpty
    }

    It 'reports a healthy mesh' {
        $status = $clusters | Get-MeshStatus
        $status | Where-Object { $_.Status -eq 'Error' } | ForEach-Object { "$($_.Cluster) $($_.Check): $($_.Detail)" } | Should -BeNullOrEmpty
        $status[-1].Healthy | Should -BeTrue
    }

    It 'installs helloworld (v1 and v2 across the clusters) and sleep' {
        $versions = 'v1', 'v2'
        for ($i = 0; $i -lt $clusters.Count; $i++) {
            $params = Sample 'helloworld'
            $clusters[$i] | Install-MeshSample -Name Helloworld -Version $versions[$i % 2] -Namespace sample @params |
                Where-Object Kind -eq Deployment | ForEach-Object Name | Should -Be "helloworld-$($versions[$i % 2])"
        }
        $params = Sample 'sleep'
        $clusters[0] | Install-MeshSample -Name Sleep -Namespace sleep @params | Where-Object Kind -eq Deployment | Should -Not -BeNullOrEmpty
    }

    It 'balances helloworld across the clusters' {
        if ($noPods) { Set-ItResult -Skipped -Because $podsReason; return }
        Start-Sleep -Seconds 60
        $result = Test-MeshConnectivity -From $clusters[0] -Namespace sleep -Url helloworld.sample:5000/hello -Count 20 -MinClusters 2 |
            Select-Object -Last 1
        $result.Passed | Should -BeTrue
        $result.DistinctServers | Should -BeGreaterOrEqual 2
    }

    It 'keeps helloworld served when it leaves the client''s cluster' {
        if ($noPods) { Set-ItResult -Skipped -Because $podsReason; return }
        $params = Sample 'helloworld'
        $verdict = Test-MeshFailover -From $clusters[0] -RemoveFrom $clusters[0] -Sample Helloworld -Component helloworld -SampleNamespace sample `
            -Version v1 -Namespace sleep -Url helloworld.sample:5000/hello -Count 10 -Settle (New-TimeSpan -Seconds 30) -Confirm:$false @params |
            Select-Object -Last 1
        $verdict.Passed | Should -BeTrue
        $verdict.Restored | Should -BeTrue
    }

    It 'rotates the reader tokens and stays healthy' {
        $rotation = Update-MeshRemoteSecret -Cluster $clusters -Confirm:$false -WarningAction SilentlyContinue
        @($rotation | Where-Object { $_.Kind -eq 'Secret' -and $_.Action -eq 'Configured' }).Count | Should -BeGreaterOrEqual ($clusters.Count * ($clusters.Count - 1))
        # istiod re-reads the remote secrets after its restart; without istiod (no operator) there is nothing to wait for.
        $istiod = for ($i = 0; $i -lt $clusters.Count; $i++) { & kubectl --kubeconfig $kubeconfigs[$i] -n istio-system get deployment -l app=istiod -o name 2>$null }
        if ($istiod) { Start-Sleep -Seconds 30 }
        ($clusters | Get-MeshStatus)[-1].Healthy | Should -BeTrue
    }

    Context 'CA rotation' {
        BeforeAll {
            function script:Wait-Istiod {
                # istiod re-reads cacerts after its restart; without istiod (no operator) there is nothing to wait for.
                $istiod = for ($i = 0; $i -lt $clusters.Count; $i++) { & kubectl --kubeconfig $kubeconfigs[$i] -n istio-system get deployment -l app=istiod -o name 2>$null }
                if ($istiod) { Start-Sleep -Seconds 30 }
            }
            function script:Get-RotationStep {
                # Each cluster's ca-rotation check, 'cluster: status detail'.
                $clusters | Get-MeshStatus | Where-Object Check -eq 'ca-rotation' | ForEach-Object { "$($_.Cluster): $($_.Status) $($_.Detail)" }
            }
        }

        It 'moves the mesh to a new root in three steps, Get-MeshStatus telling the step, and stays healthy' {
            $newRoot = New-MeshRootCA
            $trust = $clusters | Update-MeshCACertificate -Step TrustBoth -NewRootCA $newRoot
            @($trust | Where-Object { $_.Kind -eq 'Secret' -and $_.Action -eq 'Configured' }).Count | Should -Be $clusters.Count
            Wait-Istiod
            $steps = Get-RotationStep
            @($steps).Count | Should -Be $clusters.Count
            $steps | ForEach-Object { $_ | Should -BeLikeExactly '*: Warning *At step TrustBoth (1 of 3)*' }
            # Out of order: the old root cannot go yet.
            $null = $clusters | Update-MeshCACertificate -Step RemoveOldRoot -NewRootCA $newRoot -ErrorAction SilentlyContinue -ErrorVariable refused
            $refused.FullyQualifiedErrorId | Should -BeLikeExactly 'CARotationOutOfOrder,*'

            $issue = $clusters | Update-MeshCACertificate -Step IssueFromNewRoot -NewRootCA $newRoot
            @($issue | Where-Object { $_.Kind -eq 'Secret' -and $_.Action -eq 'Configured' }).Count | Should -Be $clusters.Count
            Wait-Istiod
            Get-RotationStep | ForEach-Object { $_ | Should -BeLikeExactly '*: Warning *At step IssueFromNewRoot (2 of 3)*' }
            # Resumable: the step again changes nothing.
            $clusters | Update-MeshCACertificate -Step IssueFromNewRoot -NewRootCA $newRoot | Where-Object Action -ne Unchanged | Should -BeNullOrEmpty

            $remove = $clusters | Update-MeshCACertificate -Step RemoveOldRoot -NewRootCA $newRoot
            @($remove | Where-Object { $_.Kind -eq 'Secret' -and $_.Action -eq 'Configured' }).Count | Should -Be $clusters.Count
            Wait-Istiod
            Get-RotationStep | Should -BeNullOrEmpty -Because 'no cluster holds two roots any more'
            $status = $clusters | Get-MeshStatus
            $status | Where-Object { $_.Status -eq 'Error' } | ForEach-Object { "$($_.Cluster) $($_.Check): $($_.Detail)" } | Should -BeNullOrEmpty
            $status[-1].Healthy | Should -BeTrue

            # The yearly case: new intermediates under the same root, in one command.
            $renew = $clusters | Update-MeshCACertificate -Renew -RootCA $newRoot
            @($renew | Where-Object { $_.Kind -eq 'Secret' -and $_.Action -eq 'Configured' }).Count | Should -Be $clusters.Count
            Wait-Istiod
            ($clusters | Get-MeshStatus)[-1].Healthy | Should -BeTrue
        }
    }

    It 'tears down: one cluster leaves without trace, then the samples go' {
        $leaving = $clusters[-1]
        $staying = $clusters[0..($clusters.Count - 2)]
        Disconnect-MeshCluster -Cluster $leaving -From $staying -Confirm:$false | Should -Not -BeNullOrEmpty
        $status = $staying | Get-MeshStatus
        $status | Where-Object { $_.Check -eq 'remote-secret' -and $_.Status -ne 'OK' } | Should -BeNullOrEmpty
        for ($i = 0; $i -lt $clusters.Count - 1; $i++) {
            Invoke-ClusterKubectl $i -n istio-system get secret -l istio/multiCluster=true -o name | Should -Not -Match "istio-remote-secret-$($leaving.Name)"
        }
        $clusters | Remove-MeshSample -Name Helloworld -Namespace sample -Confirm:$false | Where-Object Kind -eq Namespace | ForEach-Object Action |
            Sort-Object -Unique | Should -Be 'Deleted'
        $clusters[0] | Remove-MeshSample -Name Sleep -Confirm:$false | Where-Object Kind -eq Namespace | ForEach-Object Action | Should -Be 'Deleted'
    }
}

Describe 'Teardown' {
    It 'takes every cluster out of the mesh in reverse order, leaving nothing of the module, and a second run does nothing' {
        # The last cluster was disconnected above; the others leave one by one, the first with nobody left to leave.
        for ($i = $clusters.Count - 1; $i -ge 0; $i--) {
            $from = if ($i -gt 0) { @{ From = $clusters[0..($i - 1)] } } else { @{} }
            $out = @($clusters[$i] | Remove-MeshCluster @from -Flavor $flavor -Confirm:$false -ErrorVariable errors -WarningVariable warnings)
            $errors | Should -BeNullOrEmpty
            $out | Where-Object Action -eq Retained | ForEach-Object { "$_" } | Should -BeNullOrEmpty
            $out | Where-Object { $_.Cluster -eq $clusters[$i].Name -and $_.Kind -eq 'Secret' -and $_.Name -eq 'cacerts' } | ForEach-Object Action | Should -Be 'Deleted'
        }
        for ($i = 0; $i -lt $clusters.Count; $i++) {
            # The reader tokens the module issued are revoked with the rest (an account the operator made is its own).
            Invoke-ClusterKubectl $i -n istio-system get 'secrets,services,deployments' -o name | Should -Not -Match '/(cacerts|istio-eastwestgateway|istio-remote-secret-|istio-reader-service-account-istio-remote-secret-token)'
            $controlPlanes = if ($flavor -eq 'Ossm2') { Invoke-ClusterKubectl $i -n istio-system get servicemeshcontrolplanes -o name } else { Invoke-ClusterKubectl $i get istios -o name }
            $controlPlanes | Should -BeNullOrEmpty
            # Namespaces stay.
            Invoke-ClusterKubectl $i get namespace istio-system -o name | Should -Be 'namespace/istio-system'
        }
        $again = @($clusters | ForEach-Object { $_ | Remove-MeshCluster -From $clusters -Confirm:$false -ErrorVariable +againErrors })
        $again | Should -BeNullOrEmpty
        $againErrors | Should -BeNullOrEmpty
    }
}

Describe 'Primary-remote' {
    BeforeAll {
        $script:primary = $clusters[0]
        $script:remote = $clusters[1]
    }

    It 'is refused on OSSM 2.6, whose control plane has no remote' {
        if ($flavor -ne 'Ossm2') { Set-ItResult -Skipped -Because 'the clusters run OSSM 3'; return }
        $out = @($remote | Install-MeshControlPlane -MeshId acceptance-mesh -Flavor Ossm2 -Remote -Primary $primary -ErrorVariable errors -ErrorAction SilentlyContinue)
        $out | Should -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -BeExactly 'RemoteTopologyNotSupported,OssmMultiCluster.Commands.InstallMeshControlPlaneCommand'
    }

    It 'builds a primary and its remote on OSSM 3, connected by one remote secret, healthy, then takes them apart' {
        if ($flavor -ne 'Ossm3') { Set-ItResult -Skipped -Because 'primary-remote needs OSSM 3 (the OSSM 2.6 refusal is the test above)'; return }
        $root = New-MeshRootCA
        $null = $primary, $remote | New-MeshIntermediateCA -RootCA $root | Install-MeshCACertificate
        $null = $primary | Install-MeshControlPlane -MeshId acceptance-mesh -Flavor Ossm3 -ExternalIstiod
        $null = $primary | Install-MeshEastWestGateway -Flavor Ossm3 -ExposeIstiod -Wait -Timeout (New-TimeSpan -Minutes 10)
        $remote | Install-MeshControlPlane -MeshId acceptance-mesh -Remote -Primary $primary -Timeout (New-TimeSpan -Minutes 10) |
            Where-Object Kind -EQ Istio | ForEach-Object Action | Should -Be 'Created'
        $null = $remote | Install-MeshEastWestGateway -Flavor Ossm3 -Wait -Timeout (New-TimeSpan -Minutes 10)
        $null = Connect-MeshCluster -Cluster $primary, $remote -CreateServiceAccount -MeshNetworks -WarningAction SilentlyContinue
        Invoke-ClusterKubectl 0 -n istio-system get secret -l istio/multiCluster=true -o name | Should -Be "secret/istio-remote-secret-$($remote.Name)"
        Invoke-ClusterKubectl 1 -n istio-system get secret -l istio/multiCluster=true -o name | Should -BeNullOrEmpty
        $checks = $primary, $remote | Get-MeshStatus | Where-Object { $_ -is [OssmMultiCluster.Model.MeshStatusCheck] }
        $checks | Where-Object Status -NE OK | ForEach-Object { "$($_.Cluster) $($_.Check): $($_.Detail)" } | Should -BeNullOrEmpty
        ($checks | Where-Object Check -EQ primary).Cluster | Should -Be $remote.Name

        $null = $remote | Remove-MeshCluster -From $primary -Flavor Ossm3 -Confirm:$false
        $null = $primary | Remove-MeshCluster -Flavor Ossm3 -Confirm:$false
        foreach ($i in 0, 1) { Invoke-ClusterKubectl $i get istios -o name | Should -BeNullOrEmpty }
    }
}
