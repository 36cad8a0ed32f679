# What the module's Pester tests share: the built module, the loopback lab (tests/lab/lab.sh), kubectl against it,
# and a runner that captures every stream of a script (progress included, which redirection cannot catch).
#
# The lab: build.ps1 -Task Test starts one lab for every test file and names its folder in $env:OSSM_TEST_LAB; a file
# run on its own (Invoke-Pester ./tests/Module/Connect.Tests.ps1) starts its own and stops it in AfterAll.

Set-StrictMode -Version Latest

$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$script:LabScript = Join-Path $script:RepoRoot 'tests/lab/lab.sh'

# The clusters every module test may use: west (load balancers get IPs), east (hostnames), north, bare (no operator
# CRDs) and doomed (taken down by the test that needs a cluster gone). west, east, north and doomed play OSSM 2.6 and
# carry the real CRDs of its operator; sailwest and saileast (hostnames) play OSSM 3 and carry the Sail operator's
# (../shared/reference/upstream/crds; one set per cluster, never both).
$script:LabClusters = 'west', 'east', 'north', 'bare', 'doomed', 'sailwest', 'saileast'
$script:LabOptions = '--lb-hostname', 'east', '--no-crds', 'bare', '--lb-hostname', 'saileast',
    '--crds', 'west=ossm2', '--crds', 'east=ossm2', '--crds', 'north=ossm2', '--crds', 'doomed=ossm2',
    '--crds', 'sailwest=ossm3', '--crds', 'saileast=ossm3'

function Get-RepoRoot { $script:RepoRoot }

function Get-TestLabCluster { $script:LabClusters }

function Get-TestLabOption { $script:LabOptions }

function Get-ModuleManifestPath { Join-Path $script:RepoRoot 'out/OssmMultiCluster/OssmMultiCluster.psd1' }

function Import-TestedModule {
    <# Imports the built module folder (out/OssmMultiCluster) once per process, as a user's session does. #>
    if (-not (Get-Module OssmMultiCluster)) {
        $manifest = Get-ModuleManifestPath
        if (-not (Test-Path $manifest)) { throw "The module is not built: $manifest is missing. Run ./build.ps1 -Task Build first." }
        Import-Module $manifest -Global -ErrorAction Stop
    }
}

function Invoke-LabScript {
    param([Parameter(ValueFromRemainingArguments)] [string[]] $Arguments)
    $output = & bash $script:LabScript @Arguments 2>&1 | Out-String
    if ($LASTEXITCODE -ne 0) { throw "lab.sh $($Arguments -join ' ') failed: $output" }
    $output
}

function Start-TestLab {
    <#
    .SYNOPSIS
        A lab of real API servers on loopback. -Clusters/-Options start a lab of one's own (stop it with Stop-TestLab);
        without them, the shared lab named by $env:OSSM_TEST_LAB, or a new one with the standard clusters.
    #>
    param([string[]] $Clusters, [string[]] $Options = @(), [string] $Directory)
    if (-not $Clusters -and $env:OSSM_TEST_LAB -and (Test-Path (Join-Path $env:OSSM_TEST_LAB 'west.kubeconfig'))) {
        return New-LabObject -Directory $env:OSSM_TEST_LAB -Clusters $script:LabClusters -Owned $false
    }
    if (-not $Clusters) { $Clusters = $script:LabClusters; $Options = $script:LabOptions }
    if (-not $Directory) { $Directory = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "ossm-lab-$([guid]::NewGuid().ToString('n').Substring(0, 8))")).FullName }
    try {
        $null = Invoke-LabScript start $Directory @Options @Clusters
    }
    catch {
        $logs = Get-ChildItem $Directory -Recurse -Filter *.log -ErrorAction SilentlyContinue |
            ForEach-Object { "$($_.Directory.Name)/$($_.Name): $(Get-Content $_ -Tail 1)" }
        try { $null = Invoke-LabScript stop $Directory --purge } catch { Write-Warning $_ }
        throw "$_`n$($logs -join "`n")"
    }
    New-LabObject -Directory $Directory -Clusters $Clusters -Owned $true
}

function New-LabObject([string] $Directory, [string[]] $Clusters, [bool] $Owned) {
    $kubeconfigs = [ordered]@{}
    foreach ($c in $Clusters) { $kubeconfigs[$c] = Join-Path $Directory "$c.kubeconfig" }
    [pscustomobject]@{
        PSTypeName  = 'OssmTest.Lab'
        Directory   = $Directory
        Clusters    = $Clusters
        Kubeconfigs = $kubeconfigs
        Owned       = $Owned
    }
}

function Stop-TestLab {
    <# Stops a lab this test file started; the shared lab is build.ps1's to stop. #>
    param([Parameter(Mandatory)] $Lab)
    if ($Lab.Owned) { $null = Invoke-LabScript stop $Lab.Directory --purge }
}

function Set-LabVariable {
    <# $west, $east, … in the caller's scope hold the lab's kubeconfig paths, as a user's script would have them. #>
    param([Parameter(Mandatory)] $Lab, [System.Management.Automation.SessionState] $SessionState)
    foreach ($c in $Lab.Clusters) {
        $SessionState.PSVariable.Set($c, $Lab.Kubeconfigs[$c])
    }
}

function Get-LabKubeconfig {
    param([Parameter(Mandatory)] $Lab, [Parameter(Mandatory)] [string] $Cluster, [switch] $Nobody)
    if ($Nobody) { Join-Path $Lab.Directory "$Cluster-nobody.kubeconfig" } else { $Lab.Kubeconfigs[$Cluster] }
}

function Invoke-LabKubectl {
    <#
    .SYNOPSIS
        kubectl against one lab cluster: Invoke-LabKubectl $lab west -n ns get secret x. Throws with kubectl's message
        when it fails; with -Try right after the cluster, returns @{ Code; Output } instead.
    .NOTES
        No param block on purpose: kubectl's own flags (-n, -l, -p, -o) must reach kubectl, not bind to PowerShell
        parameters.
    #>
    $Lab, $Cluster, $rest = $args
    $rest = @($rest)
    $try = $rest.Count -gt 0 -and $rest[0] -eq '-Try'
    if ($try) { $rest = @($rest | Select-Object -Skip 1) }
    $output = & kubectl --kubeconfig $Lab.Kubeconfigs[$Cluster] @rest 2>&1 | Out-String
    $code = $LASTEXITCODE
    if ($try) { return [pscustomobject]@{ Code = $code; Output = $output } }
    if ($code -ne 0) { throw "kubectl $($rest -join ' ') on $Cluster failed: $output" }
    $output.TrimEnd("`n")
}

function Get-LabObject {
    <# One object as kubectl -o json gives it, parsed; $null when it does not exist. #>
    param([Parameter(Mandatory)] $Lab, [Parameter(Mandatory)] [string] $Cluster, [Parameter(Mandatory)] [string[]] $Arguments)
    $r = Invoke-LabKubectl $Lab $Cluster -Try get @Arguments -o json
    if ($r.Code -ne 0) {
        if ($r.Output -match 'NotFound|not found') { return $null }
        throw "kubectl get $($Arguments -join ' ') on $Cluster failed: $($r.Output)"
    }
    $r.Output | ConvertFrom-Json -AsHashtable
}

function Stop-LabCluster([Parameter(Mandatory)] $Lab, [Parameter(Mandatory)] [string] $Cluster) { $null = Invoke-LabScript stop-cluster $Lab.Directory $Cluster }

function Stop-LabApiServer([Parameter(Mandatory)] $Lab, [Parameter(Mandatory)] [string] $Cluster) { $null = Invoke-LabScript stop-apiserver $Lab.Directory $Cluster }

function Start-LabApiServer([Parameter(Mandatory)] $Lab, [Parameter(Mandatory)] [string] $Cluster) { $null = Invoke-LabScript start-apiserver $Lab.Directory $Cluster }

function New-LabClientPod {
    <#
    .SYNOPSIS
        A client pod (sidecar first, then the client container) in a namespace, created if need be with it. The lab has
        no kubelet: -Ready patches the pod's status as one would (Running and ready), -NotReady leaves the client
        container not ready, neither leaves it Pending.
    #>
    param(
        [Parameter(Mandatory)] $Lab, [Parameter(Mandatory)] [string] $Cluster, [Parameter(Mandatory)] [string] $Namespace,
        [Parameter(Mandatory)] [string] $Name, [Parameter(Mandatory)] [string] $App, [switch] $Ready, [switch] $NotReady
    )
    $pod = @{
        apiVersion = 'v1'; kind = 'Pod'
        metadata   = @{ name = $Name; namespace = $Namespace; labels = @{ app = $App } }
        spec       = @{
            automountServiceAccountToken = $false
            containers                   = @(
                @{ name = 'istio-proxy'; image = 'registry.redhat.io/openshift-service-mesh/proxyv2-rhel8' },
                @{ name = 'sleep'; image = 'curlimages/curl' })
        }
    }
    $file = New-TemporaryFile
    try {
        $pod | ConvertTo-Json -Depth 10 | Set-Content $file
        $null = Invoke-LabKubectl $Lab $Cluster -Try create namespace $Namespace
        # The namespace's default service account comes from the controller manager a moment after the namespace.
        for ($attempt = 0; ; $attempt++) {
            $r = Invoke-LabKubectl $Lab $Cluster -Try apply -f $file
            if ($r.Code -eq 0) { break }
            if ($attempt -ge 50 -or $r.Output -notmatch 'serviceaccount') { throw "creating pod $Namespace/$Name on ${Cluster}: $($r.Output)" }
            Start-Sleep -Milliseconds 200
        }
    }
    finally { Remove-Item $file }
    if ($Ready -or $NotReady) {
        $statuses = foreach ($c in 'istio-proxy', 'sleep') {
            @{ name = $c; ready = ($Ready -or $c -eq 'istio-proxy'); restartCount = 0; image = 'x'; imageID = ''
                state = @{ running = @{ startedAt = '2026-01-01T00:00:00Z' } } }
        }
        $patch = @{ status = @{ phase = 'Running'; containerStatuses = @($statuses) } } | ConvertTo-Json -Depth 10 -Compress
        $null = Invoke-LabKubectl $Lab $Cluster -n $Namespace patch pod $Name --subresource=status --type=merge -p $patch
    }
}

function Invoke-ModuleScript {
    <#
    .SYNOPSIS
        Runs a script in a fresh runspace of this process with the built module imported, and returns what every
        stream carried: Output, Errors (ErrorRecords), Warnings, Verbose, Debug, Information, Progress (each record as
        "activity|status operation|record type", as it was when written) and Terminating (the terminating error's
        ErrorRecord, if the script stopped on one). For tests of streams a redirection cannot catch (progress) or of a
        session of its own; everything else runs in the test's own scope.
    #>
    param(
        [Parameter(Mandatory, Position = 0)] [string] $Script,
        [hashtable] $Variables = @{},
        [switch] $NoModule
    )
    $state = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
    if (-not $NoModule) { $null = $state.ImportPSModule([string[]] @(Get-ModuleManifestPath)) }
    $runspace = [runspacefactory]::CreateRunspace($state)
    $runspace.Open()
    $ps = [powershell]::Create($runspace)
    try {
        foreach ($name in $Variables.Keys) { $runspace.SessionStateProxy.SetVariable($name, $Variables[$name]) }
        $null = $ps.AddScript($Script)
        $progress = [System.Collections.Generic.List[string]]::new()
        $progressStream = $ps.Streams.Progress
        $handler = {
            param($s, $e)
            $r = $progressStream[$e.Index]
            $line = "$($r.Activity)|$($r.StatusDescription)$(if ($null -ne $r.CurrentOperation) { ' ' + $r.CurrentOperation })|$($r.RecordType)"
            [System.Threading.Monitor]::Enter($progress)
            try { $progress.Add($line) } finally { [System.Threading.Monitor]::Exit($progress) }
        }.GetNewClosure()
        $progressStream.add_DataAdded($handler)
        $terminating = $null
        $output = @()
        try { $output = @($ps.Invoke()) }
        catch {
            # A method call wraps what the script threw: take the innermost exception that carries an ErrorRecord.
            $ex = $_.Exception
            while ($ex -is [System.Management.Automation.MethodInvocationException] -and $ex.InnerException) { $ex = $ex.InnerException }
            $terminating = if ($ex -is [System.Management.Automation.IContainsErrorRecord]) { $ex.ErrorRecord } else { $_ }
        }
        [pscustomobject]@{
            PSTypeName  = 'OssmTest.ScriptRun'
            Output      = $output
            Errors      = @($ps.Streams.Error)
            Warnings    = @($ps.Streams.Warning | ForEach-Object Message)
            Verbose     = @($ps.Streams.Verbose | ForEach-Object Message)
            Debug       = @($ps.Streams.Debug | ForEach-Object Message)
            Information = @($ps.Streams.Information | ForEach-Object { "$($_.MessageData)" })
            Progress    = @($progress)
            Terminating = $terminating
        }
    }
    finally {
        $ps.Dispose()
        $runspace.Dispose()
    }
}

function Get-ScriptRunErrorId {
    <# Every FullyQualifiedErrorId of a run, the terminating one included. #>
    param([Parameter(Mandatory, ValueFromPipeline)] $Run)
    process {
        @($Run.Errors | ForEach-Object FullyQualifiedErrorId) + @($Run.Terminating | Where-Object { $_ } | ForEach-Object FullyQualifiedErrorId)
    }
}

function Get-ScriptRunText {
    <# All the text a run's streams carried (errors with their recommended action), for scanning for secrets. #>
    param([Parameter(Mandatory, ValueFromPipeline)] $Run)
    process {
        (@($Run.Output | ForEach-Object { "$_" }) +
            @($Run.Errors | ForEach-Object { "$_ $($_.ErrorDetails.RecommendedAction)" }) +
            $Run.Warnings + $Run.Verbose + $Run.Debug + $Run.Information + $Run.Progress +
            @($Run.Terminating | Where-Object { $_ } | ForEach-Object { "$_" })) -join "`n"
    }
}

function Assert-NoScriptError {
    <# Fails with every error id and message when a run wrote an error or stopped on one. #>
    param([Parameter(Mandatory, ValueFromPipeline)] $Run)
    process {
        if ($Run.Terminating) { throw "terminating error: $($Run.Terminating.FullyQualifiedErrorId) $($Run.Terminating)" }
        if ($Run.Errors.Count) { throw "errors: $(($Run.Errors | ForEach-Object { "$($_.FullyQualifiedErrorId) $_" }) -join ' | ')" }
    }
}

function New-TestDirectory {
    <# A fresh folder under the temp folder; the caller removes it (Remove-Item -Recurse). #>
    (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "ossm-test-$([guid]::NewGuid().ToString('n').Substring(0, 8))")).FullName
}

Export-ModuleMember -Function *
