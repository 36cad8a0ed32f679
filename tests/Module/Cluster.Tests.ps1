<#
Get-MeshCluster and Install-MeshCACertificate against the lab's real API servers; the real openssl judges the cacerts
secrets they install. The last block stops the lab's doomed cluster: a cluster that goes down must not hide the others.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-TestedModule
    $script:lab = Start-TestLab
    Set-LabVariable $lab $ExecutionContext.SessionState
    # As a careful user's script runs: an error a test does not expect stops it.
    $ErrorActionPreference = 'Stop'
    $script:Install = 'OssmMultiCluster.Commands.InstallMeshCACertificateCommand'

    function script:Get-CACertsKey([string] $Cluster, [string] $Namespace, [string] $Key) {
        <# One key of a cluster's cacerts secret, decoded. #>
        $base64 = Invoke-LabKubectl $lab $Cluster -n $Namespace get secret cacerts -o "jsonpath={.data.$($Key.Replace('.', '\.'))}"
        [System.Text.Encoding]::ASCII.GetString([Convert]::FromBase64String($base64))
    }

    function script:Invoke-OpenSsl {
        <# openssl in a folder (Invoke-OpenSsl <folder> verify -CAfile …); throws with its output when it fails. #>
        $folder, $rest = $args
        Push-Location $folder
        try {
            $output = & openssl @rest 2>&1 | Out-String
            if ($LASTEXITCODE -ne 0) { throw "openssl $($rest -join ' ') failed ($LASTEXITCODE): $output" }
            $output
        }
        finally { Pop-Location }
    }
}

AfterAll {
    Stop-TestLab $lab
}

Describe 'Get-MeshCluster' {
    It 'resolves and tests the lab clusters without showing their tokens' {
        # A session of its own, so that every stream, progress included, is scanned for the token.
        $run = Invoke-ModuleScript -Variables @{ west = $west; east = $east } @'
$clusters = Get-MeshCluster -Kubeconfig $west, $east -Network west-network, east-network -Test -Verbose
$clusters | ForEach-Object { "$($_.Name)|$($_.Network)|$($_.Context)|$($_.Server)" }
$clusters | Out-String -Width 200
$clusters | Format-List * | Out-String -Width 200
'@
        $run | Assert-NoScriptError

        "$($run.Output[0])" | Should -BeLikeExactly 'west|west-network|west|https://127.0.0.1:*'
        "$($run.Output[1])" | Should -BeLikeExactly 'east|east-network|east|https://127.0.0.1:*'
        "$($run.Output[2])" | Should -BeLikeExactly '*Network*'
        $run.Verbose -clike '*Kubernetes v1.20*' | Should -Not -BeNullOrEmpty
        $tokenLines = @(Get-Content $west | Where-Object { $_.Contains('token:') })
        $tokenLines.Count | Should -Be 1
        $token = $tokenLines[0].Split(':')[1].Trim()
        ($run | Get-ScriptRunText).Contains($token) | Should -BeFalse -Because 'no stream may show the token'
    }

    It 'refuses a kubeconfig with another cluster''s CA, and the other cluster still answers' {
        $dir = New-TestDirectory
        try {
            $eastCa = Invoke-LabKubectl $lab east config view --raw -o 'jsonpath={.clusters[0].cluster.certificate-authority-data}'
            $westCa = Invoke-LabKubectl $lab west config view --raw -o 'jsonpath={.clusters[0].cluster.certificate-authority-data}'
            $wrong = Join-Path $dir 'west-wrong-ca'
            Set-Content -Path $wrong -Value (Get-Content -Raw $west).Replace($westCa, $eastCa) -NoNewline

            $out = Get-MeshCluster -Kubeconfig $wrong, $east -Test -ErrorVariable errors -ErrorAction SilentlyContinue

            @($out).Count | Should -Be 1
            $out.Name | Should -BeExactly 'east'
            $errors.Count | Should -Be 1
            $e = $errors[0]
            $e.FullyQualifiedErrorId | Should -BeExactly 'ClusterTlsFailed,OssmMultiCluster.Commands.GetMeshClusterCommand'
            $e.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::SecurityError)
            $e.TargetObject | Should -BeExactly 'west'
        }
        finally { Remove-Item $dir -Recurse -Force }
    }
}

Describe 'Install-MeshCACertificate' {
    It 'installs, from the issue''s pipeline, cacerts that verify, and refuses another CA on a rerun' {
        $rootDir = New-TestDirectory
        try {
            $root = New-MeshRootCA -KeySize 2048
            $clusters = Get-MeshCluster -Kubeconfig $west, $east -Network west-network, east-network
            $first = $clusters | New-MeshIntermediateCA -RootCA $root | Install-MeshCACertificate -Namespace istio-pipeline
            $first | ForEach-Object { "$($_.Cluster)|$($_.Kind)|$($_.Name)|$($_.Action)" } |
                Should -BeExactly 'west|Namespace|istio-pipeline|Created', 'west|Secret|cacerts|Created',
                'east|Namespace|istio-pipeline|Created', 'east|Secret|cacerts|Created'

            $null = $clusters | New-MeshIntermediateCA -RootCA $root | Install-MeshCACertificate -Namespace istio-pipeline -ErrorAction SilentlyContinue
            $Error[0].FullyQualifiedErrorId | Should -BeExactly "CARotationRefused,$Install"

            $null = $root | Export-MeshCA -Path $rootDir
            $rootPem = Join-Path $rootDir 'root/root-cert.pem'
            foreach ($pair in ('west', 'west-network'), ('east', 'east-network')) {
                $cluster, $network = $pair
                Invoke-LabKubectl $lab $cluster get ns istio-pipeline -o 'jsonpath={.metadata.labels.topology\.istio\.io/network}' |
                    Should -BeExactly $network
                $dir = New-TestDirectory
                try {
                    foreach ($key in 'cert-chain.pem', 'ca-cert.pem', 'ca-key.pem') {
                        Set-Content -Path (Join-Path $dir $key) -Value (Get-CACertsKey $cluster istio-pipeline $key) -NoNewline
                    }
                    Get-CACertsKey $cluster istio-pipeline root-cert.pem | Should -BeExactly (Get-Content -Raw $rootPem)
                    Invoke-OpenSsl $dir verify -CAfile $rootPem cert-chain.pem | Should -BeLikeExactly '*: OK*'
                    Invoke-OpenSsl $dir x509 -in ca-cert.pem -noout -subject | Should -BeLikeExactly "*L = $cluster*"
                    Invoke-OpenSsl $dir x509 -in ca-cert.pem -noout -modulus | Should -BeExactly (Invoke-OpenSsl $dir rsa -in ca-key.pem -noout -modulus)
                }
                finally { Remove-Item $dir -Recurse -Force }
            }
        }
        finally { Remove-Item $rootDir -Recurse -Force }
    }

    It 'is Unchanged for the same CA again and keeps the secret''s resourceVersion' {
        $ca = Get-MeshCluster -Kubeconfig $west | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048)
        $null = $ca | Install-MeshCACertificate -Namespace istio-idempotent
        $rv = Invoke-LabKubectl $lab west -n istio-idempotent get secret cacerts -o 'jsonpath={.metadata.resourceVersion}'

        $again = $ca | Install-MeshCACertificate -Namespace istio-idempotent

        $again | ForEach-Object { "$($_.Action)" } | Should -BeExactly 'Unchanged', 'Unchanged'
        Invoke-LabKubectl $lab west -n istio-idempotent get secret cacerts -o 'jsonpath={.metadata.resourceVersion}' | Should -BeExactly $rv
    }

    It 'needs -Force to rotate a CA, and warns that istiod must restart' {
        $clusters = Get-MeshCluster -Kubeconfig $west
        $null = $clusters | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048) | Install-MeshCACertificate -Namespace istio-rotation
        $before = Invoke-LabKubectl $lab west -n istio-rotation get secret cacerts -o 'jsonpath={.data.ca-cert\.pem}'
        $new = $clusters | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048)

        $refused = $new | Install-MeshCACertificate -Namespace istio-rotation -ErrorVariable errors -ErrorAction SilentlyContinue

        @($refused).Count | Should -Be 0
        Invoke-LabKubectl $lab west -n istio-rotation get secret cacerts -o 'jsonpath={.data.ca-cert\.pem}' | Should -BeExactly $before
        $errors.Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -BeExactly "CARotationRefused,$Install"
        $errors[0].CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::ResourceExists)
        $errors[0].ErrorDetails.RecommendedAction | Should -BeLikeExactly '*Update-MeshCACertificate*-Force*' -Because 'the rotation without downtime comes first'

        $new | Install-MeshCACertificate -Namespace istio-rotation -Force -WarningVariable warnings -WarningAction SilentlyContinue |
            ForEach-Object { "$($_.Action)" } | Should -BeExactly 'Unchanged', 'Configured'
        Invoke-LabKubectl $lab west -n istio-rotation get secret cacerts -o 'jsonpath={.data.ca-cert\.pem}' | Should -Not -BeExactly $before
        $warnings | Where-Object { "$_".Contains('rollout restart') -and "$_".Contains('west') } | Should -Not -BeNullOrEmpty
    }

    It 'writes an error naming a cluster it may not write to, and still does the other cluster' {
        $nobody = Get-LabKubeconfig $lab west -Nobody

        Get-MeshCluster -Kubeconfig $nobody, $east -Name west, east | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048) |
            Install-MeshCACertificate -Namespace istio-forbidden -ErrorVariable errors -ErrorAction SilentlyContinue |
            ForEach-Object { "$($_.Cluster)|$($_.Kind)|$($_.Action)" } | Should -BeExactly 'east|Namespace|Created', 'east|Secret|Created'

        $errors.Count | Should -Be 1
        $e = $errors[0]
        $e.FullyQualifiedErrorId | Should -BeExactly "ClusterForbidden,$Install"
        $e.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::PermissionDenied)
        $e.TargetObject | Should -BeExactly 'west'
        (Invoke-LabKubectl $lab west -Try get ns istio-forbidden).Code | Should -Not -Be 0
    }

    It 'changes nothing on the cluster with -WhatIf' {
        $out = Get-MeshCluster -Kubeconfig $west | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048) |
            Install-MeshCACertificate -Namespace istio-whatif -WhatIf

        $out | Should -BeNullOrEmpty
        (Invoke-LabKubectl $lab west -Try get ns istio-whatif).Code | Should -Not -Be 0
    }

    It 'matches imported CAs to the clusters by name' {
        $d = New-TestDirectory
        try {
            $null = 'west', 'east' | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048) | Export-MeshCA -Path $d
            $clusters = Get-MeshCluster -Kubeconfig $west, $east

            Import-MeshCA -Path $d | Where-Object Kind -EQ Intermediate | Install-MeshCACertificate -Cluster $clusters -Namespace istio-imported |
                ForEach-Object { "$($_.Cluster)|$($_.Kind)|$($_.Action)" } |
                Should -BeExactly 'east|Namespace|Created', 'east|Secret|Created', 'west|Namespace|Created', 'west|Secret|Created'
        }
        finally { Remove-Item $d -Recurse -Force }
    }
}

Describe 'A cluster that goes down (the lab''s doomed cluster is stopped here)' {
    It 'is an error naming it, and the running cluster is still done' {
        $null = Get-MeshCluster -Kubeconfig $west, $doomed
        Stop-LabCluster $lab doomed

        Get-MeshCluster -Kubeconfig $west, $doomed | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048) |
            Install-MeshCACertificate -Namespace istio-stopped -ErrorVariable errors -ErrorAction SilentlyContinue |
            ForEach-Object { "$($_.Cluster)|$($_.Kind)|$($_.Action)" } | Should -BeExactly 'west|Namespace|Created', 'west|Secret|Created'

        $errors.Count | Should -Be 1
        $e = $errors[0]
        $e.FullyQualifiedErrorId | Should -BeExactly "ClusterUnreachable,$Install"
        $e.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::ConnectionError)
        $e.TargetObject | Should -BeExactly 'doomed'
        "$e" | Should -BeLikeExactly '*doomed*'

        $status = Get-MeshStatus -Cluster (Get-MeshCluster -Kubeconfig $west, $doomed) | Where-Object Check |
            ForEach-Object { "$($_.Cluster)|$($_.Check)|$($_.Status)" }
        $status -ccontains 'doomed|reachable|Error' | Should -BeTrue -Because "the checks were: $($status -join '; ')"
        $status -clike 'west|network|*' | Should -Not -BeNullOrEmpty
        $status | Should -Not -Contain 'west|reachable|Error'
    }
}
