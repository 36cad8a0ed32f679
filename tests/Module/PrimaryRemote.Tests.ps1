<#
The primary-remote, multi-network topology (the Sail operator's second multi-cluster model) on the lab: sailwest is the
primary (its istiod serves remotes and is exposed through its east-west gateway), saileast the remote (Istio with the
remote profile, no istiod). Both carry the Sail operator's real CRDs; west and east carry the OSSM 2.6 operator's,
whose control plane has no remote, so there the module refuses. Everything here lives in namespace pr-system and
in Istio resources of its own names; no istiod runs on the lab, nothing stands in for one.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-TestedModule
    $script:lab = Start-TestLab
    Set-LabVariable $lab $ExecutionContext.SessionState
    $ErrorActionPreference = 'Stop'
    $script:ns = 'pr-system'
    $script:primary = Get-MeshCluster -Kubeconfig $sailwest -Network west-network
    $script:remote = Get-MeshCluster -Kubeconfig $saileast -Network east-network
    $script:cp = @{ MeshId = 'pr-mesh'; Namespace = $ns; SkipCni = $true }

    function script:Format-Result { process { "$($_.Cluster)|$($_.Kind)|$($_.Name)|$($_.Action)" } }

    function script:Assert-MeshError($ErrorRecord, [string] $Id, [string] $Cmdlet, [string] $Category, [string] $Target) {
        $ErrorRecord.FullyQualifiedErrorId | Should -BeExactly "$Id,OssmMultiCluster.Commands.$Cmdlet"
        $ErrorRecord.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]$Category)
        $ErrorRecord.TargetObject | Should -BeExactly $Target
        $ErrorRecord.ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
    }

    function script:Get-WhatIfText([string] $Command) {
        <# What -WhatIf tells the host, from a fresh process of this pwsh (the host's text is no stream a runspace keeps); $p and $r are the clusters. #>
        $setup = "Import-Module '$(Get-ModuleManifestPath)'; `$p = Get-MeshCluster -Kubeconfig '$sailwest' -Network west-network; `$r = Get-MeshCluster -Kubeconfig '$saileast' -Network east-network; "
        & ([Environment]::ProcessPath) (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -Command ($setup + $Command) 2>&1 | Out-String -Width 400
    }

    function script:Get-RemoteSecretName([string] $Cluster) {
        @((Invoke-LabKubectl $lab $Cluster get secrets -n $ns -l istio/multiCluster=true -o json | ConvertFrom-Json -AsHashtable).items | ForEach-Object { $_.metadata.name })
    }
}

AfterAll {
    foreach ($pair in @(@{ C = 'sailwest'; I = 'pr-primary' }, @{ C = 'saileast'; I = 'pr-remote' }, @{ C = 'saileast'; I = 'pr-whatif' })) {
        $null = Invoke-LabKubectl $lab $pair.C -Try delete istios.sailoperator.io $pair.I --ignore-not-found
    }
    foreach ($c in 'sailwest', 'saileast') {
        $null = Invoke-LabKubectl $lab $c -Try delete namespace $ns --ignore-not-found --wait=false
        $null = Invoke-LabKubectl $lab $c -Try delete clusterrole,clusterrolebinding "istio-reader-clusterrole-$ns" --ignore-not-found
    }
    $null = Invoke-LabKubectl $lab west -Try delete namespace pr-ossm2p --ignore-not-found --wait=false
    Stop-TestLab $lab
}

Describe 'Install-MeshControlPlane -Remote on OSSM 3' {
    It 'refuses a remote until the primary can serve one, writing nothing on the remote' {
        # The primary without -ExternalIstiod: its istiod would not serve a remote.
        $null = $primary | Install-MeshControlPlane @cp -Flavor Ossm3 -Name pr-primary
        $out = @($remote | Install-MeshControlPlane @cp -Name pr-remote -Remote -Primary $primary -ErrorVariable errs -ErrorAction SilentlyContinue)
        $out | Should -BeNullOrEmpty
        $errs | Should -HaveCount 1
        Assert-MeshError $errs[0] PrimaryNotExternalIstiod InstallMeshControlPlaneCommand InvalidOperation sailwest
        $errs[0].ErrorDetails.RecommendedAction | Should -BeLikeExactly '*-ExternalIstiod*'

        # Serving remotes, but istiod not exposed through the east-west gateway yet.
        $null = $primary | Install-MeshControlPlane @cp -Flavor Ossm3 -Name pr-primary -ExternalIstiod
        $null = $primary | Install-MeshEastWestGateway -Namespace $ns -Flavor Ossm3
        $out = @($remote | Install-MeshControlPlane @cp -Name pr-remote -Remote -Primary $primary -ErrorVariable errs2 -ErrorAction SilentlyContinue)
        $out | Should -BeNullOrEmpty
        Assert-MeshError $errs2[0] PrimaryIstiodNotExposed InstallMeshControlPlaneCommand InvalidOperation sailwest
        $errs2[0].ErrorDetails.RecommendedAction | Should -BeLikeExactly '*Install-MeshEastWestGateway*-ExposeIstiod*'

        Get-LabObject $lab saileast @('istios.sailoperator.io', 'pr-remote') | Should -BeNullOrEmpty
        Get-LabObject $lab saileast @('namespace', $ns) | Should -BeNullOrEmpty
        (Get-LabObject $lab sailwest @('istios.sailoperator.io', 'pr-primary')).spec.values.global.externalIstiod | Should -BeTrue
    }

    It 'refuses the primary as its own remote, and a mesh ID other than the primary''s' {
        $null = $primary | Install-MeshEastWestGateway -Namespace $ns -Flavor Ossm3 -ExposeIstiod -Wait -Timeout 00:01:00
        $out = @($primary | Install-MeshControlPlane @cp -Name pr-remote -Remote -Primary $primary -ErrorVariable errs -ErrorAction SilentlyContinue)
        $out | Should -BeNullOrEmpty
        Assert-MeshError $errs[0] RemoteIsPrimary InstallMeshControlPlaneCommand InvalidArgument sailwest

        { $remote | Install-MeshControlPlane -MeshId other-mesh -Namespace $ns -SkipCni -Name pr-remote -Remote -Primary $primary } |
            Should -Throw -ErrorId 'MeshIdMismatch,OssmMultiCluster.Commands.InstallMeshControlPlaneCommand'
        { $remote | Install-MeshControlPlane @cp -Name pr-remote -Remote -Primary $primary -TrustDomain west.example } |
            Should -Throw -ErrorId 'RemoteParameterConflict,OssmMultiCluster.Commands.InstallMeshControlPlaneCommand'
        Get-LabObject $lab saileast @('istios.sailoperator.io', 'pr-remote') | Should -BeNullOrEmpty
    }

    It 'changes nothing with -WhatIf, and says what it would do' {
        $out = $remote | Install-MeshControlPlane @cp -Name pr-whatif -Remote -Primary $primary -WhatIf
        $out | Should -BeNullOrEmpty
        $text = Get-WhatIfText '$r | Install-MeshControlPlane -MeshId pr-mesh -Namespace pr-system -SkipCni -Name pr-whatif -Remote -Primary $p -WhatIf'
        $text | Should -BeLike "*What if:*remote control plane 'pr-whatif'*istiod of 'sailwest' at *"
        Get-LabObject $lab saileast @('istios.sailoperator.io', 'pr-whatif') | Should -BeNullOrEmpty
        Get-LabObject $lab saileast @('namespace', $ns) | Should -BeNullOrEmpty
    }

    It 'writes the remote profile pointing at the primary''s east-west gateway, and names the primary on the namespace' {
        $out = $remote | Install-MeshControlPlane @cp -Name pr-remote -Remote -Primary $primary
        $out | Format-Result | Should -Be 'saileast|Namespace|pr-system|Created', 'saileast|Istio|pr-remote|Created', 'saileast|Namespace|pr-system|Configured'

        $gateway = (Get-LabObject $lab sailwest @('-n', $ns, 'service', 'istio-eastwestgateway')).status.loadBalancer.ingress[0]
        $address = if ($gateway['ip']) { $gateway.ip } else { $gateway.hostname }
        $istio = Get-LabObject $lab saileast @('istios.sailoperator.io', 'pr-remote')
        $istio.spec.profile | Should -BeExactly 'remote'
        $istio.spec.namespace | Should -BeExactly $ns
        $istio.spec.version | Should -Match '^v1\.'
        $istio.spec.values.global.remotePilotAddress | Should -BeExactly $address
        $istio.spec.values.global.multiCluster.clusterName | Should -BeExactly 'saileast'
        $istio.spec.values.global.network | Should -BeExactly 'east-network'
        $istio.spec.values.global.meshID | Should -BeExactly 'pr-mesh'
        $istio.spec.values.istiodRemote.injectionPath | Should -BeExactly '/inject/cluster/saileast/net/east-network'
        Get-LabObject $lab saileast @('-n', $ns, 'peerauthentications.security.istio.io', 'default') | Should -BeNullOrEmpty

        $namespace = Invoke-LabKubectl $lab saileast get namespace $ns -o json --show-managed-fields | ConvertFrom-Json -AsHashtable
        $namespace.metadata.annotations['topology.istio.io/controlPlaneClusters'] | Should -BeExactly 'sailwest'
        $namespace.metadata.labels['topology.istio.io/network'] | Should -BeExactly 'east-network'
        # The annotation is the remote step's own field manager's, so the other steps' applies of the namespace leave it.
        $owned = ($namespace.metadata.managedFields | Where-Object manager -EQ 'ossm-multicluster-remote').fieldsV1
        @($owned['f:metadata'].Keys) | Should -Be 'f:annotations'
        @($owned['f:metadata']['f:annotations'].Keys) | Should -Be 'f:topology.istio.io/controlPlaneClusters'
    }

    It 'changes nothing on a re-run, and another step applying the namespace keeps the annotation' {
        $again = $remote | Install-MeshControlPlane @cp -Name pr-remote -Remote -Primary $primary
        $again | ForEach-Object Action | Sort-Object -Unique | Should -Be 'Unchanged'
        # The remote's own east-west gateway (multi-network), which applies the same namespace without the annotation.
        $null = $remote | Install-MeshEastWestGateway -Namespace $ns -Flavor Ossm3 -Wait -Timeout 00:01:00
        (Get-LabObject $lab saileast @('namespace', $ns)).metadata.annotations['topology.istio.io/controlPlaneClusters'] | Should -BeExactly 'sailwest'
    }

    It 'refuses -ExposeIstiod on the remote, which has no istiod, and changes nothing there; the primary goes on' {
        $before = Invoke-LabKubectl $lab saileast get 'gateways.networking.istio.io,virtualservices.networking.istio.io' -n $ns -o name
        $out = @($primary, $remote | Install-MeshEastWestGateway -Namespace $ns -Flavor Ossm3 -ExposeIstiod -ErrorVariable errs -ErrorAction SilentlyContinue)
        $errs | Should -HaveCount 1
        Assert-MeshError $errs[0] RemoteCannotExposeIstiod InstallMeshEastWestGatewayCommand InvalidOperation saileast
        "$($errs[0])" | Should -BeLikeExactly '*remote control plane*'
        $out.Cluster | Sort-Object -Unique | Should -BeExactly 'sailwest'
        $out | ForEach-Object Action | Sort-Object -Unique | Should -Be 'Unchanged'
        Invoke-LabKubectl $lab saileast get 'gateways.networking.istio.io,virtualservices.networking.istio.io' -n $ns -o name | Should -Be $before
        Get-LabObject $lab saileast @('gateways.networking.istio.io', 'istiod-gateway', '-n', $ns) | Should -BeNullOrEmpty

        # Without -Flavor the flavour is read from the same control plane, and the remote is refused the same way.
        $null = $remote | Install-MeshEastWestGateway -Namespace $ns -ExposeIstiod -ErrorVariable errs2 -ErrorAction SilentlyContinue
        Assert-MeshError $errs2[0] RemoteCannotExposeIstiod InstallMeshEastWestGatewayCommand InvalidOperation saileast
    }

    It 'exports the remote as a GitOps tree that the server accepts, the annotation merged into the namespace' {
        $tree = Join-Path (New-TestDirectory) tree
        $null = $remote | Install-MeshEastWestGateway -Namespace $ns -Flavor Ossm3 -OutputPath $tree
        $files = $remote | Install-MeshControlPlane @cp -Name pr-remote -Remote -Primary $primary -OutputPath $tree
        # The namespace and its annotation (a part written under its own field manager) are one file, reported once.
        $files | ForEach-Object { "$($_.Kind)|$($_.Name)" } | Should -Be 'Namespace|pr-system', 'Istio|pr-remote'
        $istio = Get-Content -Raw (Join-Path $tree 'saileast/_cluster/istio-pr-remote.yaml')
        $istio | Should -Match '(?m)^  profile: remote$'
        $istio | Should -Match '(?m)^      remotePilotAddress: \S+$'
        $namespace = Get-Content -Raw (Join-Path $tree "saileast/_cluster/namespace-$ns.yaml")
        $namespace | Should -Match 'topology.istio.io/controlPlaneClusters: sailwest'
        $namespace | Should -Match 'topology.istio.io/network: east-network'
        Invoke-LabKubectl $lab saileast apply --dry-run=server -R -f (Join-Path $tree saileast) | Should -Not -BeNullOrEmpty
    }
}

Describe 'Connect-MeshCluster on a primary and its remote' {
    It 'writes exactly the primary''s remote secret for the remote, and the primary''s mesh networks' {
        $out = Connect-MeshCluster -Cluster $primary, $remote -Namespace $ns -CreateServiceAccount -MeshNetworks -WarningAction SilentlyContinue
        $out | Where-Object Kind -In 'Secret', 'Istio' | Format-Result | Sort-Object |
            Should -Be 'sailwest|Istio|pr-primary|Configured', 'sailwest|Secret|istio-remote-secret-saileast|Created'
        Get-RemoteSecretName sailwest | Should -Be 'istio-remote-secret-saileast'
        Get-RemoteSecretName saileast | Should -BeNullOrEmpty
        # No token was issued on the primary: nobody reads it.
        Get-LabObject $lab sailwest @('-n', $ns, 'secret', 'istio-reader-service-account-istio-remote-secret-token') | Should -BeNullOrEmpty

        (Get-LabObject $lab sailwest @('istios.sailoperator.io', 'pr-primary')).spec.values.global.meshNetworks.Keys | Should -Be 'east-network'
        (Get-LabObject $lab saileast @('istios.sailoperator.io', 'pr-remote')).spec.values.global.ContainsKey('meshNetworks') | Should -BeFalse
    }

    It 'changes nothing on a re-run, and -WhatIf says the remote gets nothing' {
        $again = Connect-MeshCluster -Cluster $primary, $remote -Namespace $ns -CreateServiceAccount -MeshNetworks -WarningAction SilentlyContinue
        $again | ForEach-Object Action | Sort-Object -Unique | Should -Be 'Unchanged'
        $text = Get-WhatIfText 'Connect-MeshCluster -Cluster $p, $r -Namespace pr-system -MeshNetworks -WhatIf'
        $text | Should -BeLike '*Nothing to install: a remote runs no istiod*cluster saileast*'
        $text | Should -BeLike '*Install the remote secrets of saileast*cluster sailwest*'
    }
}

Describe 'Trust domains of a primary and its remote' {
    It 'lists no trust-domain alias on either: the remote''s workloads carry the primary''s domain' {
        $null = $primary | Install-MeshControlPlane @cp -Flavor Ossm3 -Name pr-primary -ExternalIstiod -TrustDomain pr.example
        try {
            $out = Connect-MeshCluster -Cluster $primary, $remote -Namespace $ns -CreateServiceAccount -MeshNetworks -WarningAction SilentlyContinue -ErrorVariable errs
            $errs | Should -BeNullOrEmpty
            $out | Where-Object Cluster -eq saileast | Should -BeNullOrEmpty
            (Get-LabObject $lab sailwest @('istios.sailoperator.io', 'pr-primary')).spec.values.meshConfig.trustDomainAliases | Should -BeNullOrEmpty
            (Get-LabObject $lab saileast @('istios.sailoperator.io', 'pr-remote')).spec.values.meshConfig.trustDomainAliases | Should -BeNullOrEmpty
        }
        finally { $null = $primary | Install-MeshControlPlane @cp -Flavor Ossm3 -Name pr-primary -ExternalIstiod }
    }
}

Describe 'Update-MeshRemoteSecret on a primary and its remote' {
    It 'rotates the remote''s secret on the primary and writes none on the remote' {
        $out = Update-MeshRemoteSecret -Cluster $primary, $remote -Namespace $ns -NoRestart -WarningAction SilentlyContinue
        $out | Where-Object { $_.Kind -eq 'Secret' -and $_.Name -like 'istio-remote-secret-*' } | Format-Result |
            Should -Be 'sailwest|Secret|istio-remote-secret-saileast|Configured'
        Get-RemoteSecretName sailwest | Should -Be 'istio-remote-secret-saileast'
        Get-RemoteSecretName saileast | Should -BeNullOrEmpty
    }
}

Describe 'Get-MeshStatus on a primary and its remote' {
    It 'checks the remote''s chain to its primary instead of an istiod of its own' {
        $rootCA = New-MeshRootCA -KeySize 2048 -PregenerateKeys 0
        $null = $primary | New-MeshIntermediateCA -RootCA $rootCA -KeySize 2048 | Install-MeshCACertificate -Namespace $ns
        $checks = $primary, $remote | Get-MeshStatus -Namespace $ns | Where-Object { $_ -is [OssmMultiCluster.Model.MeshStatusCheck] }
        $east = $checks | Where-Object Cluster -EQ saileast
        $east | ForEach-Object Check | Should -Be 'trust', 'network', 'control-plane', 'gateway', 'primary'
        $east | Where-Object Status -NE OK | ForEach-Object { "$($_.Check): $($_.Detail)" } | Should -BeNullOrEmpty
        ($east | Where-Object Check -EQ primary).Detail | Should -BeLike "Remote of 'sailwest': istiod at *"
        $west = $checks | Where-Object Cluster -EQ sailwest
        ($west | Where-Object Check -EQ remote-secret).Status | Should -Be OK
        ($west | Where-Object Check -EQ mesh-networks).Status | Should -Be OK
    }

    It 'reports a remote pilot address that is not the primary''s gateway address, until the remote is installed again' {
        $null = Invoke-LabKubectl $lab saileast patch istios.sailoperator.io pr-remote --type=merge -p '{"spec":{"values":{"global":{"remotePilotAddress":"203.0.113.9"}}}}'
        $check = $primary, $remote | Get-MeshStatus -Namespace $ns | Where-Object { $_.Check -eq 'primary' }
        $check.Status | Should -Be Error
        $check.Detail | Should -BeLike "*remotePilotAddress is '203.0.113.9'*Install-MeshControlPlane -Remote*"

        $fixed = $remote | Install-MeshControlPlane @cp -Name pr-remote -Remote -Primary $primary -Force -WarningAction SilentlyContinue
        ($fixed | Where-Object Kind -EQ Istio).Action | Should -Be Configured
        ($primary, $remote | Get-MeshStatus -Namespace $ns | Where-Object { $_.Check -eq 'primary' }).Status | Should -Be OK
    }
}

Describe 'Uninstall-MeshControlPlane of a primary with a remote' {
    It 'is refused while the remote uses its istiod, even with the remote secret gone' {
        $null = Invoke-LabKubectl $lab sailwest -n $ns delete secret istio-remote-secret-saileast
        $out = @(Uninstall-MeshControlPlane -Cluster $primary -Peer $remote -Namespace $ns -Name pr-primary -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue)
        $out | Should -BeNullOrEmpty
        Assert-MeshError $errs[0] ClusterStillConnected UninstallMeshControlPlaneCommand InvalidOperation sailwest
        "$($errs[0])" | Should -BeLikeExactly "*cluster 'saileast' is a remote whose workloads use its istiod*"
        Get-LabObject $lab sailwest @('istios.sailoperator.io', 'pr-primary') | Should -Not -BeNullOrEmpty
    }
}

Describe 'Primary-remote on OSSM 2.6' {
    It 'is refused: RemoteTopologyNotSupported for the remote and for -ExternalIstiod, nothing written' {
        $w = Get-MeshCluster -Kubeconfig $west -Network west-network
        $e = Get-MeshCluster -Kubeconfig $east -Network east-network
        $out = @($e | Install-MeshControlPlane -MeshId pr-mesh -Namespace pr-ossm2 -Remote -Primary $primary -ErrorVariable errs -ErrorAction SilentlyContinue)
        $out | Should -BeNullOrEmpty
        $errs | Should -HaveCount 1
        Assert-MeshError $errs[0] RemoteTopologyNotSupported InstallMeshControlPlaneCommand InvalidOperation east
        "$($errs[0])" | Should -BeLike '*OSSM 2.6*multi-primary*'
        $errs[0].ErrorDetails.RecommendedAction | Should -BeLike '*OSSM 3*'

        $out = @($w | Install-MeshControlPlane -MeshId pr-mesh -Namespace pr-ossm2 -ExternalIstiod -ErrorVariable errs2 -ErrorAction SilentlyContinue)
        $out | Should -BeNullOrEmpty
        Assert-MeshError $errs2[0] RemoteTopologyNotSupported InstallMeshControlPlaneCommand InvalidOperation west

        foreach ($c in 'west', 'east') { Get-LabObject $lab $c @('namespace', 'pr-ossm2') | Should -BeNullOrEmpty }

        # An OSSM 2.6 primary cannot serve an OSSM 3 remote either.
        $null = $w | Install-MeshControlPlane -MeshId pr-mesh -Namespace pr-ossm2p
        $out = @($remote | Install-MeshControlPlane -MeshId pr-mesh -Namespace pr-ossm2p -SkipCni -Name pr-remote2 -Remote -Primary $w -ErrorVariable errs3 -ErrorAction SilentlyContinue)
        $out | Should -BeNullOrEmpty
        Assert-MeshError $errs3[0] RemoteTopologyNotSupported InstallMeshControlPlaneCommand InvalidOperation west
        "$($errs3[0])" | Should -BeLike '*cannot serve remote clusters*'
        Get-LabObject $lab saileast @('namespace', 'pr-ossm2p') | Should -BeNullOrEmpty
    }
}
