<#
Help as users get it: Get-Help with the built module imported, for every cmdlet the module exports (so a new cmdlet
without a page fails here), the about topics, and the committed en-US/ files being what the help generator
(tools/OssmMultiCluster.HelpGen, which parses docs/help with Markdig) makes of docs/help now. The pages are read with
the generator's own parser, loaded from its build output.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-TestedModule
    $script:root = Get-RepoRoot
    $script:source = Join-Path $root 'docs/help'
    $script:regenerate = "Run 'dotnet run --project tools/OssmMultiCluster.HelpGen' from the repo root and commit en-US/."
    $generator = Get-ChildItem (Join-Path $root 'tools/OssmMultiCluster.HelpGen/bin') -Recurse -Filter OssmMultiCluster.HelpGen.dll |
        Sort-Object LastWriteTime -Descending | Select-Object -First 1
    if (-not $generator) { throw 'The help generator is not built: run ./build.ps1 -Task Build.' }
    Add-Type -Path $generator.FullName

    $common = [System.Management.Automation.Cmdlet]::CommonParameters
    $script:cmdlets = Get-Command -Module OssmMultiCluster -CommandType Cmdlet | Sort-Object Name | ForEach-Object {
        $help = Get-Help -Name $_.Name -Full
        [pscustomobject]@{
            Name        = $_.Name
            Synopsis    = [string]$help.Synopsis
            Description = [string[]]@($help.description | ForEach-Object { $_.Text.TrimEnd() })
            Own         = [string[]]@($_.Parameters.Keys | Where-Object { $_ -notin $common })
            Described   = [string[]]@($help.parameters.parameter | Where-Object { -join $_.description.Text } | ForEach-Object name)
            Examples    = [string[]]@($help.examples.example | ForEach-Object code)
            Bindable    = @($_.Parameters.Values | ForEach-Object { , [string[]](@($_.Name) + $_.Aliases) })
        }
    }

    # PowerShell's rule: a full name or alias, or a prefix of exactly one parameter's names.
    function script:Test-Binds([string] $Given, $Parameters) {
        ($Parameters | Where-Object { $_ -contains $Given }) -or
        @($Parameters | Where-Object { @($_ | Where-Object { $_.StartsWith($Given, [StringComparison]::OrdinalIgnoreCase) }).Count }).Count -eq 1
    }
}

Describe 'Get-Help for the module''s cmdlets' {
    It 'covers every exported cmdlet' {
        $cmdlets.Count | Should -Be (Import-PowerShellDataFile (Get-ModuleManifestPath)).CmdletsToExport.Count
    }

    It 'shows every cmdlet''s own synopsis and description, from its page' {
        $problems = foreach ($cmdlet in $cmdlets) {
            $pagePath = Join-Path $source "$($cmdlet.Name).md"
            if (-not (Test-Path $pagePath)) { "$($cmdlet.Name) has no help page: write docs/help/$($cmdlet.Name).md (start from a sibling page). $regenerate"; continue }
            $page = [OssmMultiCluster.HelpGen.CommandPage]::Parse("$($cmdlet.Name).md", (Get-Content -Raw $pagePath))
            if ($cmdlet.Synopsis -cne $page.Synopsis) { "$($cmdlet.Name): Get-Help shows the synopsis '$($cmdlet.Synopsis)', not the page's. $regenerate" }
            if (($cmdlet.Description -join "`n") -cne (@($page.Description) -join "`n")) { "$($cmdlet.Name): Get-Help shows another description than the page's. $regenerate" }
        }
        $problems | Should -BeNullOrEmpty
    }

    It 'describes every parameter of every cmdlet' {
        $undescribed = foreach ($c in $cmdlets) { $c.Own | Where-Object { $_ -notin $c.Described } | ForEach-Object { "$($c.Name) -$_" } }
        $undescribed | Should -BeNullOrEmpty -Because "Get-Help needs a description for each. $regenerate"
    }

    It 'has at least two examples for every cmdlet' {
        $few = $cmdlets | Where-Object { $_.Examples.Count -lt 2 } | ForEach-Object { "$($_.Name) ($($_.Examples.Count))" }
        $few | Should -BeNullOrEmpty
    }

    It 'has examples that parse and call module cmdlets only with their parameters' {
        $bindable = @{}
        foreach ($c in $cmdlets) { $bindable[$c.Name] = $c.Bindable }
        $problems = foreach ($cmdlet in $cmdlets) {
            $number = 0
            foreach ($code in $cmdlet.Examples) {
                $number++
                $errors = $null
                $ast = [System.Management.Automation.Language.Parser]::ParseInput($code, [ref] $null, [ref] $errors)
                foreach ($e in $errors) { "$($cmdlet.Name) example ${number}: $($e.Message) at '$($e.Extent.Text)'" }
                foreach ($command in $ast.FindAll({ $args[0] -is [System.Management.Automation.Language.CommandAst] }, $true)) {
                    $name = $command.GetCommandName()
                    if (-not $name) { continue }
                    if (-not $bindable.ContainsKey($name)) {
                        if ($name -like '*-Mesh*') { "$($cmdlet.Name) example ${number}: the module has no cmdlet $name." }
                        continue
                    }
                    foreach ($p in $command.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] }) {
                        if (-not (Test-Binds $p.ParameterName $bindable[$name])) { "$($cmdlet.Name) example ${number}: $name has no parameter -$($p.ParameterName)." }
                    }
                }
            }
        }
        $problems | Should -BeNullOrEmpty
    }

    It 'runs -Full, -Examples and -Parameter for every cmdlet without error' {
        foreach ($c in $cmdlets) {
            (Get-Help $c.Name -Full | Out-String) | Should -Match "(?s)NAME\s+$($c.Name).*SYNOPSIS.*SYNTAX.*DESCRIPTION.*PARAMETERS.*Example 1"
            (Get-Help $c.Name -Examples | Out-String) | Should -Match 'Example 2'
            (Get-Help $c.Name -Parameter $c.Own[0] | Out-String) | Should -Match "-$($c.Own[0])"
        }
    }
}

Describe 'About topics' {
    It 'are found by Get-Help from the module folder, with their synopsis from the fifth line' {
        $topics = Get-ChildItem $source -Filter 'about_*.md' |
            ForEach-Object { [OssmMultiCluster.HelpGen.AboutTopic]::Parse($_.Name, (Get-Content -Raw $_.FullName)) }
        $topics.Name | Should -Contain 'about_OssmMultiCluster'
        $topics.Name | Should -Contain 'about_OssmMultiCluster_Troubleshooting'
        foreach ($topic in $topics) {
            $text = Get-Help -Name $topic.Name | Out-String
            $text | Should -BeLike "*$($topic.ShortDescription)*"
            $text | Should -BeLike '*LONG DESCRIPTION*'
        }
        $listed = Get-Help -Name 'about_OssmMultiCluster*' -Category HelpFile | ForEach-Object { "$($_.Name)|$($_.Synopsis)" } | Sort-Object
        $listed | Should -Be ($topics | ForEach-Object { "$($_.Name)|$($_.ShortDescription)" } | Sort-Object)
    }
}

Describe 'The help generator' {
    It 'makes the committed en-US/ from docs/help' {
        $generated = [OssmMultiCluster.HelpGen.HelpGenerator]::Generate($source, (Get-ModuleManifestPath))
        $committed = Get-ChildItem (Join-Path $root 'en-US') -File
        ($committed.Name | Sort-Object) | Should -Be ($generated.Keys | Sort-Object) -Because $regenerate
        foreach ($file in $committed) {
            (Get-Content -Raw $file.FullName) -ceq $generated[$file.Name] | Should -BeTrue -Because "en-US/$($file.Name) must be what docs/help/ makes now. $regenerate"
        }
    }

    It 'refuses a cmdlet without a page and a page that documents a missing parameter' {
        $dir = New-TestDirectory
        try {
            Copy-Item (Join-Path $source '*') $dir
            Remove-Item (Join-Path $dir 'New-MeshRootCA.md')
            $page = Join-Path $dir 'Export-MeshCA.md'
            (Get-Content -Raw $page).Replace("## PARAMETERS`n", "## PARAMETERS`n`n### -Bogus`n`nNot a parameter.`n") | Set-Content -NoNewline $page
            $failure = $null
            try { $null = [OssmMultiCluster.HelpGen.HelpGenerator]::Generate($dir, (Get-ModuleManifestPath)) } catch { $failure = $_.Exception.InnerException }
            $failure | Should -BeOfType ([OssmMultiCluster.HelpGen.HelpSourceException])
            $failure.Problems | Where-Object { $_.StartsWith('New-MeshRootCA.md: missing') } | Should -Not -BeNullOrEmpty
            $failure.Problems | Where-Object { $_.StartsWith('Export-MeshCA.md: ## PARAMETERS documents -Bogus') } | Should -Not -BeNullOrEmpty
        }
        finally { Remove-Item $dir -Recurse -Force }
    }

    It 'keeps placeholders, code spans and links as help text' {
        [OssmMultiCluster.HelpGen.Markdown]::Plain('Writes `<cluster>/<namespace>` under **./gitops**; see [Export-MeshCA](Export-MeshCA.md) and [the docs](https://example.test/x).') |
            Should -Be 'Writes <cluster>/<namespace> under ./gitops; see Export-MeshCA and the docs (https://example.test/x).'
        [OssmMultiCluster.HelpGen.Markdown]::Plain('a <name>-network default') | Should -Be 'a <name>-network default'
    }
}
