<#
Install-MeshControlPlane -TrustDomain on the lab's real operator CRDs: west gets an OSSM 2.6 ServiceMeshControlPlane,
east an OSSM 3 Istio resource, each read back with kubectl; a re-run is Unchanged, and a name that is not a SPIFFE
trust domain is refused before any cluster is touched. Then the aliases Connect-MeshCluster gives every control plane
when clusters of different trust domains join one mesh, for both flavors: a joining cluster updates the others, a re-run
and Install-MeshControlPlane's re-run change nothing, -WhatIf changes nothing, an export carries them, and
Disconnect-MeshCluster takes the leaving domain out.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-TestedModule
    $script:lab = Start-TestLab
    Set-LabVariable $lab $ExecutionContext.SessionState
    # As a careful user's script runs: an error a test does not expect stops it.
    $ErrorActionPreference = 'Stop'
}

AfterAll {
    Stop-TestLab $lab
}

Describe 'Install-MeshControlPlane -TrustDomain' {
    It 'writes the trust domain where each flavor keeps it, and a re-run is Unchanged' {
        $ns = 'trust-domain'
        $c = Get-MeshCluster -Kubeconfig $west, $saileast -Name west, east
        $null = $c[0] | Install-MeshControlPlane -MeshId td-mesh -Namespace $ns -TrustDomain west.example
        $null = $c[1] | Install-MeshControlPlane -MeshId td-mesh -Namespace $ns -Flavor Ossm3 -Name trust-domain -SkipCni -TrustDomain east.example
        Invoke-LabKubectl $lab west -n $ns get smcp basic -o 'jsonpath={.spec.security.trust.domain}' | Should -BeExactly 'west.example'
        Invoke-LabKubectl $lab saileast get istio trust-domain -o 'jsonpath={.spec.values.meshConfig.trustDomain}' | Should -BeExactly 'east.example'

        $again = @($c[0] | Install-MeshControlPlane -MeshId td-mesh -Namespace $ns -TrustDomain west.example) +
            @($c[1] | Install-MeshControlPlane -MeshId td-mesh -Namespace $ns -Flavor Ossm3 -Name trust-domain -SkipCni -TrustDomain east.example)
        $again | Where-Object Action -ne Unchanged | Should -BeNullOrEmpty
    }

    It 'leaves the trust domain to the operator without -TrustDomain' {
        $ns = 'trust-domain-default'
        $c = Get-MeshCluster -Kubeconfig $west
        $null = $c | Install-MeshControlPlane -MeshId td-mesh -Namespace $ns
        Invoke-LabKubectl $lab west -n $ns get smcp basic -o 'jsonpath={.spec.security}' | Should -Not -BeLikeExactly '*trust*'
    }

    It 'refuses a name that is not a SPIFFE trust domain, touching no cluster' {
        $c = Get-MeshCluster -Kubeconfig $west
        { $c | Install-MeshControlPlane -MeshId td-mesh -Namespace trust-domain-bad -TrustDomain 'Spiffe://West' } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,OssmMultiCluster.Commands.InstallMeshControlPlaneCommand'
        Invoke-LabKubectl $lab west get namespace -o name | Should -Not -Contain 'namespace/trust-domain-bad'
    }
}

Describe 'Connect-MeshCluster: trust-domain aliases on <Flavor> control planes' -ForEach @(
    @{ Flavor = 'Ossm2'; Ns = 'td-aliases2'; First = 'west'; Second = 'east' }
    @{ Flavor = 'Ossm3'; Ns = 'td-aliases3'; First = 'sailwest'; Second = 'saileast' }
) {
    # One sequence per flavor: two clusters of different trust domains connect, north (OSSM 2.6, a third domain) joins,
    # then leaves. Its own namespace and control-plane names, deleted at the end.
    BeforeAll {
        $script:quiet = @{ WarningAction = 'SilentlyContinue' }
        $script:pair = Get-MeshCluster -Kubeconfig (Get-LabKubeconfig $lab $First), (Get-LabKubeconfig $lab $Second) -Network "$First-network", "$Second-network"
        $script:northCluster = Get-MeshCluster -Kubeconfig $north -Network north-network
        $script:all = @($pair) + @($northCluster)
        $script:install = @{ MeshId = 'td-mesh'; Namespace = $Ns }
        # The pair's control planes: an Istio resource of its own name on the Sail clusters.
        $script:cp = if ($Flavor -eq 'Ossm3') { $install + @{ Flavor = 'Ossm3'; Name = $Ns; SkipCni = $true } } else { $install }
        $null = $pair[0] | Install-MeshControlPlane @cp -TrustDomain "$First.example"
        $null = $pair[1] | Install-MeshControlPlane @cp -TrustDomain "$Second.example"
        $null = $pair | Install-MeshEastWestGateway -Namespace $Ns -Flavor $Flavor -Wait -Timeout 00:00:30
        $null = $northCluster | Install-MeshControlPlane @install -TrustDomain north.example
        $null = $northCluster | Install-MeshEastWestGateway -Namespace $Ns -Wait -Timeout 00:00:30

        function script:Get-Alias([string] $Cluster) {
            <# The trust-domain aliases of a cluster's control plane, where its flavor keeps them (nothing when it has none). #>
            $holder = if ($Cluster -like 'sail*') { (Get-LabObject $lab $Cluster @('istios.sailoperator.io', $Ns)).spec.values['meshConfig'] }
                      else { (Get-LabObject $lab $Cluster @('-n', $Ns, 'smcp', 'basic')).spec.security['trust'] }
            $key = if ($Cluster -like 'sail*') { 'trustDomainAliases' } else { 'additionalDomains' }
            if ($holder -and $holder.ContainsKey($key)) { $holder[$key] }
        }
    }

    AfterAll {
        foreach ($c in $First, $Second, 'north') {
            if ($c -like 'sail*') { $null = Invoke-LabKubectl $lab $c -Try delete istios.sailoperator.io $Ns --wait=false }
            $null = Invoke-LabKubectl $lab $c -Try delete clusterrole,clusterrolebinding "istio-reader-clusterrole-$Ns" --wait=false
            $null = Invoke-LabKubectl $lab $c -Try delete namespace $Ns --wait=false
        }
    }

    It 'lists each cluster''s trust domain on the other''s control plane, under a field manager of their own' {
        $out = Connect-MeshCluster -Cluster $pair -Namespace $Ns -CreateServiceAccount -ErrorVariable errors @quiet
        $errors | Should -BeNullOrEmpty
        Get-Alias $First | Should -Be "$Second.example"
        Get-Alias $Second | Should -Be "$First.example"
        $kind = if ($Flavor -eq 'Ossm3') { 'Istio' } else { 'ServiceMeshControlPlane' }
        $out | Where-Object Kind -EQ $kind | ForEach-Object Cluster | Sort-Object -Unique | Should -Be (@($First, $Second) | Sort-Object)
        $managed = if ($Flavor -eq 'Ossm3') { Get-LabObject $lab $First @('istios.sailoperator.io', $Ns, '--show-managed-fields') }
                   else { Get-LabObject $lab $First @('-n', $Ns, 'smcp', 'basic', '--show-managed-fields') }
        $managed.metadata.managedFields | Where-Object manager -EQ 'ossm-multicluster-trust-domain' | Should -HaveCount 1
    }

    It 'changes nothing on a re-run of Connect-MeshCluster or of Install-MeshControlPlane' {
        $again = Connect-MeshCluster -Cluster $pair -Namespace $Ns -CreateServiceAccount -ErrorVariable errors @quiet
        $errors | Should -BeNullOrEmpty
        $again | Where-Object Action -NE Unchanged | Should -BeNullOrEmpty
        $reinstall = $pair[0] | Install-MeshControlPlane @cp -TrustDomain "$First.example"
        $reinstall | Where-Object Action -NE Unchanged | Should -BeNullOrEmpty
        Get-Alias $First | Should -Be "$Second.example"
    }

    It 'changes nothing with -WhatIf when north joins' {
        $null = Connect-MeshCluster -Cluster $all -Namespace $Ns -CreateServiceAccount -WhatIf @quiet
        Get-Alias $First | Should -Be "$Second.example"
        Get-Alias north | Should -BeNullOrEmpty
    }

    It 'exports the aliases into the control plane''s file Install-MeshControlPlane wrote, north''s included' {
        $tree = Join-Path (New-TestDirectory) tree
        $null = $pair[0] | Install-MeshControlPlane @cp -TrustDomain "$First.example" -OutputPath $tree
        $files = Connect-MeshCluster -Cluster $all -Namespace $Ns -CreateServiceAccount -OutputPath $tree -ErrorVariable errors @quiet
        $errors | Should -BeNullOrEmpty
        $files.Path | Group-Object | Where-Object Count -GT 1 | ForEach-Object Name | Should -BeNullOrEmpty -Because 'a file written with two parts of one object is one file'
        $file = if ($Flavor -eq 'Ossm3') { Join-Path $tree "$First/_cluster/istio-$Ns.yaml" } else { Join-Path $tree "$First/$Ns/servicemeshcontrolplane-basic.yaml" }
        $text = Get-Content -Raw $file
        $text | Should -Match "(?m)^\s*- $Second\.example\s*$"
        $text | Should -Match '(?m)^\s*- north\.example\s*$'
        $text | Should -Match "$First\.example" -Because 'the trust domain Install wrote stays'
        Get-Alias $First | Should -Be "$Second.example" -Because 'an export changes no cluster'
        # What the export says is what kubectl applies: the real CRD accepts it.
        Invoke-LabKubectl $lab $First apply --dry-run=server -f $file | Should -Not -BeNullOrEmpty
    }

    It 'updates the others'' aliases when north joins, and north lists theirs' {
        $null = Connect-MeshCluster -Cluster $all -Namespace $Ns -CreateServiceAccount -ErrorVariable errors @quiet
        $errors | Should -BeNullOrEmpty
        # In ordinal order, so that a re-run applies the same list.
        Get-Alias $First | Should -Be (@("$Second.example", 'north.example') | Sort-Object)
        Get-Alias $Second | Should -Be (@("$First.example", 'north.example') | Sort-Object)
        Get-Alias north | Should -Be (@("$First.example", "$Second.example") | Sort-Object)
        Connect-MeshCluster -Cluster $all -Namespace $Ns -CreateServiceAccount @quiet | Where-Object Action -NE Unchanged | Should -BeNullOrEmpty
    }

    It 'has Get-MeshStatus find no trust-domain problem, and name the fix when an alias is missing' {
        $checks = $all | Get-MeshStatus -Namespace $Ns -ErrorAction SilentlyContinue | Where-Object Check -EQ control-plane
        $checks | ForEach-Object Detail | Should -Not -Match 'trust domain'
        $checks = $pair | Get-MeshStatus -Namespace $Ns -ErrorAction SilentlyContinue | Where-Object Check -EQ control-plane
        $checks | ForEach-Object Detail | Should -Not -Match 'trust domain' -Because 'an alias too many is harmless'
        $other = Get-MeshCluster -Kubeconfig (Get-LabKubeconfig $lab $First), $north -Network "$First-network", north-network
        $null = $northCluster | Install-MeshControlPlane @install -TrustDomain moved.example
        try {
            $detail = ($other | Get-MeshStatus -Namespace $Ns -ErrorAction SilentlyContinue | Where-Object { $_.Check -eq 'control-plane' -and $_.Cluster -eq $First }).Detail
            $detail | Should -Match "north=moved\.example"
            $detail | Should -Match 'Connect-MeshCluster'
        }
        finally { $null = $northCluster | Install-MeshControlPlane @install -TrustDomain north.example }
    }

    It 'takes north''s domain out of the others'' aliases, and theirs out of north''s, when north leaves' {
        $null = Disconnect-MeshCluster -Cluster $northCluster -From $pair -Namespace $Ns -Confirm:$false -ErrorVariable errors @quiet
        $errors | Should -BeNullOrEmpty
        Get-Alias $First | Should -Be "$Second.example"
        Get-Alias $Second | Should -Be "$First.example"
        Get-Alias north | Should -BeNullOrEmpty
        Connect-MeshCluster -Cluster $pair -Namespace $Ns -CreateServiceAccount @quiet | Where-Object Action -NE Unchanged | Should -BeNullOrEmpty
    }

    It 'adds -TrustDomainAlias to every control plane, a re-run without it takes it out, and refuses a name that is no trust domain' {
        $null = Connect-MeshCluster -Cluster $pair -Namespace $Ns -CreateServiceAccount -TrustDomainAlias old.example -ErrorVariable errors @quiet
        $errors | Should -BeNullOrEmpty
        Get-Alias $First | Should -Be (@("$Second.example", 'old.example') | Sort-Object)
        Get-Alias $Second | Should -Be (@("$First.example", 'old.example') | Sort-Object)
        $null = Connect-MeshCluster -Cluster $pair -Namespace $Ns -CreateServiceAccount @quiet
        Get-Alias $First | Should -Be "$Second.example"
        { Connect-MeshCluster -Cluster $pair -Namespace $Ns -TrustDomainAlias 'spiffe://Old' } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,OssmMultiCluster.Commands.ConnectMeshClusterCommand'
    }

    It 'has Remove-MeshCluster take north''s domain out of the others'' aliases as it takes north out of the mesh' {
        $null = Connect-MeshCluster -Cluster $all -Namespace $Ns -CreateServiceAccount @quiet
        Get-Alias $First | Should -Be (@("$Second.example", 'north.example') | Sort-Object)
        $null = Remove-MeshCluster -Cluster $northCluster -From $pair -Namespace $Ns -Confirm:$false -ErrorVariable errors @quiet
        $errors | Should -BeNullOrEmpty
        Get-Alias $First | Should -Be "$Second.example"
        Get-Alias $Second | Should -Be "$First.example"
    }
}

Describe 'Connect-MeshCluster: one trust domain everywhere' {
    It 'writes no aliases and leaves the control planes to Install and the mesh networks' {
        $ns = 'td-same'
        $c = Get-MeshCluster -Kubeconfig $west, $east -Network west-network, east-network
        $null = $c | Install-MeshControlPlane -MeshId td-mesh -Namespace $ns
        $null = $c | Install-MeshEastWestGateway -Namespace $ns -Wait -Timeout 00:00:30
        try {
            $null = Connect-MeshCluster -Cluster $c -Namespace $ns -CreateServiceAccount -WarningAction SilentlyContinue
            foreach ($name in 'west', 'east') {
                $smcp = Get-LabObject $lab $name @('-n', $ns, 'smcp', 'basic', '--show-managed-fields')
                $smcp.spec.security.Keys | Should -Not -Contain 'trust'
                $smcp.metadata.managedFields | Where-Object manager -EQ 'ossm-multicluster-trust-domain' | Should -BeNullOrEmpty
            }
        }
        finally {
            foreach ($name in 'west', 'east') {
                $null = Invoke-LabKubectl $lab $name -Try delete clusterrole,clusterrolebinding "istio-reader-clusterrole-$ns" --wait=false
                $null = Invoke-LabKubectl $lab $name -Try delete namespace $ns --wait=false
            }
        }
    }
}
