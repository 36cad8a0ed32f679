<#
Test-MeshPrerequisite on the lab: one object per check and cluster with its fix, then a verdict. West and east carry
the lab's CRDs of both operators, bare none; the -nobody kubeconfigs authenticate a user granted nothing. A lab of
this file's own carries the operators' real CRDs (../shared/reference/upstream/crds/ossm2 and ossm3), one flavour per
cluster, as an operator installs them.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-TestedModule
    $script:lab = Start-TestLab
    Set-LabVariable $lab $ExecutionContext.SessionState
    # As a careful user's script runs: an error a test does not expect stops it.
    $ErrorActionPreference = 'Stop'
    $script:checkNames = 'api', 'version', 'clock', 'identity', 'operator', 'permissions', 'load-balancer', 'node-port'

    function script:ConvertTo-CheckTable {
        <# Test-MeshPrerequisite's output as 'cluster|check' -> the check; the verdict under 'summary'. #>
        param([Parameter(ValueFromPipeline)] $InputObject)
        begin { $table = @{} }
        process {
            if ($InputObject -is [OssmMultiCluster.Model.MeshPrerequisiteSummary]) { $table['summary'] = $InputObject }
            else {
                $InputObject | Should -BeOfType ([OssmMultiCluster.Model.MeshPrerequisiteCheck])
                $table["$($InputObject.Cluster)|$($InputObject.Check)"] = $InputObject
            }
        }
        end { $table }
    }
}

AfterAll {
    Stop-TestLab $lab
}

Describe 'Test-MeshPrerequisite' {
    It 'checks each cluster in every respect, one object per check with the fix, then the verdict' {
        $clusters = Get-MeshCluster -Kubeconfig $west, $east -Network west-network, east-network
        $out = @($clusters | Test-MeshPrerequisite -Flavor Ossm2 -ErrorVariable errors)
        $errors | Should -BeNullOrEmpty
        $out[-1] | Should -BeOfType ([OssmMultiCluster.Model.MeshPrerequisiteSummary])
        $checks = $out[0..($out.Count - 2)]
        $checks | ForEach-Object { "$($_.Cluster)|$($_.Check)" } | Should -Be (@('west', 'east') | ForEach-Object { $c = $_; $checkNames | ForEach-Object { "$c|$_" } })
        $t = Test-MeshPrerequisite -Cluster $clusters -Flavor Ossm2 | ConvertTo-CheckTable
        $t['west|api'].Status | Should -Be 'Pass'
        $t['west|version'].Message | Should -BeLikeExactly 'Kubernetes v1.20*'
        $t['west|clock'].Status | Should -Be 'Pass'
        $t['west|identity'].Status | Should -Be 'Pass'
        $t['west|operator'].Status | Should -Be 'Pass'
        $t['west|operator'].Message | Should -BeLikeExactly 'Ossm2 (asked): ServiceMeshControlPlane *v2*; Gateway *v1beta1*'
        $t['west|permissions'].Message | Should -BeLikeExactly 'All * rights the steps use are granted.'
        $t['summary'].Clusters | Should -Be 2
        $t['summary'].Checks | Should -Be 16
        $t['summary'].Failures | Should -Be 0
        $t['summary'].Ready | Should -BeTrue
        # Warnings carry their fix; a Pass needs none.
        foreach ($check in $t.Values | Where-Object { $_ -is [OssmMultiCluster.Model.MeshPrerequisiteCheck] }) {
            if ($check.Status -eq 'Pass') { $check.Fix | Should -BeNullOrEmpty } else { $check.Fix | Should -Not -BeNullOrEmpty -Because "$check" }
        }
        # The views: a table of checks, the verdict as a list.
        $text = $out | Out-String -Width 200
        $text | Should -BeLikeExactly '*Cluster*Check*Status*Message*west*permissions*Pass*'
        $text | Should -BeLikeExactly '*Ready*: True*'
    }

    It 'finds the flavour from the CRDs, and fails a cluster without the operator with the fix' {
        # The lab's west carries the OSSM 2.6 operator's CRDs, saileast the Sail operator's, bare none.
        $t = Test-MeshPrerequisite -Cluster (Get-MeshCluster -Kubeconfig $west, $saileast, $bare) | ConvertTo-CheckTable
        $t['west|operator'].Status | Should -Be 'Pass'
        $t['saileast|operator'].Status | Should -Be 'Pass'
        $t['west|operator'].Message | Should -BeLikeExactly 'Ossm2*'
        $t['saileast|operator'].Message | Should -BeLikeExactly 'Ossm3*'
        $t['bare|operator'].Status | Should -Be 'Fail'
        $t['bare|operator'].Message | Should -BeLikeExactly 'Neither OpenShift Service Mesh operator*'
        $t['summary'].Ready | Should -BeFalse

        $t = Test-MeshPrerequisite -Cluster (Get-MeshCluster -Kubeconfig $bare) -Flavor Ossm3 | ConvertTo-CheckTable
        $t['bare|operator'].Status | Should -Be 'Fail'
        $t['bare|operator'].Message | Should -BeLikeExactly 'Ossm3 (asked): Istio (istios.sailoperator.io) is not installed;*'
        $t['bare|operator'].Fix | Should -BeLikeExactly '*Service Mesh 3 operator (Sail)*'
    }

    It 'lists every right a user lacks, by SelfSubjectAccessReview' {
        $nobody = Get-MeshCluster -Kubeconfig (Get-LabKubeconfig $lab west -Nobody) -Name west -Network west-network
        $t = Test-MeshPrerequisite -Cluster $nobody -Flavor Ossm2 -Namespace mesh-precheck | ConvertTo-CheckTable
        $p = $t['west|permissions']
        $p.Status | Should -Be 'Fail'
        $p.Message | Should -BeLikeExactly '20 of 20 rights the steps use are missing:*'
        $p.Message | Should -BeLikeExactly '*get, patch, list, delete secrets in mesh-precheck (Install-MeshCACertificate, Connect-MeshCluster, New-MeshRemoteSecret, Get-MeshStatus, Disconnect-MeshCluster, Update-MeshRemoteSecret)*'
        $p.Message | Should -BeLikeExactly '*patch servicemeshcontrolplanes.maistra.io in mesh-precheck*'
        $p.Message | Should -BeLikeExactly '*list nodes (cluster-wide)*'
        $p.Fix | Should -BeLikeExactly '*cluster admin*'
        # What it cannot list is said, not guessed.
        $t['west|load-balancer'].Message | Should -BeLikeExactly 'LoadBalancer Services could not be listed: 403*'
        $t['summary'].Ready | Should -BeFalse
    }

    It 'fails two names for one API server, and warns of a shared network' {
        $a = Get-MeshCluster -Kubeconfig $west -Name west-a -Network net-a
        $b = Get-MeshCluster -Kubeconfig $west -Name west-b -Network net-b
        $t = Test-MeshPrerequisite -Cluster $a, $b | ConvertTo-CheckTable
        $t['west-a|identity'].Status | Should -Be 'Fail'
        $t['west-a|identity'].Message | Should -BeLikeExactly "*'west-b' are the same API server*"

        $t = Test-MeshPrerequisite -Cluster (Get-MeshCluster -Kubeconfig $west, $east -Network shared-network, shared-network) | ConvertTo-CheckTable
        $t['west|identity'].Status | Should -Be 'Warning'
        $t['west|identity'].Message | Should -BeLikeExactly "*shares network 'shared-network' with 'east'*"
    }

    It 'checks the clock against the CAs to be installed' {
        $c = Get-MeshCluster -Kubeconfig $west -Network west-network
        $root = New-MeshRootCA -KeySize 2048
        $t = Test-MeshPrerequisite -Cluster $c -CertificateAuthority $root | ConvertTo-CheckTable
        $t['west|clock'].Status | Should -Be 'Pass'
        $t['west|clock'].Message | Should -BeLikeExactly '*within the validity of 1 CA(s).'

        $short = New-MeshRootCA -KeySize 2048 -ValidityDays 10
        $t = Test-MeshPrerequisite -Cluster $c -CertificateAuthority $short | ConvertTo-CheckTable
        $t['west|clock'].Status | Should -Be 'Warning'
        $t['west|clock'].Message | Should -BeLikeExactly '*expires*in less than 30 days*'
    }

    It 'reports existing LoadBalancer Services, with or without an address' {
        $ns = 'mesh-precheck-lb'
        $null = Invoke-LabKubectl $lab bare -Try create namespace $ns
        # Annotated as it is created: annotated afterwards, the lab's load balancer may give it an address first.
        $service = @{ apiVersion = 'v1'; kind = 'Service'
            metadata = @{ name = 'no-address'; namespace = $ns; annotations = @{ 'ossm-lab/ingress' = 'none' } }
            spec = @{ type = 'LoadBalancer'; ports = @(@{ name = 'tls'; port = 443; protocol = 'TCP' }); selector = @{ app = 'no-address' } } }
        $file = New-TemporaryFile
        try { $service | ConvertTo-Json -Depth 6 | Set-Content $file; $null = Invoke-LabKubectl $lab bare apply -f $file }
        finally { Remove-Item $file }
        $t = Test-MeshPrerequisite -Cluster (Get-MeshCluster -Kubeconfig $bare) | ConvertTo-CheckTable
        $t['bare|load-balancer'].Status | Should -Be 'Warning'
        $t['bare|load-balancer'].Message | Should -BeLikeExactly "*have no address (e.g. $ns/no-address)*"
        $t['bare|load-balancer'].Fix | Should -BeLikeExactly '*-ServiceType NodePort*'
        # The lab has no nodes: a NodePort gateway would have no address.
        $t['bare|node-port'].Status | Should -Be 'Warning'
        $null = Invoke-LabKubectl $lab bare delete namespace $ns --wait=false
    }

    It 'probes the load balancer with a throwaway Service only when asked, and deletes it' {
        $c = Get-MeshCluster -Kubeconfig $east -Network east-network
        $t = Test-MeshPrerequisite -Cluster $c -ProbeLoadBalancer -WhatIf | ConvertTo-CheckTable
        $t['east|load-balancer'].Message | Should -Not -BeLikeExactly '*throwaway*'

        $t = Test-MeshPrerequisite -Cluster $c -ProbeLoadBalancer -ProbeNamespace default | ConvertTo-CheckTable
        $t['east|load-balancer'].Status | Should -Be 'Pass'
        # East's load balancer gives hostnames.
        $t['east|load-balancer'].Message | Should -BeLikeExactly 'A throwaway LoadBalancer Service got address ossm-prerequisite-lb-probe-*.elb.lab.test in *'
        Invoke-LabKubectl $lab east get services --all-namespaces -l app=ossm-prerequisite-lb-probe -o name | Should -BeNullOrEmpty
    }

    It 'reports a cluster that is down as a failed api check, and checks the others' {
        $dir = New-TestDirectory
        try {
            $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
            $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
            $down = Join-Path $dir down.kubeconfig
            (Get-Content -Raw $west) -replace 'server: https://127\.0\.0\.1:\d+', "server: https://127.0.0.1:$port" | Set-Content $down
            $clusters = @(Get-MeshCluster -Kubeconfig $down -Name gone -Network gone-network) + @(Get-MeshCluster -Kubeconfig $east -Network east-network)
            $t = Test-MeshPrerequisite -Cluster $clusters -Flavor Ossm2 -ErrorVariable errors | ConvertTo-CheckTable
        }
        finally { Remove-Item $dir -Recurse -Force }
        $errors | Should -BeNullOrEmpty
        $t['gone|api'].Status | Should -Be 'Fail'
        $t['gone|api'].Fix | Should -Not -BeNullOrEmpty
        $t['east|operator'].Status | Should -Be 'Pass'
        $t['summary'].Failures | Should -Be 1
    }

    It 'refuses a probe timeout that is not positive' {
        { Test-MeshPrerequisite -Cluster (Get-MeshCluster -Kubeconfig $west) -ProbeLoadBalancer -ProbeTimeout 00:00:00 } |
            Should -Throw -ErrorId 'TimeoutInvalid,OssmMultiCluster.Commands.TestMeshPrerequisiteCommand'
    }
}

Describe 'Test-MeshPrerequisite on the operators'' real CRDs' {
    BeforeAll {
        # A lab of this file's own: r2 gets OSSM 2.6's CRDs, r3 the Sail operator's (OSSM 3), as the operators install them.
        $script:real = Start-TestLab -Clusters r2, r3 -Options '--no-crds', 'r2', '--no-crds', 'r3'
        $upstream = Join-Path (Get-RepoRoot) '../shared/reference/upstream/crds'
        foreach ($pair in @(@('r2', 'ossm2'), @('r3', 'ossm3'))) {
            foreach ($file in Get-ChildItem (Join-Path $upstream $pair[1]) -Filter *.yaml) {
                # create, not apply: the largest CRDs do not fit in kubectl apply's last-applied annotation. Kubernetes
                # 1.20's kubectl does not know x-kubernetes-validations (the API server drops it): no client validation.
                $null = Invoke-LabKubectl $real $pair[0] create --validate=false -f $file.FullName
            }
        }
    }

    AfterAll {
        Stop-TestLab $real
    }

    It 'finds each cluster''s flavour and the versions its CRDs serve' {
        $clusters = Get-MeshCluster -Kubeconfig $real.Kubeconfigs['r2'], $real.Kubeconfigs['r3'] -Network net-2, net-3
        $t = Test-MeshPrerequisite -Cluster $clusters | ConvertTo-CheckTable
        $t['r2|operator'].Status | Should -Be 'Pass'
        $t['r2|operator'].Message | Should -BeExactly 'Ossm2 (found): ServiceMeshControlPlane v1, v2; Gateway v1alpha3, v1beta1.'
        $t['r3|operator'].Status | Should -Be 'Pass'
        $t['r3|operator'].Message | Should -BeExactly 'Ossm3 (found): Istio v1; IstioCNI v1; PeerAuthentication v1, v1beta1; Gateway v1, v1alpha3, v1beta1.'
        $t['r2|permissions'].Status | Should -Be 'Pass'

        # The other flavour asked for is missing, and said so.
        $t = Test-MeshPrerequisite -Cluster $clusters[0] -Flavor Ossm3 | ConvertTo-CheckTable
        $t['r2|operator'].Status | Should -Be 'Fail'
        $t['r2|operator'].Message | Should -BeExactly 'Ossm3 (asked): Istio (istios.sailoperator.io) is not installed; IstioCNI (istiocnis.sailoperator.io) is not installed.'
    }
}
