<#
Install-MeshControlPlane -TrustDomain on the lab's real operator CRDs: west gets an OSSM 2.6 ServiceMeshControlPlane,
east an OSSM 3 Istio resource, each read back with kubectl; a re-run is Unchanged, and a name that is not a SPIFFE
trust domain is refused before any cluster is touched.
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
