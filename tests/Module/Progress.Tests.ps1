<#
Waits show progress, and close it when done. Progress records reach no variable and no redirection, so each script
runs in a session of its own (Invoke-ModuleScript) that records every progress record as it was written, as
"activity|status operation|record type".
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-TestedModule
    $script:lab = Start-TestLab
    Set-LabVariable $lab $ExecutionContext.SessionState
    $ErrorActionPreference = 'Stop'
}

AfterAll {
    Stop-TestLab $lab
}

Describe 'Key generation' {
    It 'shows progress while it waits for keys, and completes it' {
        $run = Invoke-ModuleScript "`$null = New-MeshRootCA -KeySize 4096 | ForEach-Object { 'west', 'east' | New-MeshIntermediateCA -RootCA `$_ -KeySize 4096 }"
        $run | Assert-NoScriptError

        # Three RSA 4096 keys take seconds on any machine: some of the waits outlast the 100 ms poll and show progress
        # (which ones depends on which key's prime search ends first).
        $run.Progress | Where-Object {
            $_.EndsWith('|Processing', [StringComparison]::Ordinal) -and
            ($_.StartsWith("Generating the root CA's RSA 4096 key|", [StringComparison]::Ordinal) -or
                $_.StartsWith("Issuing the intermediate CA of cluster '", [StringComparison]::Ordinal))
        } | Should -Not -BeNullOrEmpty -Because "the records were: $($run.Progress -join '; ')"
        $run.Progress -clike "Issuing the intermediate CA of cluster 'west'|*" | Should -Not -BeNullOrEmpty
        foreach ($activity in $run.Progress | ForEach-Object { $_.Split('|')[0] } | Select-Object -Unique) {
            $last = $run.Progress | Where-Object { $_.StartsWith("$activity|", [StringComparison]::Ordinal) } | Select-Object -Last 1
            $last | Should -BeLikeExactly '*|Completed' -Because "'$activity' must be completed"
        }
    }
}

Describe 'Multi-cluster steps' {
    It 'show which cluster they wait for' {
        $run = Invoke-ModuleScript '$null = Get-MeshCluster -Kubeconfig $west, $east -Test' -Variables @{ west = $west; east = $east }
        $run | Assert-NoScriptError

        $run.Progress | Where-Object { $_.StartsWith('Contacting API servers|west (1 of 2)', [StringComparison]::Ordinal) } |
            Should -Not -BeNullOrEmpty -Because "the records were: $($run.Progress -join '; ')"
        $run.Progress[-1] | Should -BeLikeExactly '*|Completed'
    }
}
