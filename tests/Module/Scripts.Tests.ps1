<#
The project's scripts, checked without running them: the acceptance suite (tests/Acceptance, run against clusters by
build.ps1 -Task Test), build.ps1, the bench and example scripts parse with PowerShell's own parser and call only
commands and parameters that exist; bench/walkthrough-steps.sh, the reference side of bench/end-to-end.ps1, is the
walkthrough's own steps 4-10, 12 and 14 as its authors wrote them
(../shared/reference/ossm-2.6-multi-primary-walkthrough.txt), so the benchmark compares the module with the real thing.
#>

BeforeDiscovery {
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $acceptanceFiles = @(Get-ChildItem (Join-Path $root 'tests/Acceptance') -Filter *.Tests.ps1 | ForEach-Object { @{ File = $_.Name } })
    # Every script a user or CI runs: build.ps1 and each *.ps1 under bench/ and examples/.
    $scripts = @(@('build.ps1') + @(Get-ChildItem (Join-Path $root 'bench'), (Join-Path $root 'examples') -Filter *.ps1 -Recurse -File |
            ForEach-Object { [IO.Path]::GetRelativePath($root, $_.FullName).Replace('\', '/') } | Sort-Object) |
            ForEach-Object { @{ Script = $_ } })
    $heredocs = @('${root_ca_dir}/root-ca.conf', '${int_ca_dir}/intermediate.conf', '${cluster}-config/smcp.yaml', '${cluster}-config/eastwest-gateway.yaml',
        'kubeconfigs/istio-reader-service-account-west-cluster.kubeconfig', 'kubeconfigs/istio-reader-service-account-east-cluster.kubeconfig') |
        ForEach-Object { @{ Target = $_ } }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-TestedModule
    $script:root = Get-RepoRoot
    $script:walkthrough = Join-Path $root '../shared/reference/ossm-2.6-multi-primary-walkthrough.txt'
    $script:stepsScript = Join-Path $root 'bench/walkthrough-steps.sh'

    function script:Read-Script([string] $Path) {
        $tokens = $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref] $tokens, [ref] $errors)
        [pscustomobject]@{ Ast = $ast; Errors = @($errors) }
    }

    # The text of the walkthrough's heredoc that writes $Target, de-indented.
    function script:Get-WalkthroughHeredoc([string] $Target) {
        $lines = [IO.File]::ReadAllLines($walkthrough)
        $start = [Array]::FindIndex($lines, [Predicate[string]] { param($l) $l.Contains("cat <<EOF > $Target", [StringComparison]::Ordinal) })
        $start | Should -BeGreaterOrEqual 0 -Because "the walkthrough has a heredoc for $Target"
        $end = [Array]::FindIndex($lines, $start + 1, [Predicate[string]] { param($l) $l.Trim() -ceq 'EOF' })
        $body = $lines[($start + 1)..($end - 1)]
        $indent = ($body | Where-Object { $_.Trim().Length -gt 0 } | ForEach-Object { $_.Length - $_.TrimStart().Length } | Measure-Object -Minimum).Minimum
        (($body | ForEach-Object { if ($_.Length -ge $indent) { $_.Substring($indent) } else { '' } }) -join "`n") + "`n"
    }

    # The code lines of each installation step, trimmed, by the walkthrough's numbering (its second list, after step
    # 11, goes on as 12, 13, ...); the prose sentences inside steps are left out.
    function script:Get-WalkthroughStep {
        $lines = [IO.File]::ReadAllLines($walkthrough)
        $first = [Array]::FindIndex($lines, [Predicate[string]] { param($l) $l.Trim() -ceq 'Installation steps' })
        $steps = [System.Collections.Generic.Dictionary[int, System.Collections.Generic.List[string]]]::new()
        $current = $null
        $offset = 0
        $previous = 0
        foreach ($line in $lines[($first + 1)..($lines.Count - 1)]) {
            if ($line.StartsWith('Next steps', [StringComparison]::Ordinal)) { break }
            if ($line -cmatch '^  (\d+)\. ') {
                $number = [int] $Matches[1]
                if ($number -le $previous) { $offset += $previous }
                $previous = $number
                $current = [System.Collections.Generic.List[string]]::new()
                $steps[$number + $offset] = $current
                continue
            }
            $text = $line.Trim()
            if ($null -eq $current -or $text.Length -eq 0 -or $line.Length - $line.TrimStart().Length -lt 4 -or $text -cmatch '^[A-Z][^=]*\.$') { continue }
            $current.Add($text)
        }
        $steps
    }
}

Describe 'The acceptance suite <File>' -ForEach $acceptanceFiles {
    It 'parses and uses only module commands and parameters that exist' {
        $parsed = Read-Script (Join-Path $root "tests/Acceptance/$File")
        $parsed.Errors | Should -BeNullOrEmpty
        $uses = @($parsed.Ast.FindAll({ param($a) $a -is [System.Management.Automation.Language.CommandAst] }, $true) |
                Where-Object { $_.GetCommandName() -and $_.GetCommandName().Contains('-Mesh', [StringComparison]::Ordinal) } |
                ForEach-Object {
                    $name = $_.GetCommandName()
                    $parameters = @($_.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] })
                    if ($parameters) { $parameters | ForEach-Object { "$name|$($_.ParameterName)" } } else { "$name|" }
                } | Select-Object -Unique)
        $uses | Should -Not -BeNullOrEmpty
        $missing = foreach ($use in $uses) {
            $command, $parameter = $use -split '\|'
            $info = Get-Command -Name $command -Module OssmMultiCluster -ErrorAction SilentlyContinue
            if (-not $info) { "missing command $command"; continue }
            if ($parameter -and -not ($info.Parameters.Values | Where-Object { $_.Name -like "$parameter*" -or $_.Aliases -contains $parameter })) {
                "missing parameter $command -$parameter"
            }
        }
        $missing | Should -BeNullOrEmpty
    }
}

Describe 'The script <Script>' -ForEach $scripts {
    It 'parses and calls only commands that exist' {
        $parsed = Read-Script (Join-Path $root $Script)
        $parsed.Errors | Should -BeNullOrEmpty
        $defined = @($parsed.Ast.FindAll({ param($a) $a -is [System.Management.Automation.Language.FunctionDefinitionAst] }, $true) | ForEach-Object Name)
        # The external tools the scripts may call; everything else must be a command of PowerShell or of the module.
        $externalTools = 'dotnet', 'bash', 'kubectl', 'openssl'
        $called = @($parsed.Ast.FindAll({ param($a) $a -is [System.Management.Automation.Language.CommandAst] }, $true) |
                ForEach-Object { $_.GetCommandName() } |
                Where-Object { $_ -and $_ -notin $defined -and $_ -cnotin $externalTools } | Select-Object -Unique)
        $called | Should -Not -BeNullOrEmpty
        $called | Where-Object { -not (Get-Command -Name $_ -ErrorAction SilentlyContinue) } | Should -BeNullOrEmpty
    }
}

Describe 'build.ps1' {
    It 'has the tasks Build, Test, Package and Demo, each documented in the README as ''-Task'' and its name' {
        $parsed = Read-Script (Join-Path $root 'build.ps1')
        $task = @($parsed.Ast.ParamBlock.Parameters | Where-Object { $_.Name.VariablePath.UserPath -eq 'Task' })
        $task.Count | Should -Be 1
        $validateSet = @($task[0].Attributes | Where-Object { $_ -is [System.Management.Automation.Language.AttributeAst] -and $_.TypeName.Name -eq 'ValidateSet' })
        $validateSet.Count | Should -Be 1
        $tasks = @($validateSet[0].PositionalArguments | ForEach-Object { ([System.Management.Automation.Language.StringConstantExpressionAst] $_).Value })
        $tasks | Should -Be 'Build', 'Test', 'Package', 'Demo'
        $readme = Get-Content -Raw (Join-Path $root 'README.md')
        foreach ($t in $tasks) { $readme | Should -BeLikeExactly "*-Task $t*" }
    }
}

Describe 'bench/walkthrough-steps.sh' {
    It 'has the walkthrough''s heredoc for <Target> byte for byte' -ForEach $heredocs {
        $lines = [IO.File]::ReadAllLines($stepsScript)
        $start = [Array]::FindIndex($lines, [Predicate[string]] { param($l) $l.Trim() -ceq "cat <<EOF > $Target" })
        $start | Should -BeGreaterOrEqual 0 -Because "the script has a heredoc for $Target"
        $end = [Array]::FindIndex($lines, $start + 1, [Predicate[string]] { param($l) $l -ceq 'EOF' })
        $end | Should -BeGreaterThan $start -Because "the heredoc for $Target ends with an EOF line"
        $body = if ($end -gt $start + 1) { $lines[($start + 1)..($end - 1)] } else { @() }
        (($body -join "`n") + "`n") | Should -BeExactly (Get-WalkthroughHeredoc $Target)
    }

    It 'has every line of steps 4 to 10, 12 and 14, in order' {
        $script = [System.Collections.Generic.List[string]]::new([string[]] @([IO.File]::ReadAllLines($stepsScript) | ForEach-Object { $_.Trim() }))
        $steps = Get-WalkthroughStep
        $wanted = 4, 5, 6, 7, 8, 9, 10, 12, 14
        @($steps.Keys | Where-Object { ($_ -ge 4 -and $_ -le 10) -or $_ -eq 12 -or $_ -eq 14 }) | Should -Be $wanted
        $position = 0
        foreach ($step in $wanted) {
            $steps[$step] | Should -Not -BeNullOrEmpty -Because "step $step has code lines"
            foreach ($line in $steps[$step]) {
                $found = $script.IndexOf($line, $position)
                $found | Should -BeGreaterOrEqual 0 -Because "step $step's line '$line' should be in the script after line $($position + 1)"
                $position = $found + 1
            }
        }
    }

    It 'parses as bash' {
        $output = & bash -n $stepsScript 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $output
    }
}
