<#
The module against the real operators' CRDs (../shared/reference/upstream/crds, see its SOURCES.md): the lab's west and
east carry the OSSM 2.6 operator's, sailwest and saileast the Sail (OSSM 3) operator's, never both on one cluster.
One Describe per finding of the project's issue 13, each judged as the operator or istiod would judge it, and the
GitOps round trip for both flavors (own labs: fresh clusters).
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-TestedModule
    $script:lab = Start-TestLab
    Set-LabVariable $lab $ExecutionContext.SessionState
    $ErrorActionPreference = 'Stop'
    $script:upstream = Join-Path (Get-RepoRoot) '../shared/reference/upstream'

    function script:Test-Selected([hashtable] $Labels, $Selectors) {
        <# Whether any discovery selector matches a namespace's labels, as istiod reads matchLabels. #>
        if (-not $Labels) { $Labels = @{} }
        foreach ($selector in @($Selectors)) {
            $match = $true
            foreach ($key in @($selector.matchLabels.Keys)) { if ($Labels[$key] -cne $selector.matchLabels[$key]) { $match = $false } }
            if ($match) { return $true }
        }
        $false
    }

    function script:Wait-TokenIssued($Lab, [string] $Cluster, [string] $Namespace, [string] $Name) {
        <# The token controller fills a service-account token Secret a moment after it is created. #>
        for ($i = 0; $i -lt 100; $i++) {
            $s = Get-LabObject $Lab $Cluster @('-n', $Namespace, 'secret', $Name)
            if ($s -and $s['data'] -and $s.data['token']) { return }
            Start-Sleep -Milliseconds 300
        }
        throw "$Cluster never issued a token into $Namespace/$Name"
    }
}

AfterAll {
    Stop-TestLab $lab
}

Describe 'OSSM 3 discovery selectors' {
    It 'always select the control plane''s own namespace and the CNI''s, whatever the user selects' {
        $c = Get-MeshCluster -Kubeconfig $sailwest -Network west-network
        $null = $c | Install-MeshControlPlane -MeshId op-mesh -Flavor Ossm3 -Name op-selectors -Namespace op-selectors
        $istio = Get-LabObject $lab sailwest @('istios.sailoperator.io', 'op-selectors')
        $selectors = $istio.spec.values.meshConfig.discoverySelectors
        foreach ($ns in 'op-selectors', 'istio-cni') {
            $labels = (Get-LabObject $lab sailwest @('namespace', $ns)).metadata.labels
            Test-Selected $labels $selectors | Should -BeTrue -Because "istiod must see namespace $ns"
        }
        # A namespace labelled for injection is still selected, one without the label is not.
        $null = Invoke-LabKubectl $lab sailwest create namespace op-unlabelled
        Test-Selected (Get-LabObject $lab sailwest @('namespace', 'op-unlabelled')).metadata.labels $selectors | Should -BeFalse
        Test-Selected @{ 'istio-injection' = 'enabled' } $selectors | Should -BeTrue
    }
}

Describe 'Exports the real schemas accept' {
    It 'writes Istio and IstioCNI with spec.version (the CRD''s default), accepted by kubectl''s client and server validation' {
        $tree = Join-Path (New-TestDirectory) tree
        $c = Get-MeshCluster -Kubeconfig $sailwest -Network west-network
        $null = $c | Install-MeshControlPlane -MeshId op-mesh -Flavor Ossm3 -Name op-export -Namespace op-export -OutputPath $tree
        $null = $c | Install-MeshEastWestGateway -Namespace op-export -Flavor Ossm3 -OutputPath $tree
        Get-Content -Raw (Join-Path $tree 'sailwest/_cluster/istio-op-export.yaml') | Should -Match '(?m)^  version: v1\.28\.10$'
        Get-Content -Raw (Join-Path $tree 'sailwest/_cluster/istiocni-default.yaml') | Should -Match '(?m)^  version: v1\.28\.10$'
        # Server-side dry runs need the namespaces to exist.
        foreach ($ns in 'op-export', 'istio-cni') { $null = Invoke-LabKubectl $lab sailwest -Try create namespace $ns }
        Invoke-LabKubectl $lab sailwest apply --dry-run=client --validate=true -R -f (Join-Path $tree sailwest) | Should -Not -BeNullOrEmpty
        Invoke-LabKubectl $lab sailwest apply --dry-run=server -R -f (Join-Path $tree sailwest) | Should -Not -BeNullOrEmpty
    }

    It 'writes an SMCP and a gateway the OSSM 2.6 CRDs accept the same way' {
        $tree = Join-Path (New-TestDirectory) tree
        $c = Get-MeshCluster -Kubeconfig $west -Network west-network
        $null = $c | Install-MeshControlPlane -MeshId op-mesh -Namespace op-export2 -OutputPath $tree
        $null = $c | Install-MeshEastWestGateway -Namespace op-export2 -OutputPath $tree
        $null = Invoke-LabKubectl $lab west -Try create namespace op-export2
        Invoke-LabKubectl $lab west apply --dry-run=client --validate=true -R -f (Join-Path $tree west) | Should -Not -BeNullOrEmpty
        Invoke-LabKubectl $lab west apply --dry-run=server -R -f (Join-Path $tree west) | Should -Not -BeNullOrEmpty
    }
}

Describe 'NodePort east-west gateways' {
    It 'carry traffic.istio.io/nodeSelector, without which Istio takes no NodePort Service for a gateway' {
        $null = Get-MeshCluster -Kubeconfig $sailwest | Install-MeshEastWestGateway -Namespace op-nodeport -Flavor Ossm3 -ServiceType NodePort
        $svc = Get-LabObject $lab sailwest @('-n', 'op-nodeport', 'service', 'istio-eastwestgateway')
        $svc.spec.type | Should -BeExactly 'NodePort'
        $selector = $svc.metadata.annotations['traffic.istio.io/nodeSelector']
        $selector | Should -Not -BeNullOrEmpty
        { $selector | ConvertFrom-Json -AsHashtable } | Should -Not -Throw
    }
}

Describe 'The reader account -CreateServiceAccount makes' {
    It 'grants every rule of Istio''s istio-reader-clusterrole, rule by rule' {
        $c = Get-MeshCluster -Kubeconfig $sailwest, $saileast -Network west-network, east-network
        $null = $c | Install-MeshControlPlane -MeshId op-mesh -Flavor Ossm3 -Name op-reader -Namespace op-reader -SkipCni
        $null = Connect-MeshCluster -Cluster $c -Namespace op-reader -CreateServiceAccount -WarningAction SilentlyContinue
        $ours = (Get-LabObject $lab sailwest @('clusterrole', 'istio-reader-clusterrole-op-reader')).rules

        # Istio's template, its primary-cluster rules (the istiodRemote block left out), read by kubectl.
        $text = Get-Content -Raw (Join-Path $upstream 'istio/reader-clusterrole.yaml')
        $rules = $text.Substring($text.IndexOf("rules:`n"))
        $rules = $rules.Substring(0, $rules.IndexOf('{{- if .Values.istiodRemote.enabled }}')).Replace('{{ $mcsAPIGroup }}', 'multicluster.x-k8s.io')
        $file = Join-Path (New-TestDirectory) role.yaml
        Set-Content $file "apiVersion: rbac.authorization.k8s.io/v1`nkind: ClusterRole`nmetadata:`n  name: upstream`n$rules"
        $theirs = (Invoke-LabKubectl $lab sailwest create --dry-run=client -o json -f $file | ConvertFrom-Json -AsHashtable).rules

        function Key($rule) { "$(@($rule.apiGroups | Sort-Object) -join ',')|$(@($rule.resources | Sort-Object) -join ',')|$(@($rule.verbs | Sort-Object) -join ',')" }
        $theirs | Should -HaveCount 11
        @($ours | ForEach-Object { Key $_ }) | Sort-Object | Should -Be (@($theirs | ForEach-Object { Key $_ }) | Sort-Object)
    }
}

Describe 'Update-MeshRemoteSecret' {
    It 'revokes only the tokens the module issued that the replaced remote secrets carried, not another consumer''s' {
        $ns = 'op-rotate'
        $c = Get-MeshCluster -Kubeconfig $sailwest, $saileast -Network west-network, east-network
        $null = $c | Install-MeshControlPlane -MeshId op-mesh -Flavor Ossm3 -Name op-rotate -Namespace $ns -SkipCni
        $null = Connect-MeshCluster -Cluster $c -Namespace $ns -CreateServiceAccount -WarningAction SilentlyContinue
        # Kiali's own token for the same account, on sailwest.
        $file = Join-Path (New-TestDirectory) kiali.yaml
        Set-Content $file "apiVersion: v1`nkind: Secret`ntype: kubernetes.io/service-account-token`nmetadata:`n  name: kiali-reader-token`n  namespace: $ns`n  annotations:`n    kubernetes.io/service-account.name: istio-reader-service-account`n"
        $null = Invoke-LabKubectl $lab sailwest apply -f $file
        Wait-TokenIssued $lab sailwest $ns kiali-reader-token

        $out = Update-MeshRemoteSecret -Cluster $c -Namespace $ns -NoRestart -WarningAction SilentlyContinue -ErrorVariable errors
        $errors | Should -BeNullOrEmpty
        $out | Where-Object Action -EQ Deleted | ForEach-Object { "$($_.Cluster)|$($_.Name)" } | Sort-Object |
            Should -Be 'saileast|istio-reader-service-account-istio-remote-secret-token', 'sailwest|istio-reader-service-account-istio-remote-secret-token'
        Get-LabObject $lab sailwest @('-n', $ns, 'secret', 'kiali-reader-token') | Should -Not -BeNullOrEmpty
    }
}

Describe 'Get-MeshStatus judges trust as istiod does' {
    It 'accepts a combined root-cert.pem during a root rotation, and aliased trust domains' {
        $ns = 'op-trust'
        $c = Get-MeshCluster -Kubeconfig $sailwest, $saileast -Network west-network, east-network
        $old = New-MeshRootCA -KeySize 2048 -PregenerateKeys 0
        $new = New-MeshRootCA -KeySize 2048 -PregenerateKeys 0
        $dir = New-TestDirectory
        # sailwest already has an intermediate of the new root; saileast still one of the old. Both trust both roots,
        # sailwest's bundle listing the old root first (as a combined-root.pem made by appending the new one does).
        $c[0] | New-MeshIntermediateCA -RootCA $new | Export-MeshCA -Path (Join-Path $dir new)
        $c[1] | New-MeshIntermediateCA -RootCA $old | Export-MeshCA -Path (Join-Path $dir old)
        $combined = (Get-Content -Raw (Join-Path $dir old/root/root-cert.pem)) + (Get-Content -Raw (Join-Path $dir new/root/root-cert.pem))
        foreach ($pair in @(@{ Cluster = 'sailwest'; Folder = 'new/sailwest' }, @{ Cluster = 'saileast'; Folder = 'old/saileast' })) {
            $folder = Join-Path $dir $pair.Folder
            Set-Content -Path (Join-Path $folder root-cert.pem) -Value $combined -NoNewline
            $null = Invoke-LabKubectl $lab $pair.Cluster -Try create namespace $ns
            $null = Invoke-LabKubectl $lab $pair.Cluster -n $ns create secret generic cacerts `
                "--from-file=$(Join-Path $folder ca-cert.pem)" "--from-file=$(Join-Path $folder ca-key.pem)" `
                "--from-file=$(Join-Path $folder cert-chain.pem)" "--from-file=$(Join-Path $folder root-cert.pem)"
        }
        $null = $c | Install-MeshControlPlane -MeshId op-mesh -Flavor Ossm3 -Namespace $ns -Name op-trust -SkipCni
        $null = Invoke-LabKubectl $lab sailwest patch istios.sailoperator.io op-trust --type=merge -p '{"spec":{"values":{"meshConfig":{"trustDomain":"west.example","trustDomainAliases":["east.example"]}}}}'
        $null = Invoke-LabKubectl $lab saileast patch istios.sailoperator.io op-trust --type=merge -p '{"spec":{"values":{"meshConfig":{"trustDomain":"east.example","trustDomainAliases":["west.example"]}}}}'

        $checks = $c | Get-MeshStatus -Namespace $ns -ErrorAction SilentlyContinue | Where-Object { $_ -is [OssmMultiCluster.Model.MeshStatusCheck] }
        $trust = $checks | Where-Object Check -EQ trust
        $trust | ForEach-Object { "$($_.Cluster)|$($_.Status)" } | Should -Be 'sailwest|OK', 'saileast|OK'
        ($trust | Where-Object Cluster -EQ sailwest).Detail | Should -BeLike '*2 roots*'
        $checks | Where-Object Check -EQ control-plane | ForEach-Object Detail | Should -Not -Match 'trust domain'
    }

    It 'still reports trust domains that differ and are not aliased' {
        $ns = 'op-trust'
        $null = Invoke-LabKubectl $lab saileast patch istios.sailoperator.io op-trust --type=json -p '[{"op":"remove","path":"/spec/values/meshConfig/trustDomainAliases"}]'
        $c = Get-MeshCluster -Kubeconfig $sailwest, $saileast -Network west-network, east-network
        $checks = $c | Get-MeshStatus -Namespace $ns -ErrorAction SilentlyContinue | Where-Object { $_ -is [OssmMultiCluster.Model.MeshStatusCheck] }
        ($checks | Where-Object { $_.Check -eq 'control-plane' -and $_.Cluster -eq 'saileast' }).Detail | Should -Match 'trust domain'
        ($checks | Where-Object { $_.Check -eq 'control-plane' -and $_.Cluster -eq 'sailwest' }).Detail | Should -Not -Match 'trust domain'
    }
}

Describe 'The flavor, read from the cluster when -Flavor is not given' {
    It 'installs OSSM 3 on a cluster with the Sail operator and says why in -Verbose' {
        $run = Invoke-ModuleScript 'Get-MeshCluster -Kubeconfig $k | Install-MeshControlPlane -MeshId op-mesh -Name op-flavor -Namespace op-flavor -SkipCni -Verbose' -Variables @{ k = $sailwest }
        $run.Errors | Should -BeNullOrEmpty
        $run.Terminating | Should -BeNullOrEmpty
        $run.Output | ForEach-Object Kind | Should -Be 'Namespace', 'Istio', 'PeerAuthentication'
        $run.Verbose | Where-Object { $_ -like 'sailwest: flavor Ossm3, read from the cluster:*sailoperator.io/v1*' } | Should -HaveCount 1
    }

    It 'routes -ExposeIstiod to istiod on an OSSM 3 cluster, istiod-basic on an OSSM 2.6 one' {
        $null = Get-MeshCluster -Kubeconfig $sailwest | Install-MeshEastWestGateway -Namespace op-flavor -ExposeIstiod
        $vs = Get-LabObject $lab sailwest @('-n', 'op-flavor', 'virtualservices.networking.istio.io', 'istiod-vs')
        $vs.spec.tls[0].route[0].destination.host | Should -BeExactly 'istiod.op-flavor.svc.cluster.local'
        $null = Get-MeshCluster -Kubeconfig $west | Install-MeshEastWestGateway -Namespace op-flavor -ExposeIstiod
        $vs = Get-LabObject $lab west @('-n', 'op-flavor', 'virtualservices.networking.istio.io', 'istiod-vs')
        $vs.spec.tls[0].route[0].destination.host | Should -BeExactly 'istiod-basic.op-flavor.svc.cluster.local'
    }
}

Describe 'Import-MeshCA -Path' {
    It 'takes several folders, as Get-Content takes several files' {
        $dir = New-TestDirectory
        $root = New-MeshRootCA -KeySize 2048 -PregenerateKeys 0
        New-MeshIntermediateCA -RootCA $root -ClusterName west | Export-MeshCA -Path (Join-Path $dir west)
        New-MeshIntermediateCA -RootCA $root -ClusterName east | Export-MeshCA -Path (Join-Path $dir east)
        Push-Location $dir
        try { $cas = Import-MeshCA -Path ./west, ./east }
        finally { Pop-Location }
        $cas | Where-Object Kind -EQ Intermediate | ForEach-Object Cluster | Sort-Object | Should -Be 'east', 'west'
    }
}

Describe 'The GitOps round trip on <Flavor>' -ForEach @(@{ Flavor = 'Ossm2'; Crds = 'ossm2' }, @{ Flavor = 'Ossm3'; Crds = 'ossm3' }) {
    BeforeAll {
        # Two labs of two fresh clusters each, named alike so that names and load-balancer addresses match: one meshed by
        # the cmdlets, one by kubectl from the exported tree.
        $options = '--lb-hostname', 'east', '--crds', "west=$Crds", '--crds', "east=$Crds"
        $script:made = Start-TestLab -Clusters west, east -Options $options
        $script:gitops = Start-TestLab -Clusters west, east -Options $options
        $script:meshNetworks = $Flavor -eq 'Ossm3'

        function script:Get-ModuleObject($Lab, [string] $Cluster, [string[]] $Managers) {
            <# Every object on a cluster that one of $Managers wrote, as "kind/namespace/name" -> object. #>
            $kinds = 'namespaces,secrets,serviceaccounts,services,deployments,clusterroles,clusterrolebindings,gateways.networking.istio.io,peerauthentications.security.istio.io,' +
                $(if ($Flavor -eq 'Ossm2') { 'servicemeshcontrolplanes.maistra.io' } else { 'istios.sailoperator.io,istiocnis.sailoperator.io' })
            $items = (Invoke-LabKubectl $Lab $Cluster get $kinds -A -o json --show-managed-fields | ConvertFrom-Json -AsHashtable).items
            $found = [ordered]@{}
            foreach ($o in $items) {
                if (@($o.metadata['managedFields'] | Where-Object { $_.manager -in $Managers }).Count -gt 0) {
                    $found["$($o.kind)/$($o.metadata['namespace'])/$($o.metadata.name)"] = $o
                }
            }
            $found
        }

        function script:ConvertTo-Compared($o) {
            <# What the manifests decide: server-assigned fields, addresses and credentials (which differ per lab) left out. #>
            $o.Remove('status')
            foreach ($key in 'uid', 'resourceVersion', 'creationTimestamp', 'managedFields', 'generation', 'selfLink') { $o.metadata.Remove($key) }
            if ($o.metadata['annotations']) {
                foreach ($a in 'kubectl.kubernetes.io/last-applied-configuration', 'deployment.kubernetes.io/revision', 'kubernetes.io/service-account.uid') { $o.metadata.annotations.Remove($a) }
                if ($o.metadata.annotations.Count -eq 0) { $o.metadata.Remove('annotations') }
            }
            if ($o.kind -eq 'Service') {
                foreach ($key in 'clusterIP', 'clusterIPs') { $o.spec.Remove($key) }
                foreach ($port in @($o.spec.ports)) { $port.Remove('nodePort') }
            }
            if ($o.kind -eq 'ServiceAccount') { $o.Remove('secrets') }
            if ($o.kind -eq 'Secret' -and $o['type'] -eq 'kubernetes.io/service-account-token') { $o.Remove('data') }
            if ($o.kind -eq 'Secret' -and $o.metadata.name -like 'istio-remote-secret-*') {
                foreach ($key in @($o.data.Keys)) {
                    $text = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($o.data[$key]))
                    $o.data[$key] = $text -replace '(?m)^(\s*(token|server|certificate-authority-data):).*$', '$1 <lab>'
                }
            }
            $o | ConvertTo-Json -Depth 64 -Compress
        }
    }

    AfterAll {
        Stop-TestLab $made
        Stop-TestLab $gitops
    }

    It 'gives, applied with kubectl apply -R in two passes, the objects the cmdlets make; the exports change no cluster' {
        $root = New-MeshRootCA -KeySize 2048 -PregenerateKeys 0
        $quiet = @{ WarningAction = 'SilentlyContinue' }
        $m = Get-MeshCluster -Kubeconfig $made.Kubeconfigs.west, $made.Kubeconfigs.east -Network west-network, east-network
        $cas = $m | New-MeshIntermediateCA -RootCA $root
        $null = $cas | Install-MeshCACertificate
        $null = $m | Install-MeshControlPlane -MeshId rt-mesh -Flavor $Flavor
        $null = $m | Install-MeshEastWestGateway -Wait -Timeout 00:00:30
        $null = Connect-MeshCluster -Cluster $m -CreateServiceAccount -MeshNetworks:$meshNetworks @quiet

        $tree = Join-Path (New-TestDirectory) tree
        $g = Get-MeshCluster -Kubeconfig $gitops.Kubeconfigs.west, $gitops.Kubeconfigs.east -Network west-network, east-network
        $null = $cas | Install-MeshCACertificate -Cluster $g -OutputPath $tree @quiet
        $null = $g | Install-MeshControlPlane -MeshId rt-mesh -Flavor $Flavor -OutputPath $tree
        $null = $g | Install-MeshEastWestGateway -OutputPath $tree
        $null = Connect-MeshCluster -Cluster $g -CreateServiceAccount -MeshNetworks:$meshNetworks -OutputPath $tree -WarningVariable pending -WarningAction SilentlyContinue
        ($pending -join "`n") | Should -Match 'RemoteSecretTokenPending'
        ($pending -join "`n") | Should -Match 'MeshNetworksPending'
        foreach ($c in 'west', 'east') {
            (Invoke-LabKubectl $gitops $c -Try get namespace istio-system).Code | Should -Not -Be 0 -Because 'an export changes nothing'
            (Invoke-LabKubectl $gitops $c -Try get clusterrole istio-reader-clusterrole-istio-system).Code | Should -Not -Be 0 -Because 'an export changes nothing'
            $null = Invoke-LabKubectl $gitops $c apply -R -f (Join-Path $tree $c)
            Wait-TokenIssued $gitops $c istio-system istio-reader-service-account-istio-remote-secret-token
        }

        # Second pass: the tokens and the gateways' addresses exist now.
        $null = Connect-MeshCluster -Cluster $g -CreateServiceAccount -MeshNetworks:$meshNetworks -OutputPath $tree -Timeout 00:00:30 -WarningVariable pending2 -WarningAction SilentlyContinue -ErrorVariable errors
        $errors | Should -BeNullOrEmpty
        ($pending2 -join "`n") | Should -Not -Match 'Pending'
        foreach ($c in 'west', 'east') { $null = Invoke-LabKubectl $gitops $c apply -R -f (Join-Path $tree $c) }

        foreach ($c in 'west', 'east') {
            $expected = Get-ModuleObject $made $c 'ossm-multicluster', 'ossm-multicluster-connect'
            $actual = Get-ModuleObject $gitops $c 'kubectl-client-side-apply', 'kubectl'
            $expected.Count | Should -BeGreaterThan 10
            @($actual.Keys) | Sort-Object | Should -Be (@($expected.Keys) | Sort-Object) -Because "$c has the same objects"
            foreach ($key in $expected.Keys) {
                ConvertTo-Compared $actual[$key] | Should -BeExactly (ConvertTo-Compared $expected[$key]) -Because "$c $key is the same"
            }
        }
    }
}
