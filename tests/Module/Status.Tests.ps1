<#
Get-MeshStatus on a healthy three-cluster lab mesh (west, east, north), then with faults injected one by one, each
reported where it is: a gateway that moved, a deleted remote secret, a revoked reader token, cacerts from another root
and an expired intermediate CA.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-TestedModule
    $script:lab = Start-TestLab
    Set-LabVariable $lab $ExecutionContext.SessionState
    # As a careful user's script runs: an error a test does not expect stops it.
    $ErrorActionPreference = 'Stop'
    $script:ns = 'mesh-status'

    function script:Get-StatusTable {
        <#
        Get-MeshStatus of the three clusters as a table: 'cluster|check' -> 'status|detail' (a cluster's checks of one
        name joined by ' / ': it has one remote-secret check per other cluster), and 'verdict|<healthy>' -> errors.
        #>
        $table = @{}
        Get-MeshStatus -Cluster (Get-MeshCluster -Kubeconfig $west, $east, $north) -Namespace $ns -ErrorVariable errors | ForEach-Object {
            if ($_ -is [OssmMultiCluster.Model.MeshStatusCheck]) { $key = "$($_.Cluster)|$($_.Check)"; $value = "$($_.Status)|$($_.Detail)" }
            else {
                $_ | Should -BeOfType ([OssmMultiCluster.Model.MeshStatusSummary])
                $key = "verdict|$($_.Healthy)"; $value = "$($_.Errors)"
            }
            $table[$key] = if ($table.ContainsKey($key)) { "$($table[$key]) / $value" } else { $value }
        }
        $errors | Should -BeNullOrEmpty
        $table
    }

    function script:Assert-StatusOK([hashtable] $Table, [string[]] $Key) {
        <# Every check under each key is OK. #>
        foreach ($k in $Key) {
            $Table[$k] | Should -Not -BeNullOrEmpty -Because "Get-MeshStatus reports $k"
            foreach ($status in $Table[$k] -split ' / ') { $status | Should -BeLikeExactly 'OK|*' -Because "$k is $($Table[$k])" }
        }
    }

    function script:Install-ExpiredIntermediate([string] $Directory) {
        <# An intermediate that expired yesterday, signed by the mesh's root (exported in $Directory/root), made east's cacerts. #>
        $rootKey = [System.Security.Cryptography.RSA]::Create()
        $rootKey.ImportFromPem((Get-Content -Raw (Join-Path $Directory root/root-key.pem)))
        $root = [System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPem((Get-Content -Raw (Join-Path $Directory root/root-cert.pem)))
        $key = [System.Security.Cryptography.RSA]::Create(2048)
        $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new('O=Istio, CN=Intermediate CA, L=east', $key,
            [System.Security.Cryptography.HashAlgorithmName]::SHA256, [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
        $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($true, $true, 0, $true))
        $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509KeyUsageExtension]::new('KeyCertSign, DigitalSignature', $true))
        $expired = $request.Create($root.SubjectName,
            [System.Security.Cryptography.X509Certificates.X509SignatureGenerator]::CreateForRSA($rootKey, [System.Security.Cryptography.RSASignaturePadding]::Pkcs1),
            [DateTimeOffset]::UtcNow.AddDays(-30), [DateTimeOffset]::UtcNow.AddDays(-1), [System.Security.Cryptography.RandomNumberGenerator]::GetBytes(16))
        $files = @{
            'ca-cert.pem'    = $expired.ExportCertificatePem() + "`n"
            'ca-key.pem'     = $key.ExportPkcs8PrivateKeyPem() + "`n"
            'cert-chain.pem' = $expired.ExportCertificatePem() + "`n" + $root.ExportCertificatePem() + "`n"
            'root-cert.pem'  = Get-Content -Raw (Join-Path $Directory root/root-cert.pem)
        }
        foreach ($name in $files.Keys) { Set-Content -Path (Join-Path $Directory $name) -Value $files[$name] -NoNewline }
        $null = Invoke-LabKubectl $lab east -n $ns delete secret cacerts
        $null = Invoke-LabKubectl $lab east -n $ns create secret generic cacerts @($files.Keys | ForEach-Object { "--from-file=$(Join-Path $Directory $_)" })
        $expired, $root, $key, $rootKey | ForEach-Object Dispose
    }
}

AfterAll {
    Stop-TestLab $lab
}

Describe 'Get-MeshStatus' {
    It 'finds a healthy mesh all OK, and reports each injected fault where it is' {
        $dir = New-TestDirectory
        try {
            $c = Get-MeshCluster -Kubeconfig $west, $east, $north
            $root = New-MeshRootCA -KeySize 2048
            $null = $root | Export-MeshCA -Path $dir
            $null = $c | New-MeshIntermediateCA -RootCA $root | Install-MeshCACertificate -Namespace $ns
            $null = $c | Install-MeshControlPlane -MeshId bookinfo-mesh -Namespace $ns
            $null = $c | Install-MeshEastWestGateway -Namespace $ns -Wait -Timeout 00:00:30
            $null = Connect-MeshCluster -Cluster $c -Namespace $ns -CreateServiceAccount -WarningAction SilentlyContinue

            $healthy = Get-StatusTable
            $healthy['verdict|True'] | Should -BeExactly '0'
            foreach ($cluster in 'west', 'east', 'north') {
                Assert-StatusOK $healthy "$cluster|trust", "$cluster|network", "$cluster|control-plane", "$cluster|gateway", "$cluster|remote-secret", "$cluster|mesh-networks"
            }

            # 1. East's gateway moves: the others' mesh networks are stale until Connect-MeshCluster runs.
            $status = @{ status = @{ loadBalancer = @{ ingress = @(@{ hostname = 'moved.east.elb.lab.test' }) } } } | ConvertTo-Json -Depth 10 -Compress
            $null = Invoke-LabKubectl $lab east -n $ns patch service istio-eastwestgateway --subresource=status --type=merge -p $status
            $moved = Get-StatusTable
            $moved['west|mesh-networks'] | Should -BeLikeExactly 'Error|Mesh networks drifted*'
            $moved['north|mesh-networks'] | Should -BeLikeExactly '*moved.east.elb.lab.test*'
            $moved['north|mesh-networks'] | Should -BeLikeExactly '*Connect-MeshCluster*'
            Assert-StatusOK $moved 'east|mesh-networks', 'west|trust', 'west|remote-secret', 'east|gateway'

            # 2. West loses its remote secret for north.
            $null = Invoke-LabKubectl $lab west -n $ns delete secret istio-remote-secret-north
            $deleted = Get-StatusTable
            $deleted['west|remote-secret'] | Should -BeLikeExactly "*Error|No remote secret for cluster 'north'*"
            Assert-StatusOK $deleted 'east|remote-secret', 'north|remote-secret', 'west|trust'

            # 3. East's reader token is revoked: the secrets that carry it stop working.
            $readerSecrets = Invoke-LabKubectl $lab east -n $ns get secrets --field-selector type=kubernetes.io/service-account-token -o (
                'jsonpath={range .items[?(@.metadata.annotations.kubernetes\.io/service-account\.name=="istio-reader-service-account")]}{.metadata.name}{"\n"}{end}')
            foreach ($secret in $readerSecrets -split "`n" | Where-Object { $_ }) {
                $null = Invoke-LabKubectl $lab east -n $ns delete secret $secret
            }
            $revoked = Get-StatusTable
            for ($i = 0; $i -lt 20 -and $revoked['north|remote-secret'] -cnotlike '*Error*'; $i++) {
                Start-Sleep -Milliseconds 500
                $revoked = Get-StatusTable
            }
            $revoked['north|remote-secret'] | Should -BeLikeExactly "*Error|The remote secret for 'east' does not work: ClusterUnauthorized*"
            $revoked['north|remote-secret'] | Should -BeLikeExactly "*OK|'west'*"

            # 4. East's intermediate has expired (same root as the others): only east's trust is an Error.
            Install-ExpiredIntermediate $dir
            $expired = Get-StatusTable
            $expired['east|trust'] | Should -BeLikeExactly '*Error|The intermediate CA expired*'
            Assert-StatusOK $expired 'west|trust', 'north|trust'

            # 5. North's cacerts come from another root that no one else trusts: an Error on north, and on those whose
            # bundles do not hold north's root (trust is judged both ways, as istiod's workloads would).
            $null = Get-MeshCluster -Kubeconfig $north | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048) |
                Install-MeshCACertificate -Namespace $ns -Force -WarningAction SilentlyContinue
            $trust = Get-StatusTable
            $trust['north|trust'] | Should -BeLikeExactly '*Error|Chains to a different root*'
            $trust['west|trust'] | Should -BeLikeExactly '*Error|*'
            Assert-StatusOK $trust 'west|network', 'north|network', 'north|control-plane'
            $trust['verdict|False'] | Should -Not -BeNullOrEmpty
            $trust['verdict|False'] | Should -Not -Be '0'
        }
        finally { Remove-Item $dir -Recurse -Force }
    }
}
