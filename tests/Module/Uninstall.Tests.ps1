<#
Uninstall-MeshEastWestGateway, Uninstall-MeshControlPlane, Uninstall-MeshCACertificate and Remove-MeshCluster on the
lab: what Install made is deleted in the reverse order, what the module did not make (kubectl's objects, objects
kubectl also edited) is left and reported Retained, -WhatIf changes nothing, a second run deletes nothing, a cluster
still connected keeps its control plane unless -Force, and a cluster that is down does not hide the others.
Each Describe works in a namespace of its own; namespaces are never deleted by an uninstall.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-TestedModule
    $script:lab = Start-TestLab
    Set-LabVariable $lab $ExecutionContext.SessionState
    # As a careful user's script runs: an error a test does not expect stops it.
    $ErrorActionPreference = 'Stop'
    $script:root = New-MeshRootCA -KeySize 2048

    function script:Install-TestMesh([object[]] $Clusters, [string] $Namespace, [switch] $Ossm3, [string] $Name) {
        <# Steps 6-8 on $Clusters in $Namespace: plug-in CA, control plane, east-west gateway (its address waited for). #>
        $null = $Clusters | New-MeshIntermediateCA -RootCA $root -KeySize 2048 | Install-MeshCACertificate -Namespace $Namespace
        $cp = @{ MeshId = 'uninstall-mesh'; Namespace = $Namespace }
        if ($Ossm3) { $cp.Flavor = 'Ossm3'; $cp.SkipCni = $true }
        if ($Name) { $cp.Name = $Name }
        $null = $Clusters | Install-MeshControlPlane @cp
        $null = $Clusters | Install-MeshEastWestGateway -Namespace $Namespace -Wait -Timeout 00:01:00
    }

    function script:Format-Result {
        <# Results as 'cluster|kind|name|action', in the order written. #>
        process { "$($_.Cluster)|$($_.Kind)|$($_.Name)|$($_.Action)" }
    }

    function script:Test-LabObject([string] $Cluster, [string[]] $What) { $null -ne (Get-LabObject $lab $Cluster $What) }
}

AfterAll {
    Stop-TestLab $lab
}

Describe 'Uninstall-MeshEastWestGateway, Uninstall-MeshControlPlane, Uninstall-MeshCACertificate' {
    BeforeAll {
        $script:ns = 'mesh-uninstall'
        $script:clusters = Get-MeshCluster -Kubeconfig $west, $east -Network west-network, east-network
        Install-TestMesh $clusters $ns
    }

    It 'changes nothing with -WhatIf' {
        $out = @(
            $clusters | Uninstall-MeshEastWestGateway -Namespace $ns -WhatIf
            $clusters | Uninstall-MeshControlPlane -Namespace $ns -WhatIf
            $clusters | Uninstall-MeshCACertificate -Namespace $ns -WhatIf
            Remove-MeshCluster -Cluster $clusters[0] -From $clusters[1] -Namespace $ns -WhatIf
        )
        $out | Should -BeNullOrEmpty
        foreach ($c in 'west', 'east') {
            Test-LabObject $c @('-n', $ns, 'service', 'istio-eastwestgateway') | Should -BeTrue
            Test-LabObject $c @('-n', $ns, 'deployment', 'istio-eastwestgateway') | Should -BeTrue
            Test-LabObject $c @('-n', $ns, 'smcp', 'basic') | Should -BeTrue
            Test-LabObject $c @('-n', $ns, 'secret', 'cacerts') | Should -BeTrue
        }
    }

    It 'deletes what Install made, in reverse order, and leaves the namespace' {
        $gateway = @($clusters | Uninstall-MeshEastWestGateway -Namespace $ns -Confirm:$false)
        $gateway | ForEach-Object { $_ | Should -BeOfType ([OssmMultiCluster.Model.MeshResourceResult]) }
        $gateway | Format-Result | Should -Be @(
            'west|Gateway|istio-eastwestgateway|Deleted', 'west|Deployment|istio-eastwestgateway|Deleted', 'west|Service|istio-eastwestgateway|Deleted',
            'east|Gateway|istio-eastwestgateway|Deleted', 'east|Deployment|istio-eastwestgateway|Deleted', 'east|Service|istio-eastwestgateway|Deleted')
        $clusters | Uninstall-MeshControlPlane -Namespace $ns -Confirm:$false | Format-Result |
            Should -Be 'west|ServiceMeshControlPlane|basic|Deleted', 'east|ServiceMeshControlPlane|basic|Deleted'
        $clusters | Uninstall-MeshCACertificate -Namespace $ns -Confirm:$false | Format-Result |
            Should -Be 'west|Secret|cacerts|Deleted', 'east|Secret|cacerts|Deleted'

        foreach ($c in 'west', 'east') {
            Test-LabObject $c @('-n', $ns, 'service', 'istio-eastwestgateway') | Should -BeFalse
            Test-LabObject $c @('-n', $ns, 'gateways.networking.istio.io', 'istio-eastwestgateway') | Should -BeFalse
            Test-LabObject $c @('-n', $ns, 'smcp', 'basic') | Should -BeFalse
            Test-LabObject $c @('-n', $ns, 'secret', 'cacerts') | Should -BeFalse
            # The namespace stays, label and all: other things may live in it.
            (Get-LabObject $lab $c @('ns', $ns)).metadata.labels['topology.istio.io/network'] | Should -BeExactly "$c-network"
        }
    }

    It 'deletes nothing on a second run, and says so with -Verbose' {
        $run = Invoke-ModuleScript @'
$c = Get-MeshCluster -Kubeconfig $west, $east -Network west-network, east-network
$c | Uninstall-MeshEastWestGateway -Namespace $ns -Confirm:$false -Verbose
$c | Uninstall-MeshControlPlane -Namespace $ns -Confirm:$false -Verbose
$c | Uninstall-MeshCACertificate -Namespace $ns -Confirm:$false -Verbose
'@ -Variables @{ west = $west; east = $east; ns = $ns }
        $run | Assert-NoScriptError
        $run.Output | Should -BeNullOrEmpty
        $run.Warnings | Should -BeNullOrEmpty
        @($run.Verbose | Where-Object { $_ -like 'Nothing to uninstall*' }) | Should -HaveCount 6
    }
}

Describe 'Objects the module did not make' {
    BeforeAll {
        $script:ns = 'mesh-uninstall-foreign'
        $script:north1 = Get-MeshCluster -Kubeconfig $north -Network north-network
        Install-TestMesh @($north1) $ns
    }

    It 'leaves an object kubectl made, or one kubectl also edited, and reports it with the reason' {
        # A Deployment the module applied and kubectl then edited; a cacerts that kubectl made in place of the module's.
        $null = Invoke-LabKubectl $lab north -n $ns set env deployment/istio-eastwestgateway EDITED=by-hand
        $null = Invoke-LabKubectl $lab north -n $ns delete secret cacerts
        $null = Invoke-LabKubectl $lab north -n $ns create secret generic cacerts --from-literal=ca-cert.pem=not-ours

        $gateway = @($north1 | Uninstall-MeshEastWestGateway -Namespace $ns -Confirm:$false -WarningVariable gatewayWarnings -WarningAction SilentlyContinue)
        $gateway | Format-Result | Should -Be 'north|Gateway|istio-eastwestgateway|Deleted', 'north|Deployment|istio-eastwestgateway|Retained',
            'north|Service|istio-eastwestgateway|Deleted'
        $gateway[1].Reason | Should -BeLikeExactly 'also managed by kubectl-set*'
        $gatewayWarnings | Should -HaveCount 1
        "$($gatewayWarnings[0])" | Should -BeLikeExactly "*Deployment $ns/istio-eastwestgateway*kubectl-set*"

        $ca = @($north1 | Uninstall-MeshCACertificate -Namespace $ns -Confirm:$false -WarningVariable caWarnings -WarningAction SilentlyContinue)
        $ca | Format-Result | Should -Be 'north|Secret|cacerts|Retained'
        $ca[0].Reason | Should -BeLikeExactly 'not created by the module: managed by kubectl-create*'
        $caWarnings | Should -HaveCount 1

        # The table view shows the reason.
        ($ca | Out-String -Width 200) | Should -BeLikeExactly '*Retained*not created by the module*'
        Test-LabObject north @('-n', $ns, 'deployment', 'istio-eastwestgateway') | Should -BeTrue
        Test-LabObject north @('-n', $ns, 'secret', 'cacerts') | Should -BeTrue

        # Reported again on the next run, and still left.
        $north1 | Uninstall-MeshCACertificate -Namespace $ns -Confirm:$false -WarningAction SilentlyContinue | Format-Result | Should -Be 'north|Secret|cacerts|Retained'
        Test-LabObject north @('-n', $ns, 'secret', 'cacerts') | Should -BeTrue
    }

    It 'keeps the IstioCNI while another Istio control plane uses it, and deletes the module''s Istio' {
        # An OSSM 3 cluster of the lab (the Sail CRDs), named north here.
        $sail = Get-MeshCluster -Kubeconfig $sailwest -Name north
        $null = $sail | Install-MeshControlPlane -MeshId uninstall-mesh -Flavor Ossm3 -Name uninstall-ossm3 -Namespace $ns
        $null = $sail | Install-MeshControlPlane -MeshId uninstall-mesh -Flavor Ossm3 -Name uninstall-other -Namespace "$ns-other" -SkipCni
        $out = @($sail | Uninstall-MeshControlPlane -Flavor Ossm3 -Name uninstall-ossm3 -Namespace $ns -Confirm:$false -WarningAction SilentlyContinue)
        $out | Format-Result | Should -Be 'north|PeerAuthentication|default|Deleted', 'north|Istio|uninstall-ossm3|Deleted', 'north|IstioCNI|default|Retained'
        $out[2].Reason | Should -BeLikeExactly '*other Istio control planes still use it*uninstall-other*'
        Test-LabObject sailwest @('istios.sailoperator.io', 'uninstall-ossm3') | Should -BeFalse
        Test-LabObject sailwest @('istiocnis.sailoperator.io', 'default') | Should -BeTrue
        $null = $sail | Uninstall-MeshControlPlane -Flavor Ossm3 -Name uninstall-other -Namespace "$ns-other" -Confirm:$false -WarningAction SilentlyContinue
    }
}

Describe 'A cluster still connected to the mesh' {
    BeforeAll {
        $script:ns = 'mesh-uninstall-connected'
        $script:clusters = Get-MeshCluster -Kubeconfig $west, $east -Network west-network, east-network
        Install-TestMesh $clusters $ns
        $null = Connect-MeshCluster -Cluster $clusters -Namespace $ns -CreateServiceAccount -WarningAction SilentlyContinue
    }

    It 'keeps its control plane: ClusterStillConnected, naming the secrets, unless -Force' {
        $out = @(Uninstall-MeshControlPlane -Cluster $clusters[1] -Peer $clusters[0] -Namespace $ns -Confirm:$false -ErrorVariable errors -ErrorAction SilentlyContinue)
        $out | Should -BeNullOrEmpty
        $errors | Should -HaveCount 1
        $e = $errors[0]
        $e.FullyQualifiedErrorId | Should -BeExactly 'ClusterStillConnected,OssmMultiCluster.Commands.UninstallMeshControlPlaneCommand'
        $e.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidOperation)
        $e.TargetObject | Should -BeExactly 'east'
        "$e" | Should -BeLikeExactly "*cluster 'west' holds istio-remote-secret-east*"
        $e.ErrorDetails.RecommendedAction | Should -BeLikeExactly '*Disconnect-MeshCluster*-Force*'
        Test-LabObject east @('-n', $ns, 'smcp', 'basic') | Should -BeTrue

        # -Force overrides, with a warning.
        $forced = @(Uninstall-MeshControlPlane -Cluster $clusters[1] -Peer $clusters[0] -Namespace $ns -Force -Confirm:$false -WarningVariable warnings -WarningAction SilentlyContinue)
        $forced | Format-Result | Should -Be 'east|ServiceMeshControlPlane|basic|Deleted'
        "$warnings" | Should -BeLikeExactly '*-Force removes the control plane although the cluster is still connected*'
    }
}

Describe 'Remove-MeshCluster' {
    BeforeAll {
        $script:ns = 'mesh-uninstall-remove'
        $script:clusters = Get-MeshCluster -Kubeconfig $west, $east -Network west-network, east-network
        Install-TestMesh $clusters $ns
        $null = Connect-MeshCluster -Cluster $clusters -Namespace $ns -CreateServiceAccount -WarningAction SilentlyContinue
    }

    It 'takes one cluster out of the mesh in one pipeline: disconnect, gateway, control plane, CA' {
        $out = @($clusters[1] | Remove-MeshCluster -From $clusters -Namespace $ns -Confirm:$false)
        $out | Format-Result | Should -Be @(
            'east|Secret|istio-remote-secret-west|Deleted', 'east|ServiceMeshControlPlane|basic|Configured',
            'west|Secret|istio-remote-secret-east|Deleted', 'west|ServiceMeshControlPlane|basic|Configured',
            'east|Gateway|istio-eastwestgateway|Deleted', 'east|Deployment|istio-eastwestgateway|Deleted', 'east|Service|istio-eastwestgateway|Deleted',
            'east|ServiceMeshControlPlane|basic|Deleted',
            'east|Secret|istio-reader-service-account-istio-remote-secret-token|Deleted',
            "east|ClusterRoleBinding|istio-reader-clusterrole-$ns|Deleted", "east|ClusterRole|istio-reader-clusterrole-$ns|Deleted",
            'east|ServiceAccount|istio-reader-service-account|Deleted',
            'east|Secret|cacerts|Deleted')
        # The token west's istiod read east with is revoked: nothing of the reader access is left on east.
        Test-LabObject east @('-n', $ns, 'serviceaccount', 'istio-reader-service-account') | Should -BeFalse
        Test-LabObject east @('clusterrole', "istio-reader-clusterrole-$ns") | Should -BeFalse
        Invoke-LabKubectl $lab east -n $ns get secret --field-selector type=kubernetes.io/service-account-token -o name | Should -Not -Match 'istio-reader-service-account'
        # West's reader access, which nobody removed, stays.
        Test-LabObject west @('-n', $ns, 'serviceaccount', 'istio-reader-service-account') | Should -BeTrue
        # West keeps its own mesh, without east's network.
        Test-LabObject west @('-n', $ns, 'smcp', 'basic') | Should -BeTrue
        (Get-LabObject $lab west @('-n', $ns, 'smcp', 'basic')).spec.cluster.multiCluster.ContainsKey('meshNetworks') | Should -BeFalse
        Test-LabObject west @('-n', $ns, 'secret', 'cacerts') | Should -BeTrue
        Test-LabObject east @('-n', $ns, 'smcp', 'basic') | Should -BeFalse
    }

    It 'deletes nothing and writes nothing on a second run' {
        $out = @($clusters[1] | Remove-MeshCluster -From $clusters -Namespace $ns -Confirm:$false -ErrorVariable errors -WarningVariable warnings)
        $out | Should -BeNullOrEmpty
        $errors | Should -BeNullOrEmpty
        $warnings | Should -BeNullOrEmpty
    }
}

Describe 'Remove-MeshCluster with the operator''s reader account' {
    It 'revokes the module''s reader tokens and leaves the account the operator made, without a report' {
        $ns = 'mesh-uninstall-operator'
        $clusters = Get-MeshCluster -Kubeconfig $west, $east -Network west-network, east-network
        Install-TestMesh $clusters $ns
        # What the OSSM operator does with the control plane (the lab has none): the reader account, made by someone else.
        foreach ($c in 'west', 'east') { $null = Invoke-LabKubectl $lab $c -n $ns create serviceaccount istio-reader-service-account }
        $null = Connect-MeshCluster -Cluster $clusters -Namespace $ns -WarningAction SilentlyContinue
        Test-LabObject east @('-n', $ns, 'secret', 'istio-reader-service-account-istio-remote-secret-token') | Should -BeTrue

        $out = @($clusters[1] | Remove-MeshCluster -From $clusters -Namespace $ns -Confirm:$false -ErrorVariable errors -WarningVariable warnings)
        $errors | Should -BeNullOrEmpty
        $warnings | Should -BeNullOrEmpty
        $out | Where-Object Cluster -eq east | Where-Object { $_.Kind -in 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding' } | Should -BeNullOrEmpty
        $out | Where-Object { $_.Cluster -eq 'east' -and $_.Name -eq 'istio-reader-service-account-istio-remote-secret-token' } | ForEach-Object Action | Should -Be 'Deleted'
        Test-LabObject east @('-n', $ns, 'secret', 'istio-reader-service-account-istio-remote-secret-token') | Should -BeFalse
        Test-LabObject east @('-n', $ns, 'serviceaccount', 'istio-reader-service-account') | Should -BeTrue
    }
}

Describe 'A cluster that is down' {
    It 'is one error; the others are uninstalled' {
        $ns = 'mesh-uninstall-down'
        $c = Get-MeshCluster -Kubeconfig $west -Network west-network
        $null = $c | New-MeshIntermediateCA -RootCA $root -KeySize 2048 | Install-MeshCACertificate -Namespace $ns
        # A cluster whose API server is down: its kubeconfig names a loopback port nothing listens on.
        $dir = New-TestDirectory
        try {
            $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
            $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
            $down = Join-Path $dir down.kubeconfig
            (Get-Content -Raw $west) -replace 'server: https://127\.0\.0\.1:\d+', "server: https://127.0.0.1:$port" | Set-Content $down
            $gone = Get-MeshCluster -Kubeconfig $down -Name gone -Network gone-network
            $out = @($gone, $c | Uninstall-MeshCACertificate -Namespace $ns -Confirm:$false -ErrorVariable errors -ErrorAction SilentlyContinue)
        }
        finally { Remove-Item $dir -Recurse -Force }
        $out | Format-Result | Should -Be 'west|Secret|cacerts|Deleted'
        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeLikeExactly 'ClusterUnreachable,OssmMultiCluster.Commands.UninstallMeshCACertificateCommand'
        $errors[0].TargetObject | Should -BeExactly 'gone'
    }
}

Describe 'Every kind the module writes, on one path' {
    It 'reads, applies and deletes each kind at the URL and scope the cluster''s discovery gives it' {
        # Every kind: the CA secret and namespaces, an OSSM 3 control plane (Istio, IstioCNI, PeerAuthentication), the
        # gateway with a PDB and istiod's exposure (Service, Deployment, PodDisruptionBudget, Gateway, VirtualService),
        # the reader account (ServiceAccount, ClusterRole, ClusterRoleBinding), an OSSM 2 control plane; then the uninstalls.
        $ns = 'mesh-uninstall-kinds'
        $run = Invoke-ModuleScript @'
$ErrorActionPreference = 'Stop'
$sail = Get-MeshCluster -Kubeconfig $sailwest
$maistra = Get-MeshCluster -Kubeconfig $west
$root = New-MeshRootCA -KeySize 2048
$null = $sail | New-MeshIntermediateCA -RootCA $root -KeySize 2048 | Install-MeshCACertificate -Namespace $ns -Verbose
$null = $sail | Install-MeshControlPlane -MeshId kinds-mesh -Flavor Ossm3 -Name kinds -Namespace $ns -Verbose
$null = $sail | Install-MeshEastWestGateway -Flavor Ossm3 -Namespace $ns -Replicas 2 -ExposeIstiod -Verbose
$null = New-MeshRemoteSecret -Cluster $sail -Namespace $ns -CreateServiceAccount -Verbose -WarningAction SilentlyContinue
$null = $maistra | Install-MeshControlPlane -MeshId kinds-mesh -Flavor Ossm2 -Namespace $ns -Verbose
$null = $sail | Uninstall-MeshEastWestGateway -Namespace $ns -Confirm:$false -Verbose
$null = $sail | Uninstall-MeshControlPlane -Flavor Ossm3 -Name kinds -Namespace $ns -Confirm:$false -Verbose -WarningAction SilentlyContinue
$null = $sail | Uninstall-MeshCACertificate -Namespace $ns -Confirm:$false -Verbose
$null = $maistra | Uninstall-MeshControlPlane -Flavor Ossm2 -Namespace $ns -Confirm:$false -Verbose
'@ -Variables @{ sailwest = $sailwest; west = $west; ns = $ns }
        $run | Assert-NoScriptError

        # One object's calls: <cluster>: <method> /api/v1/... or /apis/<group>/<version>/..., [namespaces/<ns>/]<plural>/<name>.
        $discovery = @{}
        $seen = [System.Collections.Generic.HashSet[string]]::new()
        $calls = @($run.Verbose | Where-Object { $_ -match '^(\w+): (GET|PATCH|DELETE) (/api/v1|/apis/[^/]+/[^/]+)/([^?\s]+)\S* -> (\d+)' } | ForEach-Object {
            $cluster, $method, $prefix, $rest, $status = $Matches[1], $Matches[2], $Matches[3], @($Matches[4] -split '/'), $Matches[5]
            if ($rest.Count -eq 2 -or ($rest.Count -eq 4 -and $rest[0] -eq 'namespaces')) {
                [pscustomobject]@{ Cluster = $cluster; Method = $method; Prefix = $prefix; Namespaced = $rest.Count -eq 4; Plural = $rest[-2]; Status = $status }
            }
        })
        $calls.Count | Should -BeGreaterThan 40
        foreach ($call in $calls) {
            $key = "$($call.Cluster)$($call.Prefix)"
            if (-not $discovery.ContainsKey($key)) {
                $r = Invoke-LabKubectl $lab $call.Cluster -Try get --raw $call.Prefix
                $discovery[$key] = if ($r.Code -eq 0) { ($r.Output | ConvertFrom-Json).resources } else { $null }
            }

            if ($null -eq $discovery[$key]) {
                # A version the cluster does not serve (policy/v1 before 1.21): looked in, found nothing, looked in the next.
                "$($call.Method) $($call.Status)" | Should -Be 'GET 404' -Because "$($call.Prefix) is not served"
                continue
            }

            $served = @($discovery[$key] | Where-Object name -EQ $call.Plural)
            $served | Should -HaveCount 1 -Because "$($call.Cluster) serves $($call.Plural) under $($call.Prefix)"
            $served[0].namespaced | Should -Be $call.Namespaced -Because "$($call.Prefix)/$($call.Plural) is $(if ($served[0].namespaced) { '' } else { 'not ' })namespaced"
            $null = $seen.Add("$($call.Method) $($served[0].kind)")
        }

        foreach ($kind in 'Namespace', 'Secret', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Service', 'Deployment', 'PodDisruptionBudget',
            'Gateway', 'VirtualService', 'Istio', 'IstioCNI', 'PeerAuthentication', 'ServiceMeshControlPlane') {
            "PATCH $kind" | Should -BeIn $seen
            "GET $kind" | Should -BeIn $seen
        }

        foreach ($kind in 'Secret', 'Service', 'Deployment', 'PodDisruptionBudget', 'Gateway', 'VirtualService', 'Istio', 'PeerAuthentication', 'ServiceMeshControlPlane') {
            "DELETE $kind" | Should -BeIn $seen
        }

        Test-LabObject sailwest @('-n', $ns, 'service', 'istio-eastwestgateway') | Should -BeFalse
        Test-LabObject sailwest @('istios.sailoperator.io', 'kinds') | Should -BeFalse
        Test-LabObject west @('-n', $ns, 'smcp', 'basic') | Should -BeFalse
    }
}
