<#
The API server's certificate as the module checks it (the name too, and the kubeconfig's tls-server-name), and the
remote-secret options istioctl users rely on: the TLS server name istiod verifies a cluster's API server against, and
the token Secret a remote secret carries. On the lab's west and east (OSSM 2.6 CRDs); each remote secret's kubeconfig is
read back with kubectl and tried by Get-MeshStatus, which opens it as istiod would.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-TestedModule
    $script:lab = Start-TestLab
    Set-LabVariable $lab $ExecutionContext.SessionState
    $script:dir = New-TestDirectory

    function script:Copy-Kubeconfig([string] $From, [string] $Name, [string] $Server, [string] $TlsServerName) {
        <# A copy of a lab kubeconfig whose cluster entry is reached at another URL and/or verified against another name. #>
        $copy = Join-Path $dir "$Name.kubeconfig"
        Copy-Item $From $copy
        $cluster = (& kubectl --kubeconfig $copy config view -o 'jsonpath={.clusters[0].name}')
        $set = @('config', 'set-cluster', $cluster)
        if ($Server) { $set += @('--server', $Server) }
        if ($TlsServerName) { $set += @('--tls-server-name', $TlsServerName) }
        $null = & kubectl --kubeconfig $copy @set
        $copy
    }
    function script:Get-RemoteSecretKubeconfig([string] $Cluster, [string] $Namespace, [string] $Source) {
        $base64 = Invoke-LabKubectl $lab $Cluster -n $Namespace get secret "istio-remote-secret-$Source" -o "jsonpath={.data.$Source}"
        [System.Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($base64))
    }
    function script:Get-TokenOf([string] $Cluster, [string] $Namespace, [string] $Secret) {
        $base64 = Invoke-LabKubectl $lab $Cluster -n $Namespace get secret $Secret -o 'jsonpath={.data.token}'
        [System.Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($base64))
    }

    $script:eastServer = (& kubectl --kubeconfig $east config view -o 'jsonpath={.clusters[0].cluster.server}')
    $script:eastPort = ([uri]$eastServer).Port
}

AfterAll {
    Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
    Stop-TestLab $lab
}

Describe "The API server's certificate" {
    It 'is refused when issued for another name than tls-server-name says, as kubectl refuses it' {
        # The lab's certificates name 127.0.0.1, localhost and kubernetes.default.svc.
        $wrong = Copy-Kubeconfig $east 'east-wrong-name' -TlsServerName 'api.elsewhere.example'
        & kubectl --kubeconfig $wrong get namespaces 2>&1 | Out-Null
        $LASTEXITCODE | Should -Not -Be 0 -Because 'kubectl, the reference, refuses the name'

        $c = Get-MeshCluster -Kubeconfig $wrong -Name east -Test -ErrorVariable errors -ErrorAction SilentlyContinue
        $c | Should -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'ClusterTlsFailed,*'
        $errors[0].CategoryInfo.Category | Should -Be 'SecurityError'
        $errors[0].ErrorDetails.RecommendedAction | Should -Match 'tls-server-name'
    }

    It 'is accepted for the name tls-server-name gives, where the URL is reached by another' {
        $renamed = Copy-Kubeconfig $east 'east-renamed' -TlsServerName 'kubernetes.default.svc'
        $c = Get-MeshCluster -Kubeconfig $renamed -Name east -Test
        $c.Name | Should -Be 'east'
    }

    It 'is refused when the URL host is not in it and no tls-server-name is set' {
        $name = [System.Net.Dns]::GetHostName()
        $loopback = @(try { [System.Net.Dns]::GetHostAddresses($name) } catch { }) | Where-Object { $_.ToString() -eq '127.0.0.1' }
        if (-not $loopback -or $name -in 'localhost', 'kubernetes.default.svc') {
            Set-ItResult -Skipped -Because "this machine's host name ($name) does not resolve to 127.0.0.1, where the lab's API servers listen"
            return
        }
        $byHostName = Copy-Kubeconfig $east 'east-hostname' -Server "https://${name}:$eastPort"
        $c = Get-MeshCluster -Kubeconfig $byHostName -Name east -Test -ErrorVariable errors -ErrorAction SilentlyContinue
        $c | Should -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'ClusterTlsFailed,*'

        $fixed = Copy-Kubeconfig $byHostName 'east-hostname-fixed' -TlsServerName 'localhost'
        (Get-MeshCluster -Kubeconfig $fixed -Name east -Test).Name | Should -Be 'east'
    }
}

Describe 'Remote-secret options' {
    BeforeAll {
        $script:ns = 'secret-options'
        $script:clusters = Get-MeshCluster -Kubeconfig $west, $east -Name west, east -Network west-network, east-network
        $null = $clusters | Install-MeshControlPlane -MeshId options-mesh -Namespace $ns -Flavor Ossm2
        $null = $clusters | Install-MeshEastWestGateway -Namespace $ns -Flavor Ossm2 -Wait
    }

    It 'writes -TlsServerName into the remote secret, and istiod (Get-MeshStatus) opens the cluster with it' {
        $null = Connect-MeshCluster -Cluster $clusters -Namespace $ns -CreateServiceAccount -Timeout 00:00:30 `
            -Server @{ east = "https://localhost:$eastPort" } -TlsServerName @{ east = 'kubernetes.default.svc' } -WarningAction SilentlyContinue
        $kubeconfig = Get-RemoteSecretKubeconfig west $ns east
        $kubeconfig | Should -Match "server: https://localhost:$eastPort"
        $kubeconfig | Should -Match 'tls-server-name: kubernetes.default.svc'

        $status = $clusters | Get-MeshStatus -Namespace $ns
        ($status | Where-Object { $_.Cluster -eq 'west' -and $_.Check -eq 'remote-secret' }).Status | Should -Be 'OK'
    }

    It 'makes a remote secret whose TLS name is wrong fail the status check, as istiod would fail to read the cluster' {
        $null = Connect-MeshCluster -Cluster $clusters -Namespace $ns -Timeout 00:00:30 `
            -Server @{ east = "https://localhost:$eastPort" } -TlsServerName @{ east = 'api.elsewhere.example' } -WarningAction SilentlyContinue
        Get-RemoteSecretKubeconfig west $ns east | Should -Match 'tls-server-name: api.elsewhere.example'
        $check = $clusters | Get-MeshStatus -Namespace $ns | Where-Object { $_.Cluster -eq 'west' -and $_.Check -eq 'remote-secret' }
        $check.Status | Should -Be 'Error'
        $check.Detail | Should -Match 'ClusterTlsFailed'
    }

    It 'carries the token of the Secret -TokenSecretName names' {
        $token = @{ apiVersion = 'v1'; kind = 'Secret'; type = 'kubernetes.io/service-account-token'
            metadata = @{ name = 'reader-token-for-kiali-too'; namespace = $ns; annotations = @{ 'kubernetes.io/service-account.name' = 'istio-reader-service-account' } } } |
            ConvertTo-Json -Depth 5
        $file = Join-Path $dir 'token.json'; Set-Content $file $token
        $null = Invoke-LabKubectl $lab east apply -f $file
        for ($i = 0; $i -lt 100 -and -not (Invoke-LabKubectl $lab east -n $ns get secret reader-token-for-kiali-too -o 'jsonpath={.data.token}'); $i++) { Start-Sleep -Milliseconds 200 }

        $null = Connect-MeshCluster -Cluster $clusters -Namespace $ns -Timeout 00:00:30 -TokenSecretName @{ east = 'reader-token-for-kiali-too' } -WarningAction SilentlyContinue
        $carried = ((Get-RemoteSecretKubeconfig west $ns east) -split "`n" | Where-Object { $_.TrimStart().StartsWith('token:') }).Split(':')[1].Trim()
        $carried -eq (Get-TokenOf east $ns 'reader-token-for-kiali-too') | Should -BeTrue -Because 'the remote secret carries the chosen token'
    }

    It 'refuses a token Secret that does not exist, or is not the reader account''s, naming it' {
        $out = $clusters[1] | New-MeshRemoteSecret -Namespace $ns -TokenSecretName 'no-such-token' -ErrorVariable errors -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'TokenSecretNotFound,*'
        $errors[0].TargetObject | Should -Be 'no-such-token'

        $null = Invoke-LabKubectl $lab east -n $ns create secret generic not-a-token --from-literal=token=x
        $out = $clusters[1] | New-MeshRemoteSecret -Namespace $ns -TokenSecretName 'not-a-token' -ErrorVariable errors -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'TokenSecretNotOfAccount,*'
        $errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'refuses -TokenSecretName with a bound token' {
        { $clusters[1] | New-MeshRemoteSecret -Namespace $ns -TokenSecretName 'reader-token-for-kiali-too' -TokenType Bound -ErrorAction Stop } |
            Should -Throw -ErrorId 'TokenSecretWithBoundToken,OssmMultiCluster.Commands.NewMeshRemoteSecretCommand'
    }
}
