<#
The module's format file: every type a cmdlet declares as its output has a view, so a user sees a table or list made
for it, never PowerShell's default dump of every property.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-TestedModule
    $ErrorActionPreference = 'Stop'
}

Describe 'OssmMultiCluster.Format.ps1xml' {
    BeforeAll {
        # Every [OutputType] of every cmdlet class in the module's assembly, exported or not.
        $assembly = (Get-Command New-MeshRootCA).ImplementingType.Assembly
        $outputs = @($assembly.GetTypes() |
            ForEach-Object { $_.GetCustomAttributes([System.Management.Automation.OutputTypeAttribute], $true) } |
            ForEach-Object { $_.Type.Name } | Select-Object -Unique)
    }

    It 'has a view for every type a cmdlet outputs' {
        $outputs | Should -Not -BeNullOrEmpty
        $viewed = ([xml](Get-Content -Raw (Join-Path (Get-RepoRoot) 'module/OssmMultiCluster.Format.ps1xml'))).SelectNodes('//TypeName') |
            ForEach-Object InnerText
        foreach ($name in $outputs) {
            $viewed -ccontains $name | Should -BeTrue -Because "$name is a cmdlet's output type"
        }
    }

    It 'is what the imported module shows each output type with' {
        foreach ($name in $outputs) {
            Get-FormatData -TypeName $name | Should -Not -BeNullOrEmpty -Because "$name is a cmdlet's output type"
        }
        foreach ($command in Get-Command -Module OssmMultiCluster) {
            foreach ($name in $command.OutputType.Name) {
                Get-FormatData -TypeName $name | Should -Not -BeNullOrEmpty -Because "$command outputs $name"
            }
        }
    }
}
