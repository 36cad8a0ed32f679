<#
.SYNOPSIS
    End to end: the walkthrough's steps 4-10, 12 and 14 as its authors wrote them (openssl and one kubectl per oc
    call, bench/walkthrough-steps.sh) against the module's pipeline, on a loopback lab of two clusters, in the same
    run; then the module alone on N = 2, 4, 8 clusters; and the module's import time in fresh processes.
.DESCRIPTION
    Run on demand, not in the test suite (after dotnet build):
        out/ossm-run/ossm-run bench/end-to-end.ps1 [-Runs 5] [-Sizes 2,4,8] [-ScaleRuns 3] [-ImportRuns 7]
                                                  [-SkipImport] [-SkipComparison] [-SkipScaling]
    Targets: module / walkthrough <= 0.25 (ratio of the medians), Import-Module < 0.5 s, near-linear growth in N.

    How it is measured (the script prints this too):
    - Both sides use RSA 4096 keys, cluster names west-cluster/east-cluster and networks west-network/east-network,
      and end with the same objects on both clusters, checked after every run (namespace label, cacerts with the
      same root on both sides, ServiceMeshControlPlane with the other network and its gateway address, east-west
      Service/Deployment/Gateway, the other cluster's remote secret, its token accepted by a TokenReview on the
      cluster it reads). A run that is not verified stops the benchmark.
    - Before every run, untimed: istio-system is deleted on every cluster and waited for (both sides start from the
      same empty clusters), the module's key pool is emptied (no run gets keys generated during another) and .NET's
      garbage collector is run.
    - Untimed in both sides, after the control plane (step 7): the OSSM operator's part, which the lab lacks:
      istio-reader-service-account is created in istio-system (one kubectl per cluster).
    - Gateway addresses: the lab's stand-in load balancer gives a LoadBalancer Service its address up to about a
      second after it is created (it polls once a second), as a cloud does asynchronously (in minutes). Both sides
      ask every 0.5 s until it is there: the walkthrough script at steps 12 and 14, the module with Wait-MeshGateway
      after step 8. That wait is shown on a line of its own.
    - The walkthrough runs as a bash process per run; its time is the sum of its timed steps (bash's
      $EPOCHREALTIME), so the untimed stand-in is left out. The module runs in this one PowerShell session, as a
      user's session would: the first module run is the cold one (JIT, first connections) and is reported apart;
      the medians are of the warm runs that follow. The two sides alternate which goes first.
    - Import-Module is timed inside fresh ossm-run processes (ossm-run's own start-up is reported apart: it is the
      host, not the module).
    The machine's load average is printed with every run: these are wall-clock times on a shared 2-core machine.
#>
param(
    [ValidateRange(1, 100)] [int] $Runs = 5,
    # Strings, so that ossm-run's -Sizes 2,4,8 (one argument, as with pwsh -File) works too.
    [string[]] $Sizes = @('2', '4', '8'),
    [ValidateRange(1, 100)] [int] $ScaleRuns = 3,
    [ValidateRange(1, 100)] [int] $ImportRuns = 7,
    [switch] $SkipImport,
    [switch] $SkipComparison,
    [switch] $SkipScaling
)

$ErrorActionPreference = 'Stop'
[int[]] $Sizes = @($Sizes -split ',' | Where-Object { $_ } | ForEach-Object { [int]$_ })
if (@($Sizes | Where-Object { $_ -lt 2 -or $_ -gt 16 }).Count) { throw "-Sizes takes cluster counts from 2 to 16, not $($Sizes -join ', ')." }
# The cmdlets' progress records would be printed as lines on stderr by ossm-run: left out, on both counts.
$ProgressPreference = 'SilentlyContinue'
$invariant = [Globalization.CultureInfo]::InvariantCulture
$lab = Join-Path $PSScriptRoot '../tests/lab/lab.sh'
$walkthrough = Join-Path $PSScriptRoot 'walkthrough-steps.sh'
$work = Join-Path ([IO.Path]::GetTempPath()) "ossm-bench-e2e-$PID"
$meshId = 'bookinfo-mesh'
foreach ($tool in 'openssl', 'kubectl', 'bash') {
    if (-not (Get-Command $tool -ErrorAction SilentlyContinue)) { throw "$tool is not on PATH." }
}

function Get-Load { ([IO.File]::ReadAllText('/proc/loadavg') -split ' ')[0..2] -join ' ' }

function Get-Median([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    $mid = [int][Math]::Floor($sorted.Count / 2)
    if ($sorted.Count % 2) { $sorted[$mid] } else { ($sorted[$mid - 1] + $sorted[$mid]) / 2 }
}

function Format-Stats([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    '{0,6:N2} s  (min {1:N2}, max {2:N2}, n={3})' -f (Get-Median $Values), $sorted[0], $sorted[-1], $sorted.Count
}

# Clusters as the benchmark knows them: mesh name, network, kubeconfig, API server URL.
function New-BenchCluster([string] $Name, [string] $Network, [string] $Kubeconfig) {
    $server = ([IO.File]::ReadAllLines($Kubeconfig) | Where-Object { $_ -match '^\s*server:\s*(\S+)' } | Select-Object -First 1) -replace '^\s*server:\s*', ''
    [pscustomobject]@{ Name = $Name; Network = $Network; Kubeconfig = $Kubeconfig; Server = $server }
}

function Start-Lab([string] $Directory, [string[]] $Names, [string[]] $Options) {
    $kubeconfigs = @(& bash $lab start $Directory @Options @Names 2>$null)
    if ($LASTEXITCODE) { throw "lab.sh start failed for $($Names -join ', ') (see $Directory)" }
    $kubeconfigs
}

# Untimed: every cluster back to no istio-system, no keys waiting in the module's pool, a collected heap.
function Reset-Clusters($Clusters) {
    $commands = foreach ($c in $Clusters) { "kubectl --kubeconfig '$($c.Kubeconfig)' delete namespace istio-system --ignore-not-found --wait=true --timeout=120s >/dev/null &" }
    & bash -c (($commands -join "`n") + "`nwait")
    foreach ($c in $Clusters) {
        $left = & kubectl --kubeconfig $c.Kubeconfig get namespace istio-system --ignore-not-found -o name
        if ($left) { throw "Reset failed: $($c.Name) still has istio-system." }
    }
    $null = [OssmMultiCluster.Pki.KeyPool]::Shared.DiscardAsync().GetAwaiter().GetResult()
    [GC]::Collect()
    [GC]::WaitForPendingFinalizers()
}

# Untimed in both sides: what the OSSM operator does when the control plane appears (the lab has no operator).
function Invoke-OperatorStandIn($Clusters) {
    foreach ($c in $Clusters) {
        $null = & kubectl --kubeconfig $c.Kubeconfig -n istio-system create serviceaccount istio-reader-service-account
        if ($LASTEXITCODE) { throw "Could not create istio-reader-service-account on $($c.Name)." }
    }
}

# The reference: bench/walkthrough-steps.sh in a fresh folder; its "time <step> <seconds>" lines.
function Invoke-Walkthrough($Clusters, [string] $Directory, [string[]] $LbForms) {
    $env:KUBECONFIG_WEST = $Clusters[0].Kubeconfig
    $env:KUBECONFIG_EAST = $Clusters[1].Kubeconfig
    $env:LB_WEST = $LbForms[0]
    $env:LB_EAST = $LbForms[1]
    $lines = @(& bash $walkthrough $Directory)
    if ($LASTEXITCODE) {
        $log = [IO.File]::ReadAllLines((Join-Path $Directory 'walkthrough.log')) | Select-Object -Last 15
        throw "walkthrough-steps.sh failed (exit code $LASTEXITCODE); end of its log:`n$($log -join "`n")"
    }
    $steps = [ordered]@{}
    foreach ($line in $lines) {
        $name, $seconds = ($line -replace '^time ', '') -split ' '
        $steps[$name] = [double]::Parse($seconds, $invariant)
    }
    $address = $steps['step12-address'] + $steps['step14-address']
    $pki = $steps.step4 + $steps.step5
    $total = $steps.step4 + $steps.step5 + $steps.step6 + $steps.step7 + $steps.step8 + $steps.step9 + $steps.step10 + $steps.step12 + $steps.step14
    [pscustomobject]@{
        Side = 'walkthrough'; Total = $total; Pki = $pki; AddressWait = $address; Kube = $total - $pki - $address; Steps = $steps
    }
}

# The module's pipeline, each step timed; the operator stand-in between steps 7 and 8 is not.
function Invoke-ModulePipeline($Clusters) {
    $steps = [ordered]@{}
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $root = New-MeshRootCA
    $steps['4 New-MeshRootCA'] = $watch.Elapsed.TotalSeconds; $watch.Restart()
    $mesh = Get-MeshCluster -Kubeconfig $Clusters.Kubeconfig -Name $Clusters.Name -Network $Clusters.Network
    $steps['2-3 Get-MeshCluster'] = $watch.Elapsed.TotalSeconds; $watch.Restart()
    $cas = $mesh | New-MeshIntermediateCA -RootCA $root
    $steps['5 New-MeshIntermediateCA'] = $watch.Elapsed.TotalSeconds; $watch.Restart()
    $null = $cas | Install-MeshCACertificate
    $steps['6 Install-MeshCACertificate'] = $watch.Elapsed.TotalSeconds; $watch.Restart()
    $null = $mesh | Install-MeshControlPlane -MeshId $meshId
    $steps['7 Install-MeshControlPlane'] = $watch.Elapsed.TotalSeconds
    Invoke-OperatorStandIn $Clusters
    $watch.Restart()
    $null = $mesh | Install-MeshEastWestGateway
    $steps['8 Install-MeshEastWestGateway'] = $watch.Elapsed.TotalSeconds; $watch.Restart()
    $null = $mesh | Wait-MeshGateway
    $steps['address Wait-MeshGateway'] = $watch.Elapsed.TotalSeconds; $watch.Restart()
    # The lab's API servers are on loopback: Connect-MeshCluster warns that other clusters could not reach them.
    $null = Connect-MeshCluster -Cluster $mesh -WarningAction SilentlyContinue
    $steps['9-14 Connect-MeshCluster'] = $watch.Elapsed.TotalSeconds
    $total = 0.0
    foreach ($value in $steps.Values) { $total += $value }
    $pki = $steps['4 New-MeshRootCA'] + $steps['5 New-MeshIntermediateCA']
    $address = $steps['address Wait-MeshGateway']
    [pscustomobject]@{
        Side = 'module'; Total = $total; Pki = $pki; AddressWait = $address; Kube = $total - $pki - $address; Steps = $steps
    }
}

function Get-Json($Kubeconfig, [string[]] $Arguments) {
    $text = & kubectl --kubeconfig $Kubeconfig @Arguments -o json 2>$null
    if ($LASTEXITCODE) { return $null }
    ($text -join "`n") | ConvertFrom-Json
}

# After every run, untimed: both sides must leave the same mesh behind. Returns what is wrong (nothing: verified).
function Test-Mesh($Clusters) {
    $problems = [Collections.Generic.List[string]]::new()
    $seen = @{}
    foreach ($c in $Clusters) {
        $list = Get-Json $c.Kubeconfig @('-n', 'istio-system', 'get', 'namespace/istio-system', 'secret/cacerts', 'servicemeshcontrolplane.maistra.io/basic',
            'service/istio-eastwestgateway', 'deployment.apps/istio-eastwestgateway', 'gateway.networking.istio.io/istio-eastwestgateway')
        if (-not $list -or @($list.items).Count -ne 6) { $problems.Add("$($c.Name): namespace, cacerts, control plane or gateway objects missing"); continue }
        $byKind = @{}
        foreach ($item in $list.items) { $byKind[$item.kind] = $item }
        $remote = Get-Json $c.Kubeconfig @('-n', 'istio-system', 'get', 'secrets', '-l', 'istio/multiCluster=true')
        $seen[$c.Name] = [pscustomobject]@{
            Namespace = $byKind.Namespace; CACerts = $byKind.Secret; ControlPlane = $byKind.ServiceMeshControlPlane; Service = $byKind.Service
            Remote = @($remote.items)
        }
    }
    if ($problems.Count) { return $problems }

    $addresses = @{}
    foreach ($c in $Clusters) {
        $ingress = @($seen[$c.Name].Service.status.loadBalancer.ingress)[0]
        $addresses[$c.Name] = if ($ingress.ip) { $ingress.ip } else { $ingress.hostname }
    }
    $roots = @($Clusters | ForEach-Object { $seen[$_.Name].CACerts.data.'root-cert.pem' } | Sort-Object -Unique)
    if ($roots.Count -ne 1) { $problems.Add('the clusters'' cacerts do not share one root-cert.pem') }
    $tokens = @{}
    foreach ($c in $Clusters) {
        $s = $seen[$c.Name]
        if ($s.Namespace.metadata.labels.'topology.istio.io/network' -ne $c.Network) { $problems.Add("$($c.Name): istio-system not labelled $($c.Network)") }
        foreach ($file in 'ca-cert.pem', 'ca-key.pem', 'root-cert.pem', 'cert-chain.pem') {
            if (-not $s.CACerts.data.$file) { $problems.Add("$($c.Name): cacerts has no $file") }
        }
        $spec = $s.ControlPlane.spec
        if ($spec.cluster.name -ne $c.Name -or $spec.cluster.network -ne $c.Network -or $spec.techPreview.global.meshID -ne $meshId) {
            $problems.Add("$($c.Name): control plane cluster name, network or mesh ID wrong")
        }
        if (-not $addresses[$c.Name]) { $problems.Add("$($c.Name): gateway has no address") }
        $networks = $spec.cluster.multiCluster.meshNetworks
        $others = @($Clusters | Where-Object Name -ne $c.Name)
        if (@($networks.PSObject.Properties).Count -ne $others.Count) { $problems.Add("$($c.Name): mesh networks list $(@($networks.PSObject.Properties).Count) networks, not $($others.Count)") }
        if (@($s.Remote).Count -ne $others.Count) { $problems.Add("$($c.Name): $(@($s.Remote).Count) remote secrets, not $($others.Count)") }
        foreach ($o in $others) {
            $network = $networks.($o.Network)
            # (Not @(...).address: arrays have an Address method, which member access would find first.)
            $gateways = @($network.gateways | ForEach-Object { '{0}:{1}' -f $_.address, $_.port })
            if (@($network.endpoints | ForEach-Object { $_.fromRegistry }) -notcontains $o.Name -or $gateways -notcontains "$($addresses[$o.Name]):15443") {
                $problems.Add("$($c.Name): mesh networks lack $($o.Network) with $($o.Name) and gateway $($addresses[$o.Name]):15443")
            }
            $secret = @($s.Remote | Where-Object { $_.metadata.name -eq "istio-remote-secret-$($o.Name)" })[0]
            if (-not $secret -or $secret.metadata.annotations.'networking.istio.io/cluster' -ne $o.Name -or -not $secret.data.($o.Name)) {
                $problems.Add("$($c.Name): remote secret of $($o.Name) missing or not annotated"); continue
            }
            $kubeconfig = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($secret.data.($o.Name)))
            if ($kubeconfig -notmatch "server: $([regex]::Escape($o.Server))") { $problems.Add("$($c.Name): remote secret of $($o.Name) does not name $($o.Server)") }
            if ($kubeconfig -match 'token: (\S+)') { $tokens["$($o.Name)`n$($Matches[1])"] = $o } else { $problems.Add("$($c.Name): remote secret of $($o.Name) has no token") }
        }
    }
    # Each distinct token, on the cluster it reads: it must be istio-reader-service-account's (tokens are never printed).
    foreach ($key in $tokens.Keys) {
        $o = $tokens[$key]
        $review = @{ apiVersion = 'authentication.k8s.io/v1'; kind = 'TokenReview'; spec = @{ token = ($key -split "`n")[1] } } | ConvertTo-Json -Compress
        $answer = ($review | & kubectl --kubeconfig $o.Kubeconfig create -f - -o json 2>$null) -join "`n" | ConvertFrom-Json
        if (-not $answer.status.authenticated -or $answer.status.user.username -ne 'system:serviceaccount:istio-system:istio-reader-service-account') {
            $problems.Add("$($o.Name): the token in its remote secret is not istio-reader-service-account's")
        }
    }
    $problems
}

function Assert-Mesh($Clusters, [string] $What) {
    $problems = @(Test-Mesh $Clusters)
    if ($problems.Count) { throw "$What left an incomplete mesh:`n  $($problems -join "`n  ")" }
}

function Write-Progress-Line([string] $Text) { [Console]::Error.WriteLine($Text) }

$null = New-Item -ItemType Directory -Path $work -Force
$report = [Collections.Generic.List[string]]::new()
$report.Add("End-to-end benchmark, $([DateTime]::UtcNow.ToString('yyyy-MM-dd HH:mm', $invariant)) UTC, $([Environment]::ProcessorCount) cores, load average at start $(Get-Load)")
$report.Add("  ($([Runtime.InteropServices.RuntimeInformation]::FrameworkDescription), $(& openssl version), kubectl $((& kubectl version --client -o json | ConvertFrom-Json).clientVersion.gitVersion))")
try {
    if (-not $SkipImport) {
        $ossmRun = Join-Path $PSScriptRoot '../out/ossm-run/ossm-run'
        $psd1 = Join-Path (Get-Module OssmMultiCluster).ModuleBase 'OssmMultiCluster.psd1'
        $probe = @"
`$w = [Diagnostics.Stopwatch]::StartNew(); Import-Module '$psd1'; `$import = `$w.Elapsed.TotalSeconds
`$w.Restart(); `$null = New-MeshRootCA -KeyAlgorithm ECDSA -PregenerateKeys 0; `$first = `$w.Elapsed.TotalSeconds
`$w.Restart(); `$null = New-MeshRootCA -KeyAlgorithm ECDSA -PregenerateKeys 0; `$second = `$w.Elapsed.TotalSeconds
'{0} {1} {2}' -f `$import.ToString([cultureinfo]::InvariantCulture), `$first.ToString([cultureinfo]::InvariantCulture), `$second.ToString([cultureinfo]::InvariantCulture)
"@
        $imports = @(); $firsts = @(); $seconds = @(); $bare = @(); $whole = @()
        for ($i = 0; $i -lt $ImportRuns; $i++) {
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $null = & $ossmRun --no-module -c '0'
            $bare += $watch.Elapsed.TotalSeconds
            $watch.Restart()
            $line = & $ossmRun --no-module -c $probe
            $whole += $watch.Elapsed.TotalSeconds
            if ($LASTEXITCODE) { throw "The import probe failed: $line" }
            $import, $first, $second = $line -split ' ' | ForEach-Object { [double]::Parse($_, $invariant) }
            $imports += $import; $firsts += $first; $seconds += $second
        }
        $report.Add('')
        $report.Add("Module import, $ImportRuns fresh ossm-run processes each (target: Import-Module < 0.5 s):")
        $report.Add("  Import-Module OssmMultiCluster           $(Format-Stats $imports)")
        $report.Add("  then a first command (ECDSA root CA)     $(Format-Stats $firsts)   the same command again: $(Format-Stats $seconds)")
        $report.Add("  (ossm-run start-up without the module: $(Format-Stats $bare); whole process with import and commands: $(Format-Stats $whole))")
        Write-Progress-Line (($report | Select-Object -Last 4) -join "`n")
    }

    if (-not $SkipComparison) {
        $labDir = Join-Path $work 'lab2'
        # west's load balancer gives an IP (the walkthrough's GCP/Azure line), east's a hostname (its AWS line).
        $kubeconfigs = Start-Lab $labDir @('west', 'east') @('--lb-hostname', 'east')
        try {
            $clusters = @(
                New-BenchCluster 'west-cluster' 'west-network' $kubeconfigs[0]
                New-BenchCluster 'east-cluster' 'east-network' $kubeconfigs[1])
            $lbForms = @('ip', 'hostname')
            $results = @{ walkthrough = @(); module = @() }
            $loads = @()
            $runIndex = 0
            # Warm-up: one walkthrough (page cache, kubectl and openssl binaries) and the module's cold first run.
            foreach ($side in 'walkthrough', 'module') {
                Reset-Clusters $clusters
                $result = if ($side -eq 'walkthrough') { Invoke-Walkthrough $clusters (Join-Path $work "warm-$side") $lbForms } else { Invoke-ModulePipeline $clusters }
                Assert-Mesh $clusters "The warm-up $side run"
                if ($side -eq 'module') { $cold = $result }
                Write-Progress-Line ("warm-up  {0,-12} {1,6:N2} s  load {2}  verified" -f $side, $result.Total, (Get-Load))
            }
            for ($i = 0; $i -lt $Runs; $i++) {
                $pair = if ($i % 2) { 'module', 'walkthrough' } else { 'walkthrough', 'module' }
                foreach ($side in $pair) {
                    Reset-Clusters $clusters
                    $load = Get-Load
                    $loads += [double]::Parse(($load -split ' ')[0], $invariant)
                    $result = if ($side -eq 'walkthrough') { Invoke-Walkthrough $clusters (Join-Path $work "run-$i-$side") $lbForms } else { Invoke-ModulePipeline $clusters }
                    Assert-Mesh $clusters "Run $($i + 1) of the $side"
                    $results[$side] += $result
                    Write-Progress-Line ("run {0,-4} {1,-12} {2,6:N2} s  (keys {3:N2}, kube {4:N2}, address wait {5:N2})  load before {6}  verified" -f ($i + 1), $side, $result.Total, $result.Pki, $result.Kube, $result.AddressWait, $load)
                    Write-Progress-Line ('         steps: ' + (($result.Steps.Keys | ForEach-Object { '{0} {1:N2}' -f $_, $result.Steps[$_] }) -join ', '))
                }
            }

            $w = $results.walkthrough; $m = $results.module
            $ratio = (Get-Median $m.Total) / (Get-Median $w.Total)
            $report.Add('')
            $report.Add("Walkthrough steps 4-10, 12, 14 vs the module's pipeline, 2 lab clusters, RSA 4096, $Runs runs each, alternating")
            $report.Add("(1-minute load average before the runs, which counts the benchmark's own previous run: median $((Get-Median $loads).ToString('N2')), max $(($loads | Measure-Object -Maximum).Maximum.ToString('N2'))):")
            $report.Add("  walkthrough (bash, openssl, kubectl)   $(Format-Stats $w.Total)")
            $report.Add("  module pipeline (warm session)         $(Format-Stats $m.Total)")
            $report.Add("  module, cold first run in the session {0,6:N2} s" -f $cold.Total)
            $report.Add(("  RATIO module / walkthrough (medians)   {0,6:N2}   (target <= 0.25: {1})" -f $ratio, $(if ($ratio -le 0.25) { 'met' } else { 'NOT met' })))
            $report.Add('')
            $report.Add('Where the time goes (medians, seconds):                  walkthrough   module   ratio')
            foreach ($part in @(('Pki', 'keys and certificates (steps 4-5)'), ('Kube', 'Kubernetes work (steps 6-10, 12, 14)'), ('AddressWait', 'waiting for the gateway addresses'), ('Total', 'total'))) {
                $wm = Get-Median ($w | ForEach-Object { $_.($part[0]) }); $mm = Get-Median ($m | ForEach-Object { $_.($part[0]) })
                $report.Add(("  {0,-52} {1,8:N2} {2,8:N2} {3,7:N2}" -f $part[1], $wm, $mm, $(if ($wm) { $mm / $wm } else { 0 })))
            }
            $report.Add('  walkthrough steps: ' + (($w[0].Steps.Keys | ForEach-Object { $k = $_; '{0} {1:N2}' -f $k, (Get-Median ($w | ForEach-Object { $_.Steps[$k] })) }) -join ', '))
            $report.Add('  module steps:      ' + (($m[0].Steps.Keys | ForEach-Object { $k = $_; '{0} {1:N2}' -f $k, (Get-Median ($m | ForEach-Object { $_.Steps[$k] })) }) -join ', '))
            $report.Add('  module cold run:   ' + (($cold.Steps.Keys | ForEach-Object { '{0} {1:N2}' -f $_, $cold.Steps[$_] }) -join ', '))
            $report.Add('  (step12-address/step14-address are inside step12/step14; the module''s Connect-MeshCluster does steps 9, 10, 12 and 14)')
        }
        finally {
            & bash $lab stop $labDir --purge
        }
    }

    if (-not $SkipScaling -and $Sizes.Count) {
        $largest = ($Sizes | Measure-Object -Maximum).Maximum
        $labDir = Join-Path $work "lab$largest"
        $names = 1..$largest | ForEach-Object { "c$_" }
        $kubeconfigs = Start-Lab $labDir $names @()
        try {
            $all = for ($i = 0; $i -lt $largest; $i++) { New-BenchCluster $names[$i] "$($names[$i])-network" $kubeconfigs[$i] }
            # Untimed warm-up at the smallest size, so that no N pays the session's first-call costs.
            $smallest = @($all[0..(($Sizes | Measure-Object -Minimum).Minimum - 1)])
            Reset-Clusters $smallest
            $null = Invoke-ModulePipeline $smallest
            Assert-Mesh $smallest 'The warm-up module run'
            $rows = foreach ($n in $Sizes | Sort-Object) {
                $subset = @($all[0..($n - 1)])
                $runsN = @()
                for ($r = 0; $r -lt $ScaleRuns; $r++) {
                    Reset-Clusters $subset
                    $load = Get-Load
                    $result = Invoke-ModulePipeline $subset
                    Assert-Mesh $subset "The module on $n clusters"
                    $runsN += $result
                    Write-Progress-Line ("N={0,-2} run {1}  {2,6:N2} s  (keys {3:N2}, kube {4:N2}, address wait {5:N2})  load before {6}  verified" -f $n, ($r + 1), $result.Total, $result.Pki, $result.Kube, $result.AddressWait, $load)
                    Write-Progress-Line ('         steps: ' + (($result.Steps.Keys | ForEach-Object { '{0} {1:N2}' -f $_, $result.Steps[$_] }) -join ', '))
                }
                [pscustomobject]@{
                    N = $n; Total = (Get-Median $runsN.Total); Min = ($runsN.Total | Measure-Object -Minimum).Minimum; Max = ($runsN.Total | Measure-Object -Maximum).Maximum
                    Pki = (Get-Median $runsN.Pki); Kube = (Get-Median $runsN.Kube); AddressWait = (Get-Median $runsN.AddressWait)
                }
            }
            $report.Add('')
            $report.Add("The module alone on N lab clusters (one lab of $largest clusters running throughout; $ScaleRuns runs per N; N RSA 4096 intermediates + root; N*(N-1) remote secrets):")
            $report.Add('     N   median    min    max     keys   kube  address   growth vs N=' + $rows[0].N + ': total (kube part) for clusters (remote secrets)')
            foreach ($row in $rows) {
                $report.Add(('  {0,4} {1,8:N2} {2,6:N2} {3,6:N2} {4,8:N2} {5,6:N2} {6,8:N2}   {7:N2}x ({8:N2}x) for {9:N1}x ({10:N1}x)' -f $row.N, $row.Total, $row.Min, $row.Max, $row.Pki, $row.Kube, $row.AddressWait,
                    ($row.Total / $rows[0].Total), ($row.Kube / $rows[0].Kube), ($row.N / $rows[0].N), (($row.N * ($row.N - 1)) / ($rows[0].N * ($rows[0].N - 1)))))
            }
            $report.Add('  (medians in seconds; keys: New-MeshRootCA + New-MeshIntermediateCA, N+1 RSA 4096 keys and a spare on the machine''s cores)')
        }
        finally {
            & bash $lab stop $labDir --purge
        }
    }
    $report.Add('')
    $report.Add("Load average at the end: $(Get-Load)")
    $report.Add('How to read this: wall-clock seconds; ratio = module median / walkthrough median. Both sides make RSA 4096 keys and')
    $report.Add('leave the same objects, checked after every run. Untimed: resetting the clusters (istio-system deleted), the key pool')
    $report.Add('emptied, and the OSSM operator''s part (istio-reader-service-account, created after step 7 on both sides). The lab''s')
    $report.Add('stand-in load balancer gives an address up to ~1 s after the Service appears; both sides ask every 0.5 s. The')
    $report.Add('walkthrough asks at step 12, after steps 9-10 have taken ~0.5 s of that wait; the module asks right after step 8.')
    $report.Add('The module runs warm in one session (its cold first run is shown apart). The load average counts this benchmark''s')
    $report.Add('own work too (key generation keeps both cores busy); on a busy machine, key generation times vary several-fold.')
}
finally {
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
    foreach ($name in 'KUBECONFIG_WEST', 'KUBECONFIG_EAST', 'LB_WEST', 'LB_EAST') { Remove-Item "env:$name" -ErrorAction SilentlyContinue }
}
$report
