<#
.SYNOPSIS
    The whole setup at a distance: the walkthrough's steps 4-10, 12 and 14 as its authors wrote them (openssl and one
    kubectl per oc call, bench/walkthrough-steps.sh) against the module's pipeline (bench/module-steps.ps1), on a
    two-cluster loopback lab whose API servers are 0, 20 and 50 ms round trip away (tests/lab/lab.sh --delay-ms, a
    relay delaying every chunk both ways); the module's Kubernetes part on N = 2, 4, 8 clusters at 20 ms; and the
    module's import time in fresh processes.
.DESCRIPTION
    Run on demand, never in the test suite (after dotnet pwsh ./build.ps1 -Task Build):
        dotnet pwsh bench/end-to-end.ps1 [-RoundTripMs 0,20,50] [-Runs 3] [-Sizes 2,4,8] [-ScaleRuns 2] [-ImportRuns 5]
    For each distance, with a lab of its own, each side alternately goes first, -Runs times each in two modes:
    - full: everything, RSA 4096 keys included: keys and certificates (steps 4-5), the gateway-address wait, end to end;
    - kube: both sides start from the same openssl-made CA files (made once per lab, untimed; the walkthrough's own
      openssl commands with the bench's cluster names): the Kubernetes part with no key generation anywhere.
    The Kubernetes part is everything timed but the keys and the address wait. Requests per cluster: the module's from
    its own call log (-Verbose: one line per request sent), the walkthrough's from kubectl -v=6 (one round_trippers
    line per request; kubectl's discovery cache is filled once per lab, untimed). Before every run, untimed, istio-system is deleted on every cluster and waited for (the same
    clusters start empty every run). Untimed on both sides: the OSSM operator's part (istio-reader-service-account).
    Each module run is a fresh pwsh process, as a runbook is: its first-call (JIT) costs are in its times; its
    import is not (it is reported apart). Every run is checked to have left the same mesh (remote-secret tokens by
    TokenReview). Medians; wall-clock seconds on a shared 2-core machine, with the load average printed.
#>
param(
    [string[]] $RoundTripMs = @('0', '20', '50'),
    [ValidateRange(1, 100)] [int] $Runs = 3,
    [string[]] $Sizes = @('2', '4', '8'),
    [ValidateRange(0, 100)] [int] $ScaleRuns = 2,
    [ValidateRange(0, 100)] [int] $ImportRuns = 5
)

$ErrorActionPreference = 'Stop'
[int[]] $RoundTripMs = @($RoundTripMs -split ',' | Where-Object { $_ } | ForEach-Object { [int]$_ })
[int[]] $Sizes = @($Sizes -split ',' | Where-Object { $_ } | ForEach-Object { [int]$_ })
$invariant = [Globalization.CultureInfo]::InvariantCulture
$lab = Join-Path $PSScriptRoot '../tests/lab/lab.sh'
$walkthrough = Join-Path $PSScriptRoot 'walkthrough-steps.sh'
$moduleSteps = Join-Path $PSScriptRoot 'module-steps.ps1'
$psd1 = Join-Path $PSScriptRoot '../out/OssmMultiCluster/OssmMultiCluster.psd1'
# The pwsh running this script (dotnet pwsh runs pwsh.dll under dotnet): fresh processes of the same version.
$pwshDll = Join-Path $PSHOME 'pwsh.dll'
$work = Join-Path ([IO.Path]::GetTempPath()) "ossm-bench-e2e-$PID"
$meshId = 'bookinfo-mesh'
if (-not (Test-Path $psd1)) { throw "Build first: dotnet pwsh ./build.ps1 -Task Build ($psd1 is missing)." }
foreach ($tool in 'openssl', 'kubectl', 'bash') {
    if (-not (Get-Command $tool -ErrorAction SilentlyContinue)) { throw "$tool is not on PATH." }
}

function Get-Load { ([IO.File]::ReadAllText('/proc/loadavg') -split ' ')[0..2] -join ' ' }

function Get-Median([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    $mid = [int][Math]::Floor($sorted.Count / 2)
    if ($sorted.Count % 2) { $sorted[$mid] } else { ($sorted[$mid - 1] + $sorted[$mid]) / 2 }
}

function Write-Line([string] $Text) { [Console]::Error.WriteLine($Text) }

function Start-Lab([string] $Directory, [string[]] $Names, [string[]] $Options) {
    $kubeconfigs = @(& bash $lab start $Directory @Options @Names 2>$null)
    if ($LASTEXITCODE) { throw "lab.sh start failed for $($Names -join ', ') (see $Directory)" }
    for ($i = 0; $i -lt $Names.Count; $i++) {
        $server = ([IO.File]::ReadAllLines($kubeconfigs[$i]) | Where-Object { $_ -match '^\s*server:\s*(\S+)' } | Select-Object -First 1) -replace '^\s*server:\s*', ''
        [pscustomobject]@{
            Lab = $Names[$i]; Kubeconfig = $kubeconfigs[$i]; Direct = Join-Path $Directory "$($Names[$i])/direct.kubeconfig"; Server = $server
            Port = ([uri]$server).Port; Name = $null; Network = $null
        }
    }
}

# Untimed: every cluster back to no istio-system (through the lab's direct kubeconfigs: no relay).
function Reset-Clusters($Clusters) {
    $commands = foreach ($c in $Clusters) { "kubectl --kubeconfig '$($c.Direct)' delete namespace istio-system --ignore-not-found --wait=true --timeout=120s >/dev/null &" }
    & bash -c (($commands -join "`n") + "`nwait")
    foreach ($c in $Clusters) {
        $left = & kubectl --kubeconfig $c.Direct get namespace istio-system --ignore-not-found -o name
        if ($left) { throw "Reset failed: $($c.Name) still has istio-system." }
    }
}

# Once per lab, untimed: a root and one intermediate per cluster, made with the walkthrough's openssl commands
# (RSA 4096), in the layout its steps 4-5 write; L= and the folder carry the bench's cluster name.
function New-OpenSslCAFiles([string] $Directory, [string[]] $Names) {
    $script = @'
set -euo pipefail
cd "$1"; shift
mkdir -p root
openssl genrsa -out root/root-key.pem 4096 2>/dev/null
printf '[ req ]\nencrypt_key = no\nprompt = no\nutf8 = yes\ndefault_md = sha256\ndefault_bits = 4096\nreq_extensions = req_ext\nx509_extensions = req_ext\ndistinguished_name = req_dn\n[ req_ext ]\nsubjectKeyIdentifier = hash\nbasicConstraints = critical, CA:true\nkeyUsage = critical, digitalSignature, nonRepudiation, keyEncipherment, keyCertSign\n[ req_dn ]\nO = Istio\nCN = Root CA\n' > root/root-ca.conf
openssl req -sha256 -new -key root/root-key.pem -config root/root-ca.conf -out root/root-cert.csr
openssl x509 -req -sha256 -days 3650 -signkey root/root-key.pem -extensions req_ext -extfile root/root-ca.conf -in root/root-cert.csr -out root/root-cert.pem 2>/dev/null
for cluster in "$@"; do
  mkdir -p "$cluster"
  openssl genrsa -out "$cluster/ca-key.pem" 4096 2>/dev/null
  printf '[ req ]\nencrypt_key = no\nprompt = no\nutf8 = yes\ndefault_md = sha256\ndefault_bits = 4096\nreq_extensions = req_ext\nx509_extensions = req_ext\ndistinguished_name = req_dn\n[ req_ext ]\nsubjectKeyIdentifier = hash\nbasicConstraints = critical, CA:true, pathlen:0\nkeyUsage = critical, digitalSignature, nonRepudiation, keyEncipherment, keyCertSign\nsubjectAltName=@san\n[ san ]\nDNS.1 = istiod.istio-system.svc\n[ req_dn ]\nO = Istio\nCN = Intermediate CA\nL = %s\n' "$cluster" > "$cluster/intermediate.conf"
  openssl req -new -config "$cluster/intermediate.conf" -key "$cluster/ca-key.pem" -out "$cluster/cluster-ca.csr"
  openssl x509 -req -sha256 -days 3650 -CA root/root-cert.pem -CAkey root/root-key.pem -CAcreateserial -extensions req_ext -extfile "$cluster/intermediate.conf" -in "$cluster/cluster-ca.csr" -out "$cluster/ca-cert.pem" 2>/dev/null
  cat "$cluster/ca-cert.pem" root/root-cert.pem > "$cluster/cert-chain.pem"
  cp root/root-cert.pem "$cluster"
done
'@
    $null = New-Item -ItemType Directory -Path $Directory -Force
    & bash -c $script bash $Directory @Names
    if ($LASTEXITCODE) { throw "openssl could not make the CA files in $Directory" }
}

# HTTP requests per server port in a walkthrough log written with kubectl -v=6.
function Get-KubectlRequests([string] $Log, $Clusters) {
    $counts = @{}
    foreach ($c in $Clusters) { $counts[$c.Name] = 0 }
    foreach ($line in [IO.File]::ReadLines($Log)) {
        if ($line -match 'round_trippers\.go:\d+\] (GET|POST|PUT|PATCH|DELETE) https://127\.0\.0\.1:(\d+)/') {
            $c = $Clusters | Where-Object Port -EQ ([int]$Matches[2])
            if ($c) { $counts[$c.Name]++ }
        }
    }
    $counts
}

function Invoke-Walkthrough($Clusters, [string] $Directory, [string] $CACertsFrom) {
    $env:KUBECONFIG_WEST = $Clusters[0].Kubeconfig
    $env:KUBECONFIG_EAST = $Clusters[1].Kubeconfig
    $env:LB_WEST = 'ip'; $env:LB_EAST = 'hostname'
    $env:KUBECTL_V = '6'
    $env:CACERTS_FROM = $CACertsFrom
    try { $lines = @(& bash $walkthrough $Directory) }
    finally { Remove-Item env:CACERTS_FROM, env:KUBECTL_V -ErrorAction SilentlyContinue }
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
    $keys = [double]$steps.step4 + [double]$steps.step5
    $total = $keys
    foreach ($s in 'step6', 'step7', 'step8', 'step9', 'step10', 'step12', 'step14') { $total += $steps[$s] }
    $requests = Get-KubectlRequests (Join-Path $Directory 'walkthrough.log') $Clusters
    [pscustomobject]@{
        Side = 'walkthrough'; Total = $total; Keys = $keys; AddressWait = $address; Kube = $total - $keys - $address; Steps = $steps
        Requests = ($requests.Values | Measure-Object -Sum).Sum / $Clusters.Count
    }
}

function Invoke-Module($Clusters, [string] $CACertsFrom) {
    $arguments = @('-NoProfile', '-NonInteractive', '-File', $moduleSteps, '-Kubeconfig', ($Clusters.Kubeconfig -join ','), '-Name', ($Clusters.Name -join ','),
        '-Network', ($Clusters.Network -join ','), '-DirectKubeconfig', ($Clusters.Direct -join ','))
    if ($CACertsFrom) { $arguments += '-CACertsFrom', $CACertsFrom }
    $json = & dotnet $pwshDll @arguments
    if ($LASTEXITCODE) { throw "module-steps.ps1 failed: $json" }
    $r = ($json | Select-Object -Last 1) | ConvertFrom-Json -AsHashtable
    $steps = $r.Steps
    $total = 0.0
    foreach ($v in $steps.Values) { $total += $v }
    $keys = [double]$steps['4 New-MeshRootCA'] + [double]$steps['5 New-MeshIntermediateCA']
    $address = $steps['address Wait-MeshGateway']
    [pscustomobject]@{
        Side = 'module'; Total = $total; Keys = $keys; AddressWait = $address; Kube = $total - $keys - $address; Steps = $steps
        Requests = ($r.Requests.Values | Measure-Object -Sum).Sum / $Clusters.Count; Import = $r.Import
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
        $list = Get-Json $c.Direct @('-n', 'istio-system', 'get', 'namespace/istio-system', 'secret/cacerts', 'servicemeshcontrolplane.maistra.io/basic',
            'service/istio-eastwestgateway', 'deployment.apps/istio-eastwestgateway', 'gateway.networking.istio.io/istio-eastwestgateway')
        if (-not $list -or @($list.items).Count -ne 6) { $problems.Add("$($c.Name): namespace, cacerts, control plane or gateway objects missing"); continue }
        $byKind = @{}
        foreach ($item in $list.items) { $byKind[$item.kind] = $item }
        $remote = Get-Json $c.Direct @('-n', 'istio-system', 'get', 'secrets', '-l', 'istio/multiCluster=true')
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
        $answer = ($review | & kubectl --kubeconfig $o.Direct create -f - -o json 2>$null) -join "`n" | ConvertFrom-Json
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

function Format-Steps($Results) {
    $first = $Results[0].Steps
    ($first.Keys | ForEach-Object { $k = $_; '{0} {1:N2}' -f $k, (Get-Median ($Results | ForEach-Object { [double]$_.Steps[$k] })) }) -join ', '
}

$null = New-Item -ItemType Directory -Path $work -Force
$report = [Collections.Generic.List[string]]::new()
$report.Add("End-to-end benchmark at a distance, $([DateTime]::UtcNow.ToString('yyyy-MM-dd HH:mm', $invariant)) UTC, $([Environment]::ProcessorCount) cores, load average at start $(Get-Load)")
$report.Add("  (pwsh $($PSVersionTable.PSVersion), $(& openssl version), kubectl $((& kubectl version --client -o json | ConvertFrom-Json).clientVersion.gitVersion))")
$summary = [Collections.Generic.List[object]]::new()
try {
    if ($ImportRuns) {
        $probe = "`$w = [Diagnostics.Stopwatch]::StartNew(); Import-Module '$psd1'; `$w.Elapsed.TotalSeconds.ToString([cultureinfo]::InvariantCulture)"
        $imports = @(for ($i = 0; $i -lt $ImportRuns; $i++) { [double]::Parse((& dotnet $pwshDll -NoProfile -NonInteractive -Command $probe | Select-Object -Last 1), $invariant) })
        $report.Add('')
        $report.Add(("Import-Module OssmMultiCluster in a fresh pwsh: median {0:N2} s, max {1:N2} s over {2} processes (target <= 0.5 s)" -f (Get-Median $imports), ($imports | Measure-Object -Maximum).Maximum, $ImportRuns))
        Write-Line ($report[-1])
    }

    foreach ($rtt in $RoundTripMs) {
        $labDir = Join-Path $work "lab-$rtt"
        $clusters = @(Start-Lab $labDir @('west', 'east') @('--lb-hostname', 'east', '--crds', 'west=ossm2', '--crds', 'east=ossm2', '--delay-ms', ($rtt / 2).ToString($invariant)))
        try {
            $clusters[0].Name = 'west-cluster'; $clusters[0].Network = 'west-network'
            $clusters[1].Name = 'east-cluster'; $clusters[1].Network = 'east-network'
            # The same openssl-made files for both sides of the kube mode: folders by mesh name (module) and west/east (walkthrough).
            $caModule = Join-Path $work "ca-$rtt"
            New-OpenSslCAFiles $caModule $clusters.Name
            $caWalkthrough = Join-Path $work "ca-$rtt-walkthrough"
            $null = New-Item -ItemType Directory -Path $caWalkthrough
            Copy-Item -Recurse (Join-Path $caModule 'root') $caWalkthrough
            Copy-Item -Recurse (Join-Path $caModule 'west-cluster') (Join-Path $caWalkthrough 'west')
            Copy-Item -Recurse (Join-Path $caModule 'east-cluster') (Join-Path $caWalkthrough 'east')

            # Untimed: kubectl's discovery cache for these servers filled once, as a kubectl user's already is.
            foreach ($c in $clusters) { $null = & kubectl --kubeconfig $c.Kubeconfig api-resources }
            $results = @{}
            foreach ($key in 'full-walkthrough', 'full-module', 'kube-walkthrough', 'kube-module') { $results[$key] = @() }
            for ($i = 0; $i -lt $Runs; $i++) {
                foreach ($mode in 'full', 'kube') {
                    $pair = if ($i % 2) { 'module', 'walkthrough' } else { 'walkthrough', 'module' }
                    foreach ($side in $pair) {
                        Reset-Clusters $clusters
                        $load = Get-Load
                        $from = if ($mode -eq 'kube') { if ($side -eq 'module') { $caModule } else { $caWalkthrough } } else { '' }
                        $result = if ($side -eq 'walkthrough') { Invoke-Walkthrough $clusters (Join-Path $work "run-$rtt-$i-$mode") $from } else { Invoke-Module $clusters $from }
                        Assert-Mesh $clusters "Run $($i + 1) ($mode) of the $side at $rtt ms"
                        $results["$mode-$side"] += $result
                        Write-Line ("{0,2} ms RTT run {1} {2,-4} {3,-11} {4,6:N2} s (keys {5:N2}, kube {6:N2}, address wait {7:N2}; {8:N0} requests/cluster) load {9} verified" -f `
                                $rtt, ($i + 1), $mode, $side, $result.Total, $result.Keys, $result.Kube, $result.AddressWait, $result.Requests, $load)
                    }
                }
            }
            $fw = $results['full-walkthrough']; $fm = $results['full-module']; $kw = $results['kube-walkthrough']; $km = $results['kube-module']
            $row = [pscustomobject]@{
                Rtt = $rtt
                KeysW = Get-Median $fw.Keys; KeysM = Get-Median $fm.Keys
                KubeW = Get-Median $kw.Kube; KubeM = Get-Median $km.Kube
                WaitW = Get-Median $fw.AddressWait; WaitM = Get-Median $fm.AddressWait
                TotalW = Get-Median $fw.Total; TotalM = Get-Median $fm.Total
                RequestsW = Get-Median $kw.Requests; RequestsM = Get-Median $km.Requests
            }
            $summary.Add($row)
            $report.Add('')
            $report.Add("$rtt ms round trip ($Runs runs per side and mode, alternating; medians):")
            $report.Add("  walkthrough steps, full:  $(Format-Steps $fw)")
            $report.Add("  module steps, full:       $(Format-Steps $fm)")
            $report.Add("  walkthrough steps, kube:  $(Format-Steps $kw)")
            $report.Add("  module steps, kube:       $(Format-Steps $km)")
            Write-Line (($report | Select-Object -Last 5) -join "`n")
        }
        finally {
            & bash $lab stop $labDir --purge
        }
    }

    $report.Add('')
    $report.Add('Side by side (medians, seconds; ratio = module / walkthrough):')
    $report.Add(('  {0,-44}' -f '') + (($summary | ForEach-Object { '{0,22}' -f "$($_.Rtt) ms round trip" }) -join ''))
    foreach ($part in @(('Keys', 'keys and certificates (steps 4-5)'), ('Kube', 'Kubernetes part (same CA files)'), ('Wait', 'gateway-address wait'), ('Total', 'end to end'))) {
        $cells = foreach ($row in $summary) {
            $w = $row."$($part[0])W"; $m = $row."$($part[0])M"
            '{0,7:N2} {1,6:N2} {2,6:N2}' -f $w, $m, $(if ($w) { $m / $w } else { 0 })
        }
        $report.Add(('  {0,-44}' -f $part[1]) + ($cells -join ' '))
    }
    $report.Add(('  {0,-44}' -f 'HTTP requests per cluster (kube mode)') + (($summary | ForEach-Object { '{0,7:N0} {1,6:N0} {2,6}' -f $_.RequestsW, $_.RequestsM, '' }) -join ' '))
    $report.Add('  (each distance: walkthrough, module, ratio)')

    if ($ScaleRuns -and $Sizes.Count) {
        $largest = ($Sizes | Measure-Object -Maximum).Maximum
        $labDir = Join-Path $work "lab-scale"
        $names = 1..$largest | ForEach-Object { "c$_" }
        $all = @(Start-Lab $labDir $names (@($names | ForEach-Object { '--crds', "$_=ossm2" }) + @('--delay-ms', '10')))
        try {
            foreach ($c in $all) { $c.Name = $c.Lab; $c.Network = "$($c.Lab)-network" }
            $caScale = Join-Path $work 'ca-scale'
            New-OpenSslCAFiles $caScale $names
            $rows = foreach ($n in $Sizes | Sort-Object) {
                $subset = @($all[0..($n - 1)])
                $caN = Join-Path $work "ca-scale-$n"
                $null = New-Item -ItemType Directory -Path $caN
                foreach ($folder in @('root') + $subset.Name) { Copy-Item -Recurse (Join-Path $caScale $folder) $caN }
                $runsN = @(for ($r = 0; $r -lt $ScaleRuns; $r++) {
                        Reset-Clusters $subset
                        $result = Invoke-Module $subset $caN
                        Assert-Mesh $subset "The module on $n clusters"
                        Write-Line ("N={0,-2} run {1}  kube {2,6:N2} s, address wait {3:N2} s, {4:N0} requests/cluster, load {5}" -f $n, ($r + 1), $result.Kube, $result.AddressWait, $result.Requests, (Get-Load))
                        $result
                    })
                [pscustomobject]@{ N = $n; Kube = (Get-Median $runsN.Kube); Requests = (Get-Median $runsN.Requests); Steps = (Format-Steps $runsN) }
            }
            $report.Add('')
            $report.Add("The module's Kubernetes part on N clusters at 20 ms round trip (same openssl-made CA files; $ScaleRuns runs per N; medians):")
            foreach ($row in $rows) {
                $report.Add(('  N={0,-2} {1,6:N2} s  {2:N2}x N={3}   {4:N0} requests/cluster   {5}' -f $row.N, $row.Kube, ($row.Kube / $rows[0].Kube), $rows[0].N, $row.Requests, $row.Steps))
            }
        }
        finally {
            & bash $lab stop $labDir --purge
        }
    }
    $report.Add('')
    $report.Add("Load average at the end: $(Get-Load)")
}
finally {
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
    foreach ($name in 'KUBECONFIG_WEST', 'KUBECONFIG_EAST', 'LB_WEST', 'LB_EAST') { Remove-Item "env:$name" -ErrorAction SilentlyContinue }
}
$report
