<#
The built module folder (out/OssmMultiCluster) is what a user installs: its manifest, its exports, its cmdlets'
declarations, and the load context its types live in.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-TestedModule
    $ErrorActionPreference = 'Stop'
    $script:manifest = Get-ModuleManifestPath

    # Every cmdlet class in the module's assembly, exported or not, and the command name it declares.
    $assembly = (Get-Command New-MeshRootCA).ImplementingType.Assembly
    $script:cmdletTypes = @($assembly.GetTypes() | Where-Object { $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $true) })
    function script:Get-CmdletAttribute([type] $Type) { $Type.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $true)[0] }
    [string[]] $names = foreach ($type in $cmdletTypes) { $a = Get-CmdletAttribute $type; "$($a.VerbName)-$($a.NounName)" }
    [Array]::Sort($names, [StringComparer]::OrdinalIgnoreCase)
    $script:cmdletNames = $names
}

Describe 'The module manifest' {
    It 'passes Test-ModuleManifest and exports exactly the cmdlets that exist' {
        $m = Test-ModuleManifest -Path $manifest

        $m.ExportedCmdlets.Keys | Sort-Object | Should -BeExactly $cmdletNames
        (Get-Command -Module OssmMultiCluster | Sort-Object Name).Name | Should -BeExactly $cmdletNames
        @($m.PowerShellVersion.ToString()) + @($m.CompatiblePSEditions) | Should -BeExactly '7.4', 'Core'
        (Get-Content -Raw (Join-Path (Get-RepoRoot) 'OssmMultiCluster.psd1')).Contains('*') | Should -BeFalse -Because 'the source manifest names its exports, no wildcards'
    }
}

Describe 'The module folder' {
    It 'holds the manifest, the assemblies, the format and type files, and no PowerShell engine' {
        $folder = Split-Path $manifest
        foreach ($file in 'OssmMultiCluster.psd1', 'OssmMultiCluster.psm1', 'OssmMultiCluster.Format.ps1xml', 'OssmMultiCluster.Types.ps1xml',
            'bin/OssmMultiCluster.dll', 'bin/OssmMultiCluster.Loader.dll', 'bin/BouncyCastle.Cryptography.dll') {
            Join-Path $folder $file | Should -Exist
        }
        Join-Path $folder 'bin/System.Management.Automation.dll' | Should -Not -Exist
    }
}

Describe 'The cmdlets'' declarations' {
    It 'are all of an approved verb and a singular Mesh noun, declare their output, and support ShouldProcess when they change something' {
        $approved = (Get-Verb).Verb
        $cmdletTypes | Should -Not -BeNullOrEmpty
        foreach ($type in $cmdletTypes) {
            $a = Get-CmdletAttribute $type
            $command = "$($a.VerbName)-$($a.NounName)"
            $approved -ccontains $a.VerbName | Should -BeTrue -Because "$command needs an approved verb"
            $a.NounName | Should -BeLikeExactly 'Mesh*'
            # Plural nouns end in s; Status and Class-like nouns (-us, -ss) are singular.
            ($a.NounName.EndsWith('s') -and -not $a.NounName.EndsWith('us') -and -not $a.NounName.EndsWith('ss')) | Should -BeFalse -Because "$($a.NounName) must be singular"
            $type.GetCustomAttributes([System.Management.Automation.OutputTypeAttribute], $true) | Should -Not -BeNullOrEmpty -Because "$command must declare its output"
            $type.Name | Should -BeExactly "$($a.VerbName)$($a.NounName)Command"
            $changesSomething = $a.VerbName -cnotin 'New', 'Get', 'Test', 'Import', 'Wait'
            (-not $changesSomething -or $a.SupportsShouldProcess) | Should -BeTrue -Because "$command changes something and must support ShouldProcess"
        }
    }
}

Describe 'The module''s types' {
    It 'live in the module''s own load context and can be named from scripts' {
        $ca = New-MeshRootCA -KeySize 2048 -PregenerateKeys 0

        [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($ca.GetType().Assembly).Name | Should -BeExactly 'OssmMultiCluster'
        [OssmMultiCluster.Model.MeshCertificateAuthority].FullName | Should -BeExactly $ca.GetType().FullName
        # One copy of the module's types in a session: the name a script writes is the very type of the object.
        $ca | Should -BeOfType ([OssmMultiCluster.Model.MeshCertificateAuthority])
    }
}
