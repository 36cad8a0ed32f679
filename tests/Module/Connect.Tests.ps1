<#
Connect-MeshCluster, Disconnect-MeshCluster, New-MeshRemoteSecret and Update-MeshRemoteSecret on the lab's west, east
(load balancers with hostnames) and north. Each remote secret's kubeconfig is tried with kubectl as the reader account
it names; runs whose every stream (progress included) is scanned for tokens go through Invoke-ModuleScript.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-TestedModule
    $script:lab = Start-TestLab
    Set-LabVariable $lab $ExecutionContext.SessionState
    # As a careful user's script runs: an error a test does not expect stops it.
    $ErrorActionPreference = 'Stop'

    function script:Get-RemoteSecretKubeconfig([string] $Cluster, [string] $Namespace, [string] $Source) {
        <# The kubeconfig in $Cluster's remote secret for $Source, decoded. #>
        $base64 = Invoke-LabKubectl $lab $Cluster -n $Namespace get secret "istio-remote-secret-$Source" -o "jsonpath={.data.$Source}"
        [System.Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($base64))
    }

    function script:Get-KubeconfigToken([string] $Kubeconfig) {
        <# The one token: line of a kubeconfig's text. #>
        $lines = @($Kubeconfig -split "`n" | Where-Object { $_.TrimStart().StartsWith('token:') })
        $lines.Count | Should -Be 1 -Because 'a remote secret''s kubeconfig has one token'
        $lines[0].Split(':')[1].Trim()
    }

    function script:Invoke-Kubectl {
        <# kubectl as some kubeconfig's user: @{ Code; Output } (stdout and stderr). #>
        $output = & kubectl @args 2>&1 | Out-String
        [pscustomobject]@{ Code = $LASTEXITCODE; Output = $output }
    }

    function script:Get-RemoteSecretName([string] $Cluster, [string] $Namespace) {
        <# The names of a cluster's remote secrets (label istio/multiCluster=true), sorted. #>
        $names = Invoke-LabKubectl $lab $Cluster -n $Namespace get secrets -l istio/multiCluster=true -o 'jsonpath={.items[*].metadata.name}'
        @($names -split ' ' | Where-Object { $_ } | Sort-Object)
    }
}

AfterAll {
    Stop-TestLab $lab
}

Describe 'Connect-MeshCluster and Disconnect-MeshCluster on three OSSM 2 clusters' {
    # One sequence, as an operator runs it: connect, re-run, follow a gateway that moved, let north leave and come back.
    BeforeAll {
        $script:ns = 'mesh-connect'
        $script:vars = @{ west = $west; east = $east; north = $north }
        $script:connect = @"
`$c = Get-MeshCluster -Kubeconfig `$west, `$east, `$north
Connect-MeshCluster -Cluster `$c -Namespace $ns -CreateServiceAccount -Verbose | ForEach-Object { "`$(`$_.Cluster)|`$(`$_.Kind)|`$(`$_.Name)|`$(`$_.Action)" }
"@
        function script:Get-MeshNetwork([string] $Cluster) {
            <# spec.cluster.multiCluster.meshNetworks of a cluster's SMCP (null when it has none). #>
            (Get-LabObject $lab $Cluster @('-n', $ns, 'smcp', 'basic')).spec.cluster.multiCluster.meshNetworks
        }

        $c = Get-MeshCluster -Kubeconfig $west, $east, $north
        $null = $c | Install-MeshControlPlane -MeshId bookinfo-mesh -Namespace $ns
        $null = $c | Install-MeshEastWestGateway -Namespace $ns -Wait -Timeout 00:00:30
    }

    It 'creates a remote secret for each other cluster and configures each control plane, warning of loopback servers' {
        $script:first = Invoke-ModuleScript $connect -Variables $vars
        $first.Terminating | Should -BeNullOrEmpty
        $first.Errors | Should -BeNullOrEmpty
        $first.Output | Should -Be @(
            'west|Secret|istio-remote-secret-east|Created', 'west|Secret|istio-remote-secret-north|Created', 'west|ServiceMeshControlPlane|basic|Configured',
            'east|Secret|istio-remote-secret-west|Created', 'east|Secret|istio-remote-secret-north|Created', 'east|ServiceMeshControlPlane|basic|Configured',
            'north|Secret|istio-remote-secret-west|Created', 'north|Secret|istio-remote-secret-east|Created', 'north|ServiceMeshControlPlane|basic|Configured')
        $first.Warnings -like '*loopback*' | Should -Not -BeNullOrEmpty
    }

    It 'labels the secret in <Cluster> for <Source> and gives it a kubeconfig that reads as the reader account and cannot write' -ForEach @(
        @{ Cluster = 'west'; Source = 'east' }, @{ Cluster = 'west'; Source = 'north' }, @{ Cluster = 'east'; Source = 'west' }
        @{ Cluster = 'east'; Source = 'north' }, @{ Cluster = 'north'; Source = 'west' }, @{ Cluster = 'north'; Source = 'east' }
    ) {
        $secret = Get-LabObject $lab $Cluster @('-n', $ns, 'secret', "istio-remote-secret-$Source")
        $secret.metadata.labels['istio/multiCluster'] | Should -BeExactly 'true'
        $secret.metadata.annotations['networking.istio.io/cluster'] | Should -BeExactly $Source

        $dir = New-TestDirectory
        try {
            $reader = Join-Path $dir reader
            Set-Content -Path $reader -Value (Get-RemoteSecretKubeconfig $Cluster $ns $Source) -NoNewline
            Get-Content -Raw $reader | Should -Not -BeLike '*insecure-skip-tls-verify: true*'
            $services = Invoke-Kubectl --kubeconfig $reader get services -A -o name
            $services.Code | Should -Be 0 -Because $services.Output
            $services.Output | Should -BeLike '*service/istio-eastwestgateway*'
            $write = Invoke-Kubectl --kubeconfig $reader create namespace reader-must-not-write
            $write.Output | Should -BeLike '*forbidden*'
        }
        finally { Remove-Item $dir -Recurse -Force }
    }

    It 'writes both networks into north''s control plane: west''s by IP, east''s by hostname, each from its registry' {
        $westAddress = Invoke-LabKubectl $lab west -n $ns get svc istio-eastwestgateway -o 'jsonpath={.status.loadBalancer.ingress[0].ip}'
        $networks = Get-MeshNetwork north
        $networks.Keys | Sort-Object | Should -Be 'east-network', 'west-network'
        $networks['west-network'].gateways[0].address | Should -BeExactly $westAddress
        $networks['west-network'].endpoints[0].fromRegistry | Should -BeExactly 'west'
        $networks['east-network'].gateways[0].address | Should -BeExactly "istio-eastwestgateway.$ns.east.elb.lab.test"
        $networks['east-network'].gateways[0].port | Should -Be 15443
        (Get-LabObject $lab north @('-n', $ns, 'smcp', 'basic')).spec.techPreview.global.meshID | Should -BeExactly 'bookinfo-mesh'
    }

    It 'changes nothing on a re-run, and Install-MeshControlPlane again keeps the mesh networks' {
        $script:again = Invoke-ModuleScript $connect -Variables $vars
        $again.Output | Should -HaveCount 9
        $again.Output | ForEach-Object { $_ | Should -BeLike '*|Unchanged' }

        Get-MeshCluster -Kubeconfig $north | Install-MeshControlPlane -MeshId bookinfo-mesh -Namespace $ns | ForEach-Object Action |
            Should -Be 'Unchanged', 'Unchanged'
        (Get-MeshNetwork north)['west-network'] | Should -Not -BeNullOrEmpty
    }

    It 'follows east''s gateway to its new address on the next run, configuring only the clusters that point at it' {
        $status = @{ status = @{ loadBalancer = @{ ingress = @(@{ hostname = 'moved.east.elb.lab.test' }) } } } | ConvertTo-Json -Depth 10 -Compress
        $null = Invoke-LabKubectl $lab east -n $ns patch service istio-eastwestgateway --subresource=status --type=merge -p $status
        $script:moved = Invoke-ModuleScript $connect -Variables $vars
        $moved.Output | Where-Object { $_ -notlike '*|Unchanged' } |
            Should -Be 'west|ServiceMeshControlPlane|basic|Configured', 'north|ServiceMeshControlPlane|basic|Configured'
        (Get-MeshNetwork west)['east-network'].gateways[0].address | Should -BeExactly 'moved.east.elb.lab.test'
    }

    It 'shows no remote secret''s token in any stream of the three runs' {
        $tokens = @(
            Get-KubeconfigToken (Get-RemoteSecretKubeconfig west $ns east)
            Get-KubeconfigToken (Get-RemoteSecretKubeconfig east $ns north)
            Get-KubeconfigToken (Get-RemoteSecretKubeconfig north $ns west))
        foreach ($token in $tokens) { $token.Length | Should -BeGreaterThan 20 }
        foreach ($run in $first, $again, $moved) {
            $text = $run | Get-ScriptRunText
            foreach ($token in $tokens) { $text.Contains($token) | Should -BeFalse -Because 'no stream may show a token' }
        }
    }

    It 'lets north leave with no trace of it in west and east, nor of them in north' {
        $c = Get-MeshCluster -Kubeconfig $west, $east, $north
        $null = Disconnect-MeshCluster -Cluster $c[2] -From $c[0], $c[1] -Namespace $ns -Confirm:$false -ErrorVariable errors
        $errors | Should -BeNullOrEmpty

        Get-RemoteSecretName west $ns | Should -Be 'istio-remote-secret-east'
        Get-RemoteSecretName east $ns | Should -Be 'istio-remote-secret-west'
        Get-RemoteSecretName north $ns | Should -BeNullOrEmpty
        Get-MeshNetwork north | Should -BeNullOrEmpty
        @((Get-MeshNetwork west).Keys) | Should -Be @('east-network')
        Get-MeshNetwork east | ConvertTo-Json -Depth 20 -Compress | Should -Not -BeLike '*north*'
    }

    It 'lets north come back changing only what concerns it' {
        $back = Invoke-ModuleScript $connect -Variables $vars
        $back.Errors | Should -BeNullOrEmpty
        $back.Output | Where-Object { $_ -like '*|Unchanged' } |
            Should -Be 'west|Secret|istio-remote-secret-east|Unchanged', 'east|Secret|istio-remote-secret-west|Unchanged'
    }
}

Describe 'Connect-MeshCluster on OSSM 3' {
    It 'configures the Istio resources'' mesh networks only when -MeshNetworks asks for them' {
        $ns = 'mesh-ossm3'
        # The clusters that carry the Sail operator's CRDs.
        $c = Get-MeshCluster -Kubeconfig $sailwest, $saileast -Network west-network, east-network
        $null = $c | Install-MeshControlPlane -MeshId bookinfo-mesh -Flavor Ossm3 -Name m3 -Namespace $ns -SkipCni
        $null = $c | Install-MeshEastWestGateway -Namespace $ns -Flavor Ossm3 -Wait -Timeout 00:00:30

        Connect-MeshCluster -Cluster $c -Namespace $ns -CreateServiceAccount -WarningAction SilentlyContinue -ErrorVariable errors |
            ForEach-Object Kind | Sort-Object -Unique | Should -Be 'Secret'
        Connect-MeshCluster -Cluster $c -Namespace $ns -MeshNetworks -WarningAction SilentlyContinue -ErrorVariable +errors |
            Where-Object Kind -EQ Istio | ForEach-Object Action | Should -Be 'Configured', 'Configured'
        $errors | Should -BeNullOrEmpty

        $istio = Get-LabObject $lab sailwest @('istios.sailoperator.io', 'm3')
        $networks = $istio.spec.values.global.meshNetworks
        $networks['east-network'].endpoints[0].fromRegistry | Should -BeExactly 'saileast'
        $networks['east-network'].gateways[0].address | Should -BeExactly "istio-eastwestgateway.$ns.saileast.elb.lab.test"
        $istio.spec.values.global.multiCluster.clusterName | Should -BeExactly 'sailwest'
    }
}

Describe 'Update-MeshRemoteSecret' {
    It 'rotates the token: updates every secret, restarts istiod and revokes the old token' {
        $ns = 'mesh-rotate'
        $c = Get-MeshCluster -Kubeconfig $west, $east
        $null = $c | Install-MeshControlPlane -MeshId bookinfo-mesh -Namespace $ns
        $null = $c | Install-MeshEastWestGateway -Namespace $ns -Wait -Timeout 00:00:30
        $null = Connect-MeshCluster -Cluster $c -Namespace $ns -CreateServiceAccount -WarningAction SilentlyContinue
        # A stand-in for the operator's istiod Deployment (no pod runs in the lab; the restart is the template annotation).
        $null = Invoke-LabKubectl $lab east -n $ns create deployment istiod-basic --image=registry.example/istiod:lab
        $null = Invoke-LabKubectl $lab east -n $ns label deployment istiod-basic app=istiod --overwrite

        $dir = New-TestDirectory
        try {
            $before = Get-RemoteSecretKubeconfig east $ns west
            Set-Content -Path (Join-Path $dir old) -Value $before -NoNewline
            (Invoke-Kubectl --kubeconfig (Join-Path $dir old) get services -n $ns).Code | Should -Be 0

            # A session of its own, so that every stream, progress included, is scanned for the tokens.
            $run = Invoke-ModuleScript -Variables @{ west = $west; east = $east } @"
`$c = Get-MeshCluster -Kubeconfig `$west, `$east
Update-MeshRemoteSecret -Cluster `$c -Source west -Namespace $ns -WarningAction SilentlyContinue |
    ForEach-Object { "`$(`$_.Cluster)|`$(`$_.Kind)|`$(`$_.Action)" }
"@
            $run | Assert-NoScriptError
            $run.Output | Select-Object -First 2 | Should -Be 'east|Secret|Configured', 'east|Deployment|Configured'
            $run.Output | Select-Object -Skip 2 | Should -Contain 'west|Secret|Deleted'

            $after = Get-RemoteSecretKubeconfig east $ns west
            $after | Should -Not -Be $before
            Set-Content -Path (Join-Path $dir new) -Value $after -NoNewline
            (Invoke-Kubectl --kubeconfig (Join-Path $dir new) get services -n $ns).Code | Should -Be 0
            # The API server checks token secrets through its informer cache: the revocation lands within moments.
            $revoked = Invoke-Kubectl --kubeconfig (Join-Path $dir old) get services -n $ns
            for ($i = 0; $i -lt 40 -and $revoked.Code -eq 0; $i++) {
                Start-Sleep -Milliseconds 250
                $revoked = Invoke-Kubectl --kubeconfig (Join-Path $dir old) get services -n $ns
            }
            $revoked.Code | Should -Not -Be 0
            $revoked.Output | Should -BeLikeExactly '*Unauthorized*'
        }
        finally { Remove-Item $dir -Recurse -Force }

        Invoke-LabKubectl $lab east -n $ns get deployment istiod-basic -o 'jsonpath={.spec.template.metadata.annotations.kubectl\.kubernetes\.io/restartedAt}' |
            Should -Not -BeNullOrEmpty
        $text = $run | Get-ScriptRunText
        foreach ($token in (Get-KubeconfigToken $before), (Get-KubeconfigToken $after)) {
            $text.Contains($token) | Should -BeFalse -Because 'no stream may show a token'
        }
    }
}

Describe 'New-MeshRemoteSecret' {
    It 'warns when a bound token expires, and names a missing reader account as an error' {
        $c = Get-MeshCluster -Kubeconfig $west
        $null = Invoke-LabKubectl $lab west create namespace mesh-bound
        $s = New-MeshRemoteSecret -Cluster $c -Namespace mesh-bound -CreateServiceAccount -TokenType Bound -TokenLifetime 01:00:00 `
            -Server https://api.west.example.com:6443 -WarningVariable warnings -WarningAction SilentlyContinue
        $s | Should -BeOfType ([OssmMultiCluster.Model.MeshRemoteSecret])
        "$($s.Name)|$($s.SourceCluster)|$($s.TokenType)|$($s.Server)" | Should -BeExactly 'istio-remote-secret-west|west|Bound|https://api.west.example.com:6443'
        [int]($s.ExpiresAt - [DateTime]::UtcNow).TotalMinutes | Should -BeGreaterOrEqual 55
        [int]($s.ExpiresAt - [DateTime]::UtcNow).TotalMinutes | Should -BeLessOrEqual 60
        # The view shows the secret, never its kubeconfig's token (a JWT: eyJ…).
        $s | Out-String -Width 200 | Should -Not -BeLikeExactly '*eyJ*'

        $null = Invoke-LabKubectl $lab west create namespace mesh-no-reader
        $failure = $null
        try {
            New-MeshRemoteSecret -Cluster $c -Namespace mesh-no-reader -ErrorVariable errors -ErrorAction SilentlyContinue `
                -WarningVariable +warnings -WarningAction SilentlyContinue
        }
        catch { $failure = $_ }
        $failure | Should -BeNullOrEmpty -Because 'a missing reader account is not a terminating error'
        $warnings -like '*expires at*' | Should -Not -BeNullOrEmpty
        $warnings -like '*loopback*' | Should -BeNullOrEmpty -Because 'a server given with -Server is not the kubeconfig''s loopback address'
        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeExactly 'ReaderAccountMissing,OssmMultiCluster.Commands.NewMeshRemoteSecretCommand'
        $errors[0].CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::ObjectNotFound)
    }
}
