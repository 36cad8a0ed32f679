<#
.SYNOPSIS
    Before/after comparison of the module's Kubernetes part as a runbook meets it: each run is a fresh pwsh process
    (bench/module-steps.ps1 with -CACertsFrom, so no key is generated), so every figure includes the first-call
    costs (assembly loading, JIT, TLS set-up). Two or more builds of the module are run alternately on the same
    two-cluster lab, and the script prints, per build, the median of each step and the requests each step sent per
    cluster (from the module's own call log, -Verbose; they do not vary between runs).
.DESCRIPTION
    dotnet pwsh bench/first-call.ps1 [-ModulePath <psd1>,<psd1>...] [-Runs 5] [-DelayMs 0]

    Copy a build aside first (cp -r out/OssmMultiCluster /tmp/before/), change and build, then
    -ModulePath /tmp/before/OssmMultiCluster/OssmMultiCluster.psd1,out/OssmMultiCluster/OssmMultiCluster.psd1.
    Untimed before each run: istio-system deleted on both clusters. The load average is printed with every run:
    on a shared machine, compare builds only within one invocation.
#>
param(
    [string[]] $ModulePath = @((Join-Path $PSScriptRoot '../out/OssmMultiCluster/OssmMultiCluster.psd1')),
    [ValidateRange(1, 100)] [int] $Runs = 5,
    # One-way delay of the lab's relay (round trip = twice it); 0: no relay.
    [ValidateRange(0, 1000)] [int] $DelayMs = 0
)

$ErrorActionPreference = 'Stop'
$ModulePath = @($ModulePath -split ',' | Where-Object { $_ } | ForEach-Object { (Resolve-Path $_).Path })
$lab = Join-Path $PSScriptRoot '../tests/lab/lab.sh'
$moduleSteps = Join-Path $PSScriptRoot 'module-steps.ps1'
$pwshDll = Join-Path $PSHOME 'pwsh.dll'
$work = Join-Path ([IO.Path]::GetTempPath()) "ossm-bench-first-call-$PID"
$names = 'west-cluster', 'east-cluster'
$labNames = 'west', 'east'

function Get-Load { ([IO.File]::ReadAllText('/proc/loadavg') -split ' ')[0..2] -join ' ' }
function Get-Median([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    if ($sorted.Count % 2) { $sorted[[int][math]::Floor($sorted.Count / 2)] }
    else { ($sorted[$sorted.Count / 2 - 1] + $sorted[$sorted.Count / 2]) / 2 }
}

$null = New-Item -ItemType Directory -Path $work -Force
$labDir = Join-Path $work 'lab'
# The walkthrough's flavour (OSSM 2.6 operator CRDs); east's gateway gets a hostname, as in bench/end-to-end.ps1.
$options = @('--crds', 'west=ossm2', '--crds', 'east=ossm2', '--lb-hostname', 'east')
if ($DelayMs) { $options += '--delay-ms', "$DelayMs" }
try {
    $kubeconfigs = @(& bash $lab start $labDir @options @labNames 2>$null)
    if ($LASTEXITCODE) { throw "lab.sh start failed (see $labDir)" }
    $direct = $labNames | ForEach-Object { Join-Path $labDir "$_/direct.kubeconfig" }

    # The CA files, untimed, in the walkthrough's layout (RSA 2048: only their installation is measured).
    $ca = Join-Path $work 'ca'
    $script = @'
set -euo pipefail
cd "$1"; shift
mkdir -p root
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -keyout root/root-key.pem -out root/root-cert.pem -subj '/O=Istio/CN=Root CA' -addext 'basicConstraints=critical,CA:true' -addext 'keyUsage=critical,digitalSignature,nonRepudiation,keyEncipherment,keyCertSign' 2>/dev/null
for cluster in "$@"; do
  mkdir -p "$cluster"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$cluster/ca-key.pem" -subj "/O=Istio/CN=Intermediate CA/L=$cluster" -out "$cluster/ca.csr" 2>/dev/null
  printf 'basicConstraints=critical,CA:true,pathlen:0\nkeyUsage=critical,digitalSignature,nonRepudiation,keyEncipherment,keyCertSign\nsubjectAltName=DNS:istiod.istio-system.svc\nsubjectKeyIdentifier=hash\n' > "$cluster/ext.conf"
  openssl x509 -req -sha256 -days 3650 -CA root/root-cert.pem -CAkey root/root-key.pem -CAcreateserial -extfile "$cluster/ext.conf" -in "$cluster/ca.csr" -out "$cluster/ca-cert.pem" 2>/dev/null
  cat "$cluster/ca-cert.pem" root/root-cert.pem > "$cluster/cert-chain.pem"
  cp root/root-cert.pem "$cluster"
  rm "$cluster/ca.csr" "$cluster/ext.conf"
done
'@
    $null = New-Item -ItemType Directory -Path $ca -Force
    & bash -c $script bash $ca @names
    if ($LASTEXITCODE) { throw "openssl could not make the CA files in $ca" }

    $results = @{}
    foreach ($m in $ModulePath) { $results[$m] = [Collections.Generic.List[object]]::new() }
    for ($run = 1; $run -le $Runs; $run++) {
        # Alternate which build goes first.
        $order = if ($run % 2) { $ModulePath } else { @($ModulePath)[($ModulePath.Count - 1)..0] }
        foreach ($m in $order) {
            $commands = foreach ($d in $direct) { "kubectl --kubeconfig '$d' delete namespace istio-system --ignore-not-found --wait=true --timeout=120s >/dev/null &" }
            & bash -c (($commands -join "`n") + "`nwait")
            $load = Get-Load
            $json = & dotnet $pwshDll -NoProfile -NonInteractive -File $moduleSteps -Kubeconfig ($kubeconfigs -join ',') -Name ($names -join ',') `
                -Network 'west-network,east-network' -DirectKubeconfig ($direct -join ',') -CACertsFrom $ca -ModulePath $m
            if ($LASTEXITCODE) { throw "module-steps.ps1 failed with $m`: $json" }
            $r = ($json | Select-Object -Last 1) | ConvertFrom-Json -AsHashtable
            $results[$m].Add($r)
            $line = ($r.Steps.GetEnumerator() | ForEach-Object { '{0} {1:0.000}' -f ($_.Key -split ' ')[-1], $_.Value }) -join ', '
            [Console]::Error.WriteLine(("run {0} load {1} {2}: import {3:0.000}, {4}" -f $run, $load, $m, $r.Import, $line))
        }
    }

    foreach ($m in $ModulePath) {
        "== $m (medians of $Runs, seconds)"
        $all = $results[$m]
        '{0,-32} {1,8:0.000}' -f 'Import-Module', (Get-Median ($all | ForEach-Object { $_.Import }))
        foreach ($step in $all[0].Steps.Keys) {
            $requests = $all[0].StepRequests[$step]
            $counts = if ($requests) { ($requests.GetEnumerator() | ForEach-Object { "$($_.Key) $($_.Value)" }) -join ', ' } else { '' }
            '{0,-32} {1,8:0.000}   requests: {2}' -f $step, (Get-Median ($all | ForEach-Object { $_.Steps[$step] })), $counts
        }
        $total = ($all[0].Requests.GetEnumerator() | ForEach-Object { "$($_.Key) $($_.Value)" }) -join ', '
        "requests per cluster, whole pipeline: $total"
    }
}
finally {
    $null = & bash $lab stop $labDir 2>&1
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
}
