<#
Install-MeshControlPlane (both flavors), Install-MeshEastWestGateway and Wait-MeshGateway on the lab, and the GitOps
export (-OutputPath) applied with kubectl. West's load balancers get IPs, east's hostnames; bare has no operator CRDs.
The control plane is compared field for field with the walkthrough's own smcp.yaml
(../shared/reference/ossm-2.6-multi-primary-walkthrough.txt), its YAML read by kubectl.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-TestedModule
    $script:lab = Start-TestLab
    Set-LabVariable $lab $ExecutionContext.SessionState
    # As a careful user's script runs: an error a test does not expect stops it.
    $ErrorActionPreference = 'Stop'
    $script:walkthrough = Join-Path (Get-RepoRoot) '../shared/reference/ossm-2.6-multi-primary-walkthrough.txt'

    function script:Get-WalkthroughHeredoc([string] $Target) {
        <# The text of the walkthrough's heredoc that writes $Target, de-indented. #>
        $lines = [IO.File]::ReadAllLines($walkthrough)
        $start = [Array]::FindIndex($lines, [Predicate[string]] { param($l) $l.Contains("cat <<EOF > $Target", [StringComparison]::Ordinal) })
        $start | Should -BeGreaterOrEqual 0 -Because "the walkthrough has a heredoc for $Target"
        $end = [Array]::FindIndex($lines, $start + 1, [Predicate[string]] { param($l) $l.Trim() -ceq 'EOF' })
        $body = $lines[($start + 1)..($end - 1)]
        $indent = ($body | Where-Object { $_.Trim().Length -gt 0 } | ForEach-Object { $_.Length - $_.TrimStart().Length } | Measure-Object -Minimum).Minimum
        (($body | ForEach-Object { if ($_.Length -ge $indent) { $_.Substring($indent) } else { '' } }) -join "`n") + "`n"
    }

    function script:ConvertTo-Comparable($Node) {
        <#
        A JSON text of $Node with keys sorted and every scalar a string (booleans lower case), so that YAML's untyped
        scalars and the API server's typed ones compare, and so does key order.
        #>
        function Normalize($n) {
            if ($null -eq $n) { return $null }
            if ($n -is [System.Collections.IDictionary]) {
                $sorted = [ordered]@{}
                foreach ($key in $n.Keys | Sort-Object { "$_" } -CaseSensitive) { $sorted["$key"] = Normalize $n[$key] }
                return $sorted
            }
            if ($n -is [System.Collections.IList]) { return , @(foreach ($item in $n) { , (Normalize $item) }) }
            $text = [string]::Format([cultureinfo]::InvariantCulture, '{0}', $n)
            if ($text -in 'true', 'false') { $text.ToLowerInvariant() } else { $text }
        }
        ConvertTo-Json -InputObject (Normalize $Node) -Depth 64 -Compress
    }

    function script:Get-Comparable([string] $Cluster, [string[]] $What) {
        <# An object as a cluster has it, less what the server assigns (ids, times, IPs, ports): what manifests set. #>
        $o = Get-LabObject $lab $Cluster $What
        $o.Remove('status')
        foreach ($key in 'uid', 'resourceVersion', 'creationTimestamp', 'managedFields', 'generation', 'selfLink') { $o.metadata.Remove($key) }
        if ($o.metadata['annotations']) {
            $o.metadata.annotations.Remove('kubectl.kubernetes.io/last-applied-configuration')
            $o.metadata.annotations.Remove('deployment.kubernetes.io/revision')
        }
        if ($null -ne $o.metadata['annotations'] -and $o.metadata.annotations.Count -eq 0) { $o.metadata.Remove('annotations') }
        if ($o['spec'] -is [System.Collections.IDictionary]) {
            $o.spec.Remove('clusterIP')
            $o.spec.Remove('clusterIPs')
            foreach ($port in @($o.spec['ports'])) { if ($port -is [System.Collections.IDictionary]) { $port.Remove('nodePort') } }
        }
        ConvertTo-Comparable $o
    }
}

AfterAll {
    Stop-TestLab $lab
}

Describe 'Install-MeshControlPlane' {
    It 'installs both flavors, read back as sent, and a re-run is Unchanged' {
        $clusters = Get-MeshCluster -Kubeconfig $west, $east -Network west-network, east-network
        # OSSM 3 on the clusters that carry the Sail operator's CRDs.
        $sail = Get-MeshCluster -Kubeconfig $sailwest, $saileast -Network west-network, east-network
        $first = @($clusters | Install-MeshControlPlane -MeshId bookinfo-mesh -Namespace cp-ossm2 -ErrorVariable errors)
        $first += $sail | Install-MeshControlPlane -MeshId bookinfo-mesh -Flavor Ossm3 -Name flavour-test -Namespace cp-ossm3 -Version v1.24.3 -ErrorVariable +errors
        $first | ForEach-Object { $_ | Should -BeOfType ([OssmMultiCluster.Model.MeshResourceResult]) }
        $first | ForEach-Object { "$($_.Cluster)|$($_.Kind)|$($_.Action)" } | Should -Be @(
            'west|Namespace|Created', 'west|ServiceMeshControlPlane|Created', 'east|Namespace|Created', 'east|ServiceMeshControlPlane|Created',
            'sailwest|Namespace|Created', 'sailwest|Namespace|Created', 'sailwest|IstioCNI|Created', 'sailwest|Istio|Created', 'sailwest|PeerAuthentication|Created',
            'saileast|Namespace|Created', 'saileast|Namespace|Created', 'saileast|IstioCNI|Created', 'saileast|Istio|Created', 'saileast|PeerAuthentication|Created')
        $again = @($clusters | Install-MeshControlPlane -MeshId bookinfo-mesh -Namespace cp-ossm2 -ErrorVariable +errors)
        $again += $sail | Install-MeshControlPlane -MeshId bookinfo-mesh -Flavor Ossm3 -Name flavour-test -Namespace cp-ossm3 -Version v1.24.3 -ErrorVariable +errors
        $again | ForEach-Object Action | Sort-Object -Unique | Should -Be 'Unchanged'
        $errors | Should -BeNullOrEmpty

        # The walkthrough's smcp.yaml for east, as kubectl reads it, with the cluster named as Get-MeshCluster names it and
        # without the meshNetworks that Connect-MeshCluster writes later.
        $dir = New-TestDirectory
        try {
            $file = Join-Path $dir smcp.yaml
            Set-Content -Path $file -Value (Get-WalkthroughHeredoc '${cluster}-config/smcp.yaml').Replace('${cluster}', 'east') -NoNewline
            $expected = Invoke-LabKubectl $lab east create --dry-run=client -o json -f $file | ConvertFrom-Json -AsHashtable
        }
        finally { Remove-Item $dir -Recurse -Force }
        $expected.spec.cluster.multiCluster.Remove('meshNetworks')
        $expected.spec.cluster.name = 'east'
        $smcp = Get-LabObject $lab east @('-n', 'cp-ossm2', 'smcp', 'basic')
        ConvertTo-Comparable $smcp.spec | Should -BeExactly (ConvertTo-Comparable $expected.spec)
        (Get-LabObject $lab east @('ns', 'cp-ossm2')).metadata.labels['topology.istio.io/network'] | Should -BeExactly 'east-network'

        $istio = Get-LabObject $lab sailwest @('istios.sailoperator.io', 'flavour-test')
        $istio.spec.namespace | Should -BeExactly 'cp-ossm3'
        $istio.spec.values.global.multiCluster.clusterName | Should -BeExactly 'sailwest'
        (Get-LabObject $lab sailwest @('-n', 'cp-ossm3', 'peerauthentications.security.istio.io', 'default')).spec.mtls.mode | Should -BeExactly 'STRICT'
    }

    It 'gives a cluster without the operator a clear error and leaves it untouched, and goes on with the next' {
        $out = Get-MeshCluster -Kubeconfig $bare, $west | Install-MeshControlPlane -MeshId bookinfo-mesh -Namespace cp-missing-crd -ErrorVariable errors -ErrorAction SilentlyContinue
        $out | ForEach-Object { "$($_.Cluster)|$($_.Kind)" } | Should -Be 'west|Namespace', 'west|ServiceMeshControlPlane'
        $errors | Should -HaveCount 1
        $e = $errors[0]
        $e.FullyQualifiedErrorId | Should -BeExactly 'CrdMissing,OssmMultiCluster.Commands.InstallMeshControlPlaneCommand'
        $e.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::NotInstalled)
        $e.TargetObject | Should -BeExactly 'bare'
        $e.ErrorDetails.RecommendedAction | Should -BeLikeExactly '*Service Mesh 2 operator*'
        (Invoke-LabKubectl $lab bare -Try get ns cp-missing-crd).Code | Should -Not -Be 0
    }

    It 'creates nothing with -WhatIf, nor does Install-MeshEastWestGateway -WhatIf -Wait' {
        $c = Get-MeshCluster -Kubeconfig $west
        $out = @(
            $c | Install-MeshControlPlane -MeshId bookinfo-mesh -Namespace cp-whatif -WhatIf -ErrorVariable errors
            $c | Install-MeshEastWestGateway -Namespace cp-whatif -WhatIf -Wait -ErrorVariable +errors)
        $errors | Should -BeNullOrEmpty
        $out | Should -BeNullOrEmpty
        (Invoke-LabKubectl $lab west -Try get ns cp-whatif).Code | Should -Not -Be 0
    }
}

Describe 'Install-MeshEastWestGateway and Wait-MeshGateway' {
    It 'gives gateways addresses in IP and hostname form, and a re-run is Unchanged' {
        $clusters = Get-MeshCluster -Kubeconfig $west, $east
        $out = $clusters | Install-MeshEastWestGateway -Namespace gw-lb -Replicas 2 -Wait -Timeout 00:00:30 -ErrorVariable errors
        $out | Where-Object { $_ -is [OssmMultiCluster.Model.MeshResourceResult] } | ForEach-Object { "$($_.Cluster)|$($_.Kind)|$($_.Action)" } | Should -Be @(
            'west|Namespace|Created', 'west|Service|Created', 'west|Deployment|Created', 'west|PodDisruptionBudget|Created', 'west|Gateway|Created',
            'east|Namespace|Created', 'east|Service|Created', 'east|Deployment|Created', 'east|PodDisruptionBudget|Created', 'east|Gateway|Created')
        $addresses = @($out | Where-Object { $_ -is [OssmMultiCluster.Model.MeshGatewayAddress] } | ForEach-Object { "$($_.Cluster)|$($_.AddressType)|$($_.Address)|$($_.Port)" })
        $addresses | Should -HaveCount 2
        $addresses[0] | Should -MatchExactly '^west\|IP\|127\.100\.0\.\d+\|15443$'
        $addresses[1] | Should -BeExactly 'east|Hostname|istio-eastwestgateway.gw-lb.east.elb.lab.test|15443'

        $clusters | Install-MeshEastWestGateway -Namespace gw-lb -Replicas 2 -ErrorVariable +errors | ForEach-Object Action | Sort-Object -Unique |
            Should -Be 'Unchanged'
        ($clusters | Wait-MeshGateway -Namespace gw-lb -ErrorVariable +errors | ForEach-Object Address) -join ',' |
            Should -BeExactly "$($addresses[0].Split('|')[2]),istio-eastwestgateway.gw-lb.east.elb.lab.test"
        $errors | Should -BeNullOrEmpty
        # Kubernetes 1.20 (the lab) serves PodDisruptionBudget as policy/v1beta1 only.
        (Get-LabObject $lab west @('-n', 'gw-lb', 'pdb', 'istio-eastwestgateway')).apiVersion | Should -BeExactly 'policy/v1beta1'
    }

    It 'times out on a gateway that never gets an address, saying what to check' {
        $c = Get-MeshCluster -Kubeconfig $west
        $null = $c | Install-MeshEastWestGateway -Namespace gw-never -LoadBalancerAnnotation @{ 'ossm-lab/ingress' = 'none' }
        $out = $c | Wait-MeshGateway -Namespace gw-never -Timeout 00:00:02 -ErrorVariable errors -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $errors | Should -HaveCount 1
        $e = $errors[0]
        $e.FullyQualifiedErrorId | Should -BeExactly 'GatewayAddressTimeout,OssmMultiCluster.Commands.WaitMeshGatewayCommand'
        $e.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::OperationTimeout)
        $e.ErrorDetails.RecommendedAction | Should -BeLikeExactly '*describe service*'
        $e.ErrorDetails.RecommendedAction | Should -BeLikeExactly '*NodePort*'
    }

    It 'reaches a NodePort gateway at a ready node''s address and its node port' {
        $dir = New-TestDirectory
        try {
            Set-Content -Path (Join-Path $dir node.yaml) -Value "apiVersion: v1`nkind: Node`nmetadata:`n  name: lab-node-1`n"
            $null = Invoke-LabKubectl $lab east apply -f (Join-Path $dir node.yaml)
        }
        finally { Remove-Item $dir -Recurse -Force }
        $status = @{ status = @{
                addresses  = @(@{ type = 'InternalIP'; address = '127.0.0.42' })
                conditions = @(@{ type = 'Ready'; status = 'True'; reason = 'LabNode'; message = 'stand-in node'
                        lastHeartbeatTime = '2026-01-01T00:00:00Z'; lastTransitionTime = '2026-01-01T00:00:00Z' })
            } } | ConvertTo-Json -Depth 10 -Compress
        $null = Invoke-LabKubectl $lab east patch node lab-node-1 --subresource=status --type=merge -p $status

        $address = Get-MeshCluster -Kubeconfig $east | Install-MeshEastWestGateway -Namespace gw-nodeport -ServiceType NodePort -Wait -Timeout 00:00:10 -ErrorVariable errors |
            Where-Object { $_ -is [OssmMultiCluster.Model.MeshGatewayAddress] }
        $errors | Should -BeNullOrEmpty
        $nodePort = Invoke-LabKubectl $lab east -n gw-nodeport get svc istio-eastwestgateway -o 'jsonpath={.spec.ports[?(@.port==15443)].nodePort}'
        $address | Should -HaveCount 1
        "$($address.AddressType)|$($address.Address)|$($address.Port)" | Should -BeExactly "NodeIP|127.0.0.42|$nodePort"
    }
}

Describe 'GitOps export (-OutputPath)' {
    It 'writes a tree that, applied with kubectl, gives the same objects as the cmdlets' {
        $tree = Join-Path (New-TestDirectory) tree
        try {
            $westCluster = Get-MeshCluster -Kubeconfig $west
            $ca = $westCluster | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048 -PregenerateKeys 0)
            # Errors and warnings of every command, the warnings not shown.
            $streams = @{ ErrorVariable = '+errors'; WarningVariable = '+warnings'; WarningAction = 'SilentlyContinue' }
            # Once on west, once into the tree.
            foreach ($target in @{}, @{ OutputPath = $tree }) {
                $null = $ca | Install-MeshCACertificate -Namespace gitops @target @streams
                $null = $westCluster | Install-MeshControlPlane -MeshId bookinfo-mesh -Namespace gitops @target @streams
                # Two replicas: a PodDisruptionBudget, exported in the version the cluster serves (policy/v1beta1 on the
                # lab's Kubernetes 1.20), as it is applied: export and apply build the objects once.
                $null = $westCluster | Install-MeshEastWestGateway -Namespace gitops -Replicas 2 @target @streams
            }
            $ca | Install-MeshCACertificate -Namespace gitops -OutputPath "$tree-nosecrets" -ExcludeSecrets @streams |
                ForEach-Object Kind | Should -Be 'Namespace'
            $errors | Should -BeNullOrEmpty
            $warnings -like '*Secrets with private keys*' | Should -Not -BeNullOrEmpty
            [IO.File]::GetUnixFileMode((Join-Path $tree west/gitops/secret-cacerts.yaml)) | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')

            # The tree, applied by kubectl to another cluster, must produce what the cmdlets produced on west.
            Invoke-LabKubectl $lab east apply -f (Join-Path $tree west) --recursive | Should -BeLikeExactly '*servicemeshcontrolplane.maistra.io/basic*'
        }
        finally { Remove-Item (Split-Path $tree) -Recurse -Force }
        foreach ($what in @('ns', 'gitops'), @('-n', 'gitops', 'secret', 'cacerts'), @('-n', 'gitops', 'smcp', 'basic'),
            @('-n', 'gitops', 'svc', 'istio-eastwestgateway'), @('-n', 'gitops', 'deploy', 'istio-eastwestgateway'),
            @('-n', 'gitops', 'pdb', 'istio-eastwestgateway'), @('-n', 'gitops', 'gateways.networking.istio.io', 'istio-eastwestgateway')) {
            Get-Comparable east $what | Should -BeExactly (Get-Comparable west $what) -Because "$what is the same on east as on west"
        }
    }
}

Describe 'Requests a pipeline of Install cmdlets sends (its -Verbose call log)' {
    It 'asks each cluster which APIs it serves once for the whole pipeline, and reads no object twice within a cmdlet' {
        $clusters = Get-MeshCluster -Kubeconfig $west, $east
        $cas = $clusters | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048 -PregenerateKeys 0) -KeySize 2048
        $log = @()
        $steps = { $cas | Install-MeshCACertificate -Cluster $clusters -Namespace cp-requests -Verbose },
        { $clusters | Install-MeshControlPlane -MeshId requests-mesh -Namespace cp-requests -Verbose },
        { $clusters | Install-MeshEastWestGateway -Namespace cp-requests -Replicas 2 -Verbose }
        foreach ($step in $steps) {
            # One line per request sent: '<cluster>: <METHOD> <path> -> <status> (<ms>)'.
            $requests = @(& $step 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } |
                    ForEach-Object Message | Where-Object { $_ -match '^(west|east): (GET|POST|PUT|PATCH|DELETE) \S+ ->' })
            $requests | Should -Not -BeNullOrEmpty
            $reads = $requests | Where-Object { $_ -match '^\S+ GET ' } | ForEach-Object { $_ -replace ' -> .*$', '' }
            $reads | Group-Object | Where-Object Count -GT 1 | ForEach-Object Name | Should -BeNullOrEmpty -Because "$step reads each object once"
            $log += $requests
        }
        foreach ($c in 'west', 'east') {
            @($log | Where-Object { $_ -match "^${c}: GET /apis/? ->" }) | Should -HaveCount 1 -Because "$c's discovery is asked once, by the first cmdlet that needs it"
            $log | Where-Object { $_ -match "^${c}: GET \S+[?&]limit=1" } | Should -BeNullOrEmpty -Because 'no API is probed by listing it'
        }
    }
}
