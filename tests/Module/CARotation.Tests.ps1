<#
Update-MeshCACertificate on the lab's west (OSSM 2.6 ServiceMeshControlPlane, the OSSM 2.6 CRDs) and saileast, named east
here (OSSM 3 Istio resource, the Sail CRDs): the
three steps of a move to a new root, each judged by the real openssl (chains against each root, workload certificates
from the old and the new intermediate against the bundle), resumed, refused out of order; -WhatIf and -OutputPath
leave the clusters alone; -Renew replaces the intermediates under the same root. istiod is a stand-in Deployment
(no pod runs in the lab; its restart is the template annotation).
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-TestedModule
    $script:lab = Start-TestLab
    Set-LabVariable $lab $ExecutionContext.SessionState
    # The mesh's names for the clusters, and the lab clusters that play them.
    $script:labCluster = @{ west = 'west'; east = 'saileast' }
    # As a careful user's script runs: an error a test does not expect stops it.
    $ErrorActionPreference = 'Stop'

    function script:Get-CACertsKey([string] $Cluster, [string] $Namespace, [string] $Key) {
        <# One key of a cluster's cacerts secret, decoded. #>
        $base64 = Invoke-LabKubectl $lab $labCluster[$Cluster] -n $Namespace get secret cacerts -o "jsonpath={.data.$($Key.Replace('.', '\.'))}"
        [System.Text.Encoding]::ASCII.GetString([Convert]::FromBase64String($base64))
    }

    function script:Save-CACerts([string] $Cluster, [string] $Namespace, [string] $Folder) {
        <# A cluster's cacerts as files in $Folder (created), as istiod would read them. #>
        $null = New-Item -ItemType Directory -Path $Folder -Force
        foreach ($key in 'ca-cert.pem', 'ca-key.pem', 'cert-chain.pem', 'root-cert.pem') {
            Set-Content -Path (Join-Path $Folder $key) -Value (Get-CACertsKey $Cluster $Namespace $key) -NoNewline
        }
        $Folder
    }

    function script:Invoke-OpenSsl {
        <# openssl in a folder; @{ Code; Output }. #>
        $folder, $rest = $args
        Push-Location $folder
        try {
            $output = & openssl @rest 2>&1 | Out-String
            [pscustomobject]@{ Code = $LASTEXITCODE; Output = $output }
        }
        finally { Pop-Location }
    }

    function script:New-WorkloadCertificate([string] $CAFolder, [string] $Name) {
        <# A workload certificate signed by the intermediate in $CAFolder (as istiod signs one), in $CAFolder/$Name.pem. #>
        $r = Invoke-OpenSsl $CAFolder req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$Name-key.pem" -subj "/O=workload/CN=$Name" -out "$Name.csr"
        $r.Code | Should -Be 0 -Because $r.Output
        $r = Invoke-OpenSsl $CAFolder x509 -req -in "$Name.csr" -CA ca-cert.pem -CAkey ca-key.pem -CAcreateserial -days 1 -out "$Name.pem"
        $r.Code | Should -Be 0 -Because $r.Output
        Join-Path $CAFolder "$Name.pem"
    }

    function script:Test-Verifies([string] $CAFile, [string] $Certificate, [string] $Untrusted) {
        <# Whether openssl verifies $Certificate against $CAFile (intermediates from $Untrusted). #>
        $arguments = @('verify', '-CAfile', $CAFile) + $(if ($Untrusted) { '-untrusted', $Untrusted }) + $Certificate
        (Invoke-OpenSsl (Split-Path $CAFile) @arguments).Code -eq 0
    }

    function script:Get-CertificateCount([string] $Pem) { ([regex]::Matches($Pem, '-----BEGIN CERTIFICATE-----')).Count }

    function script:Get-RotationCheck([object[]] $Cluster, [string] $Namespace) {
        <# Get-MeshStatus's ca-rotation checks: 'cluster' -> 'status|detail'. #>
        $table = @{}
        Get-MeshStatus -Cluster $Cluster -Namespace $Namespace | Where-Object { $_ -is [OssmMultiCluster.Model.MeshStatusCheck] -and $_.Check -eq 'ca-rotation' } |
            ForEach-Object { $table[$_.Cluster] = "$($_.Status)|$($_.Detail)" }
        $table
    }

    function script:Get-ResourceVersion([string] $Cluster, [string] $Namespace) {
        <# The resource versions of cacerts and of the istiod stand-in. #>
        (Invoke-LabKubectl $lab $labCluster[$Cluster] -n $Namespace get secret cacerts -o 'jsonpath={.metadata.resourceVersion}') + '/' +
        (Invoke-LabKubectl $lab $labCluster[$Cluster] -n $Namespace get deployment istiod -o 'jsonpath={.metadata.resourceVersion}')
    }

    function script:Install-RotationMesh([string] $Namespace, [string] $IstioName) {
        <# West with an SMCP, east with an Istio resource, both with intermediates of one root and an istiod stand-in; the root. #>
        $c = Get-MeshCluster -Kubeconfig $west, $saileast -Name west, east
        $root = New-MeshRootCA -KeySize 2048 -CommonName 'Old Root CA'
        $null = $c | New-MeshIntermediateCA -RootCA $root | Install-MeshCACertificate -Namespace $Namespace
        $null = $c[0] | Install-MeshControlPlane -MeshId rotation-mesh -Namespace $Namespace
        $null = $c[1] | Install-MeshControlPlane -MeshId rotation-mesh -Namespace $Namespace -Flavor Ossm3 -Name $IstioName -SkipCni
        foreach ($cluster in 'west', 'east') {
            $null = Invoke-LabKubectl $lab $labCluster[$cluster] -n $Namespace create deployment istiod --image=registry.example/istiod:lab
            $null = Invoke-LabKubectl $lab $labCluster[$cluster] -n $Namespace label deployment istiod app=istiod --overwrite
        }
        $root
    }
}

AfterAll {
    Stop-TestLab $lab
}

Describe 'Update-MeshCACertificate -Step' {
    It 'moves the mesh to a new root in three resumable steps, refused out of order, with both roots trusted in between' {
        $ns = 'ca-rotate'
        $dir = New-TestDirectory
        try {
            $oldRoot = Install-RotationMesh $ns 'ca-rotate'
            $newRoot = New-MeshRootCA -KeySize 2048 -CommonName 'New Root CA'
            $null = $oldRoot | Export-MeshCA -Path (Join-Path $dir old)
            $null = $newRoot | Export-MeshCA -Path (Join-Path $dir new)
            $oldRootFile = Join-Path $dir old/root/root-cert.pem
            $newRootFile = Join-Path $dir new/root/root-cert.pem
            $c = Get-MeshCluster -Kubeconfig $west, $saileast -Name west, east
            $before = Save-CACerts west $ns (Join-Path $dir before)
            $oldWorkload = New-WorkloadCertificate $before old-workload

            # Step 1: both roots trusted, the old intermediate still signing; istiod restarted; multi-root trust on.
            $out = $c | Update-MeshCACertificate -Step TrustBoth -NewRootCA $newRoot -Namespace $ns
            $out | ForEach-Object { "$($_.Cluster)|$($_.Kind)|$($_.Action)" } | Should -Be @(
                'west|ServiceMeshControlPlane|Configured', 'west|Secret|Configured', 'west|Deployment|Configured',
                'east|Istio|Configured', 'east|Secret|Configured', 'east|Deployment|Configured')
            foreach ($cluster in 'west', 'east') {
                $step1 = Save-CACerts $cluster $ns (Join-Path $dir "step1-$cluster")
                Get-CertificateCount (Get-Content -Raw (Join-Path $step1 root-cert.pem)) | Should -Be 2
                Test-Verifies $oldRootFile (Join-Path $step1 ca-cert.pem) | Should -BeTrue -Because 'the old intermediate still signs'
                Test-Verifies $newRootFile (Join-Path $step1 ca-cert.pem) | Should -BeFalse
                Get-CACertsKey $cluster $ns ca-key.pem | Should -BeExactly (Get-Content -Raw (Join-Path $dir "step1-$cluster/ca-key.pem"))
                Invoke-LabKubectl $lab $labCluster[$cluster] -n $ns get deployment istiod -o 'jsonpath={.spec.template.metadata.annotations.kubectl\.kubernetes\.io/restartedAt}' |
                    Should -Not -BeNullOrEmpty
                Invoke-LabKubectl $lab $labCluster[$cluster] -n $ns get deployment istiod -o 'jsonpath={.metadata.managedFields[*].manager}' |
                    Should -BeLikeExactly '*ossm-multicluster-ca-restart*'
            }
            (Get-CACertsKey west $ns ca-cert.pem) | Should -BeExactly (Get-Content -Raw (Join-Path $before ca-cert.pem))
            Invoke-LabKubectl $lab west -n $ns get smcp basic -o 'jsonpath={.spec.runtime.components.pilot.container.env.ISTIO_MULTIROOT_MESH}' | Should -BeExactly 'true'
            Invoke-LabKubectl $lab west -n $ns get smcp basic -o 'jsonpath={.spec.proxy.runtime.container.env.PROXY_CONFIG_XDS_AGENT}' | Should -BeExactly 'true'
            Invoke-LabKubectl $lab saileast get istio ca-rotate -o 'jsonpath={.spec.values.pilot.env.ISTIO_MULTIROOT_MESH}' | Should -BeExactly 'true'
            Invoke-LabKubectl $lab saileast get istio ca-rotate -o 'jsonpath={.spec.values.meshConfig.defaultConfig.proxyMetadata.PROXY_CONFIG_XDS_AGENT}' | Should -BeExactly 'true'
            Invoke-LabKubectl $lab saileast get istio ca-rotate -o 'jsonpath={.spec.values.global.meshID}' | Should -BeExactly 'rotation-mesh' -Because 'Install-MeshControlPlane''s fields stay'
            $status = Get-RotationCheck $c $ns
            $status['west'] | Should -BeLikeExactly 'Warning|*At step TrustBoth (1 of 3)*'
            $status['east'] | Should -BeLikeExactly 'Warning|*At step TrustBoth (1 of 3)*'

            # Resumed: step 1 again changes nothing, restarts nothing.
            $versions = 'west', 'east' | ForEach-Object { Get-ResourceVersion $_ $ns }
            $again = $c | Update-MeshCACertificate -Step TrustBoth -NewRootCA $newRoot -Namespace $ns
            $again | ForEach-Object { "$($_.Cluster)|$($_.Kind)|$($_.Action)" } | Should -Be 'west|ServiceMeshControlPlane|Unchanged', 'east|Istio|Unchanged'
            'west', 'east' | ForEach-Object { Get-ResourceVersion $_ $ns } | Should -Be $versions

            # Out of order: the old root cannot go while the old intermediates sign; nothing changes.
            $null = $c | Update-MeshCACertificate -Step RemoveOldRoot -NewRootCA $newRoot -Namespace $ns -ErrorAction SilentlyContinue -ErrorVariable refused
            $refused.FullyQualifiedErrorId | Should -BeExactly 'CARotationOutOfOrder,OssmMultiCluster.Commands.UpdateMeshCACertificateCommand'
            $refused[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
            "$($refused[0])" | Should -BeLikeExactly "*'east' does not sign with an intermediate from the new root*"
            'west', 'east' | ForEach-Object { Get-ResourceVersion $_ $ns } | Should -Be $versions

            # Step 2: each cluster signs with an intermediate of the new root (piped in); both roots still trusted.
            $out = $c | New-MeshIntermediateCA -RootCA $newRoot | Update-MeshCACertificate -Step IssueFromNewRoot -NewRootCA $newRoot -Namespace $ns
            $out | ForEach-Object { "$($_.Cluster)|$($_.Kind)|$($_.Action)" } | Should -Be @(
                'west|Secret|Configured', 'west|Deployment|Configured', 'east|Secret|Configured', 'east|Deployment|Configured')
            $step2 = Save-CACerts west $ns (Join-Path $dir step2)
            Test-Verifies $newRootFile (Join-Path $step2 ca-cert.pem) | Should -BeTrue
            Test-Verifies $oldRootFile (Join-Path $step2 ca-cert.pem) | Should -BeFalse
            Get-CertificateCount (Get-Content -Raw (Join-Path $step2 root-cert.pem)) | Should -Be 2
            # Workloads' trust in between: a certificate from the old intermediate and one from the new verify against the bundle.
            $newWorkload = New-WorkloadCertificate $step2 new-workload
            $bundle = Join-Path $step2 root-cert.pem
            Test-Verifies $bundle $oldWorkload (Join-Path $before cert-chain.pem) | Should -BeTrue
            Test-Verifies $bundle $newWorkload (Join-Path $step2 cert-chain.pem) | Should -BeTrue
            (Get-RotationCheck $c $ns)['east'] | Should -BeLikeExactly 'Warning|*At step IssueFromNewRoot (2 of 3)*'

            # Resumed: step 2 again (no intermediates given, none needed) changes nothing.
            $versions = 'west', 'east' | ForEach-Object { Get-ResourceVersion $_ $ns }
            $c | Update-MeshCACertificate -Step IssueFromNewRoot -NewRootCA (Import-MeshCA -CertificatePath $newRootFile) -Namespace $ns |
                Should -BeNullOrEmpty
            'west', 'east' | ForEach-Object { Get-ResourceVersion $_ $ns } | Should -Be $versions

            # Step 3: the old root goes; a certificate of the old intermediate is no longer trusted.
            $out = $c | Update-MeshCACertificate -Step RemoveOldRoot -NewRootCA $newRoot -Namespace $ns
            $out | Where-Object Kind -eq Secret | ForEach-Object Action | Should -Be 'Configured', 'Configured'
            $step3 = Save-CACerts east $ns (Join-Path $dir step3)
            Get-CACertsKey east $ns root-cert.pem | Should -BeExactly (Get-Content -Raw $newRootFile)
            Test-Verifies (Join-Path $step3 root-cert.pem) $newWorkload (Join-Path $step2 cert-chain.pem) | Should -BeTrue
            Test-Verifies (Join-Path $step3 root-cert.pem) $oldWorkload (Join-Path $before cert-chain.pem) | Should -BeFalse
            (Get-RotationCheck $c $ns).Count | Should -Be 0 -Because 'no bundle is left: the rotation is over'
            $c | Update-MeshCACertificate -Step RemoveOldRoot -NewRootCA $newRoot -Namespace $ns | Should -BeNullOrEmpty
        }
        finally { Remove-Item $dir -Recurse -Force }
    }

    It 'changes nothing on the clusters with -WhatIf or -OutputPath, and exports the Secret with both roots' {
        $ns = 'ca-rotate-dry'
        $dir = New-TestDirectory
        try {
            $null = Install-RotationMesh $ns 'ca-rotate-dry'
            $newRoot = New-MeshRootCA -KeySize 2048 -CommonName 'New Root CA'
            $c = Get-MeshCluster -Kubeconfig $west, $saileast -Name west, east
            $versions = 'west', 'east' | ForEach-Object { Get-ResourceVersion $_ $ns }
            $istio = Invoke-LabKubectl $lab saileast get istio ca-rotate-dry -o 'jsonpath={.metadata.resourceVersion}'

            $c | Update-MeshCACertificate -Step TrustBoth -NewRootCA $newRoot -Namespace $ns -WhatIf | Should -BeNullOrEmpty
            $files = $c | Update-MeshCACertificate -Step TrustBoth -NewRootCA $newRoot -Namespace $ns -OutputPath $dir -WarningVariable warned -WarningAction SilentlyContinue
            'west', 'east' | ForEach-Object { Get-ResourceVersion $_ $ns } | Should -Be $versions
            Invoke-LabKubectl $lab saileast get istio ca-rotate-dry -o 'jsonpath={.metadata.resourceVersion}' | Should -Be $istio

            $files | Should -HaveCount 4
            $secret = $files | Where-Object { $_.Cluster -eq 'west' -and $_.Kind -eq 'Secret' }
            $yaml = Get-Content -Raw $secret.Path
            $rootPem = [System.Text.Encoding]::ASCII.GetString([Convert]::FromBase64String(([regex]::Match($yaml, 'root-cert\.pem:\s*(\S+)')).Groups[1].Value))
            Get-CertificateCount $rootPem | Should -Be 2
            $rootPem | Should -BeLikeExactly "*$($newRoot.Certificate.ExportCertificatePem())*"
            if (-not $IsWindows) { [IO.File]::GetUnixFileMode($secret.Path) | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite') }
            $warned -join ' ' | Should -BeLikeExactly '*restart istiod*'
        }
        finally { Remove-Item $dir -Recurse -Force }
    }
}

Describe 'Update-MeshCACertificate -Renew' {
    It 'renews every intermediate under the same root in one command, and refuses another root' {
        $ns = 'ca-renew'
        $dir = New-TestDirectory
        try {
            $root = Install-RotationMesh $ns 'ca-renew'
            $null = $root | Export-MeshCA -Path $dir
            $c = Get-MeshCluster -Kubeconfig $west, $saileast -Name west, east
            $oldCert = Get-CACertsKey west $ns ca-cert.pem
            $oldRootPem = Get-CACertsKey west $ns root-cert.pem

            $out = $c | Update-MeshCACertificate -Renew -RootCA $root -Namespace $ns
            $out | ForEach-Object { "$($_.Cluster)|$($_.Kind)|$($_.Action)" } | Should -Be @(
                'west|Secret|Configured', 'west|Deployment|Configured', 'east|Secret|Configured', 'east|Deployment|Configured')
            $renewed = Save-CACerts west $ns (Join-Path $dir renewed)
            Get-Content -Raw (Join-Path $renewed ca-cert.pem) | Should -Not -Be $oldCert
            Get-Content -Raw (Join-Path $renewed root-cert.pem) | Should -BeExactly $oldRootPem
            Test-Verifies (Join-Path $dir root/root-cert.pem) (Join-Path $renewed ca-cert.pem) | Should -BeTrue
            $r = Invoke-OpenSsl $renewed x509 -in ca-cert.pem -noout -subject
            $r.Output | Should -BeLikeExactly '*L = west*'
            (Get-RotationCheck $c $ns).Count | Should -Be 0

            $versions = 'west', 'east' | ForEach-Object { Get-ResourceVersion $_ $ns }
            $other = New-MeshRootCA -KeySize 2048
            $null = $c | Update-MeshCACertificate -Renew -RootCA $other -Namespace $ns -ErrorAction SilentlyContinue -ErrorVariable refused
            @($refused | ForEach-Object FullyQualifiedErrorId | Sort-Object -Unique) | Should -Be 'RenewRootMismatch,OssmMultiCluster.Commands.UpdateMeshCACertificateCommand'
            $refused | Should -HaveCount 2 -Because 'each cluster is reported'
            $refused[0].TargetObject | Should -BeExactly 'west'
            'west', 'east' | ForEach-Object { Get-ResourceVersion $_ $ns } | Should -Be $versions
        }
        finally { Remove-Item $dir -Recurse -Force }
    }

    It 'names a cluster without a plug-in CA and renews the others' {
        $ns = 'ca-renew-missing'
        $root = New-MeshRootCA -KeySize 2048
        $c = Get-MeshCluster -Kubeconfig $west, $saileast -Name west, east
        $null = $c[0] | New-MeshIntermediateCA -RootCA $root | Install-MeshCACertificate -Namespace $ns
        $null = Invoke-LabKubectl $lab saileast create namespace $ns
        $out = $c | Update-MeshCACertificate -Renew -RootCA $root -Namespace $ns -NoRestart -ErrorAction SilentlyContinue -ErrorVariable failed -WarningVariable warned -WarningAction SilentlyContinue
        $out | ForEach-Object { "$($_.Cluster)|$($_.Kind)|$($_.Action)" } | Should -Be 'west|Secret|Configured'
        $failed.FullyQualifiedErrorId | Should -BeExactly 'PlugInCAMissing,OssmMultiCluster.Commands.UpdateMeshCACertificateCommand'
        $failed[0].TargetObject | Should -BeExactly 'east'
        $warned -join ' ' | Should -BeLikeExactly "*west*restart it*"
    }
}
