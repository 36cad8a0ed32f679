<#
The PKI cmdlets (New-MeshRootCA, New-MeshIntermediateCA, Export-MeshCA, Import-MeshCA) as a user runs them, the real
openssl (the tool the walkthrough uses) judging the certificates they make. No cluster is needed.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-TestedModule
    # As a careful user's script runs: an error a test does not expect stops it.
    $ErrorActionPreference = 'Stop'
    $script:NewIntermediate = 'OssmMultiCluster.Commands.NewMeshIntermediateCACommand'

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

    $script:OwnerReadWrite = [System.IO.UnixFileMode]'UserRead, UserWrite'
}

Describe 'New-MeshIntermediateCA | Export-MeshCA' {
    BeforeEach { $d = New-TestDirectory }
    AfterEach { Remove-Item $d -Recurse -Force }

    It 'writes, from the issue''s pipeline, a layout openssl verifies' {
        $out = 'west', 'east' | New-MeshIntermediateCA -RootCA (New-MeshRootCA) | Export-MeshCA -Path $d

        $out.Count | Should -Be 9
        foreach ($file in $out) {
            $file | Should -BeOfType ([OssmMultiCluster.Model.MeshExportedFile])
            "$($file.Action)" | Should -BeExactly 'Created'
        }
        foreach ($cluster in 'west', 'east') {
            Invoke-OpenSsl "$d/$cluster" verify -CAfile root-cert.pem cert-chain.pem | Should -BeLikeExactly '*: OK*'
            Invoke-OpenSsl "$d/$cluster" verify -CAfile ../root/root-cert.pem ca-cert.pem | Should -BeLikeExactly '*: OK*'
            Invoke-OpenSsl "$d/$cluster" x509 -in ca-cert.pem -noout -text | Should -BeLikeExactly '*Public-Key: (4096 bit)*'
            (Invoke-OpenSsl "$d/$cluster" x509 -in ca-cert.pem -noout -subject).Trim() | Should -BeExactly "subject=O = Istio, CN = Intermediate CA, L = $cluster"
            (Get-Item "$d/$cluster/ca-key.pem").UnixFileMode | Should -Be $OwnerReadWrite
        }
        "$d/root/root-cert.pem" | Should -Exist
        "$d/root/root-key.pem" | Should -Not -Exist -Because 'the root key is written only when the root itself is exported'
    }

    It 'writes the root''s key too when the root is exported, and a rerun is Unchanged' {
        $root = New-MeshRootCA -KeySize 2048
        $cas = @($root) + @('west' | New-MeshIntermediateCA -RootCA $root)
        $first = $cas | Export-MeshCA -Path $d
        $again = $cas | Export-MeshCA -Path $d

        $first | ForEach-Object { "$($_.Action)" } | Should -BeExactly 'Created', 'Created', 'Created', 'Created', 'Created', 'Created'
        $again | ForEach-Object { "$($_.Action)" } | Sort-Object -Unique | Should -BeExactly 'Unchanged'
        (Get-Item "$d/root/root-key.pem").UnixFileMode | Should -Be $OwnerReadWrite
    }

    It 'writes nothing with -WhatIf' {
        $out = 'west' | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048) | Export-MeshCA -Path "$d/out" -WhatIf

        $out | Should -BeNullOrEmpty
        "$d/out" | Should -Not -Exist
    }

    It 'needs -Force to overwrite another CA, and its refusal writes nothing' {
        $null = 'west' | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048) | Export-MeshCA -Path $d
        $before = Get-Content -Raw "$d/west/ca-key.pem"
        $other = 'west', 'east' | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048)

        $refusal = { $other | Export-MeshCA -Path $d -ErrorAction Stop } | Should -Throw -PassThru
        $refusal.FullyQualifiedErrorId | Should -BeExactly 'ExportFileExists,OssmMultiCluster.Commands.ExportMeshCACommand'
        $refusal.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::ResourceExists)
        Get-Content -Raw "$d/west/ca-key.pem" | Should -BeExactly $before
        "$d/east" | Should -Not -Exist

        $other | Export-MeshCA -Path $d -Force | Where-Object Name -EQ 'ca-key.pem' | ForEach-Object { "$($_.Action)" } |
            Should -BeExactly 'Overwritten', 'Created'
    }
}

Describe 'New-MeshIntermediateCA' {
    It 'writes an error record for a bad cluster name and still serves the other clusters' {
        $out = 'west', 'West_1', 'east' | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048) -ErrorVariable errors -ErrorAction SilentlyContinue

        $out | ForEach-Object Cluster | Should -BeExactly 'west', 'east'
        $errors.Count | Should -Be 1
        $e = $errors[0]
        $e.FullyQualifiedErrorId | Should -BeExactly "InvalidClusterName,$NewIntermediate"
        $e.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidArgument)
        $e.TargetObject | Should -BeExactly 'West_1'
        "$e" | Should -BeLikeExactly '*West_1*'
        $e.ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
    }
}

Describe 'Bad input to New-MeshRootCA and New-MeshIntermediateCA' {
    It 'stops <Case> with <ErrorId> and no output' -ForEach @(
        @{ Case = 'a 1024-bit RSA root'; ErrorId = 'KeySizeTooSmall,OssmMultiCluster.Commands.NewMeshRootCACommand'
            Code = 'New-MeshRootCA -KeySize 1024' }
        @{ Case = 'an ECDSA root of 300 bits'; ErrorId = 'KeySizeInvalid,OssmMultiCluster.Commands.NewMeshRootCACommand'
            Code = 'New-MeshRootCA -KeyAlgorithm ECDSA -KeySize 300' }
        @{ Case = 'an intermediate outliving its root'; ErrorId = 'IntermediateOutlivesRoot,OssmMultiCluster.Commands.NewMeshIntermediateCACommand'
            Code = "'west' | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048 -ValidityDays 30) -ValidityDays 400" }
        @{ Case = 'an intermediate given as -RootCA'; ErrorId = 'NotARootCA,OssmMultiCluster.Commands.NewMeshIntermediateCACommand'
            Code = "`$r = New-MeshRootCA -KeySize 2048; `$i = 'west' | New-MeshIntermediateCA -RootCA `$r; 'east' | New-MeshIntermediateCA -RootCA `$i" }
        @{ Case = 'a 1024-bit RSA intermediate'; ErrorId = 'KeySizeTooSmall,OssmMultiCluster.Commands.NewMeshIntermediateCACommand'
            Code = "'west' | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048) -KeySize 1024" }
    ) {
        # Under the default preference, in a session of its own as a user types it (a Pester test runs inside a try block,
        # where every error ends the script), the command writes its one error, shows nothing, and the script goes on.
        $run = Invoke-ModuleScript $Code

        $run.Terminating | Should -BeNullOrEmpty
        $run.Errors.Count | Should -Be 1
        $e = $run.Errors[0]
        $e.FullyQualifiedErrorId | Should -BeExactly $ErrorId
        $e.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidArgument)
        $run.Output | Should -BeNullOrEmpty
        $e.ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty

        # Under 'Stop' the same error ends the script.
        $stopped = { & ([scriptblock]::Create($Code)) } | Should -Throw -PassThru
        $stopped.FullyQualifiedErrorId | Should -BeExactly $ErrorId
    }
}

Describe 'Import-MeshCA' {
    BeforeEach { $d = New-TestDirectory }
    AfterEach { Remove-Item $d -Recurse -Force }

    It 'reads the layout back, and cluster objects bind to -ClusterName by property name' {
        $root = New-MeshRootCA -KeySize 2048 -PregenerateKeys 0
        $null = @($root) + @('west' | New-MeshIntermediateCA -RootCA $root) | Export-MeshCA -Path $d

        $imported = Import-MeshCA -Path $d
        $imported | ForEach-Object { "$($_.Kind):$($_.Cluster):$($_.HasPrivateKey)" } | Should -BeExactly 'Root::True', 'Intermediate:west:True'
        $imported[0].Fingerprint | Should -BeExactly $root.Fingerprint

        $byName = [pscustomobject]@{ Name = 'north' }, [pscustomobject]@{ Name = 'south' } | New-MeshIntermediateCA -RootCA $imported[0]
        $byName | ForEach-Object Cluster | Should -BeExactly 'north', 'south'

        $explicit = Import-MeshCA -CertificatePath "$d/west/ca-cert.pem" -KeyPath "$d/west/ca-key.pem" -ChainPath "$d/west/cert-chain.pem"
        $explicit | Should -BeOfType ([OssmMultiCluster.Model.MeshCertificateAuthority])
        "$($explicit.Kind):$($explicit.Cluster)" | Should -BeExactly 'Intermediate:west'

        Get-Item $d | Import-MeshCA | ForEach-Object { "$($_.Kind)" } | Should -BeExactly 'Root', 'Intermediate'
    }

    It 'reports a broken cluster folder and still imports the others' {
        $null = 'west', 'east' | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048) | Export-MeshCA -Path $d
        Copy-Item "$d/east/ca-key.pem" "$d/west/ca-key.pem" -Force

        $out = Import-MeshCA -Path $d -ErrorVariable errors -ErrorAction SilentlyContinue

        $out | ForEach-Object { "$($_.Kind)" } | Should -BeExactly 'Root', 'Intermediate'
        $errors.Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -BeExactly 'KeyMismatch,OssmMultiCluster.Commands.ImportMeshCACommand'
        "$($errors[0].TargetObject)" | Should -BeLikeExactly '*west/ca-key.pem'
    }
}

Describe 'The PKI objects'' views' {
    BeforeEach { $d = New-TestDirectory }
    AfterEach { Remove-Item $d -Recurse -Force }

    It 'show the columns a user scans, and no rendering and no stream shows a key' {
        # A session of its own, so that every stream the commands write, progress included, is scanned for the keys.
        $run = Invoke-ModuleScript -Variables @{ d = $d } @'
$root = New-MeshRootCA -KeySize 2048 -PregenerateKeys 0
$west = 'west' | New-MeshIntermediateCA -RootCA $root -Verbose
$files = @($root, $west) | Export-MeshCA -Path $d -Verbose
$root, $west | Out-String -Width 200
$files | Out-String -Width 200
$root, $west | Format-List * | Out-String -Width 200
$root, $west | ConvertTo-Json -Depth 3 -WarningAction SilentlyContinue
$west.DaysRemaining
'@
        $run | Assert-NoScriptError

        $table = "$($run.Output[0])"
        foreach ($column in 'Kind', 'Cluster', 'Subject', 'NotAfter', 'Key', 'Fingerprint', 'O=Istio, CN=Intermediate CA, L=west', 'RSA 2048') {
            $table | Should -BeLikeExactly "*$column*"
        }
        "$($run.Output[1])" | Should -BeLikeExactly '*Folder: west*'
        "$($run.Output[1])" | Should -BeLikeExactly '*0600*'
        $days = [int]"$($run.Output[-1])"
        $days | Should -BeGreaterOrEqual 3640
        $days | Should -BeLessOrEqual 3650
        $run.Verbose -clike '*west*' | Should -Not -BeNullOrEmpty

        $everything = $run | Get-ScriptRunText
        foreach ($keyFile in 'root/root-key.pem', 'west/ca-key.pem') {
            foreach ($line in Get-Content "$d/$keyFile" | Where-Object { -not $_.StartsWith('-----', [StringComparison]::Ordinal) }) {
                $everything.Contains($line) | Should -BeFalse -Because "no stream may show a line of $keyFile"
            }
        }
        $everything.Contains('PRIVATE KEY') | Should -BeFalse
    }
}
