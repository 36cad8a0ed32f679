<#
.SYNOPSIS
    Times the mesh PKI (root + intermediates, RSA 4096) against the walkthrough's own openssl commands, in the
    same run, and compares the two RSA key generators the module can use.
.DESCRIPTION
    Run on demand, not in the test suite:  ossm-run bench/pki.ps1 [-Iterations 7] [-Clusters west,east]
    (pwsh users: Import-Module ./out/OssmMultiCluster; ./bench/pki.ps1). Prints medians and the ratio
    module / openssl; the target is a ratio of at most 0.6.
#>
param(
    [int] $Iterations = 7,
    [string[]] $Clusters = @('west', 'east'),
    [int] $KeyIterations = 5
)

$ErrorActionPreference = 'Stop'
if (-not (Get-Command openssl -ErrorAction SilentlyContinue)) { throw 'openssl is not on PATH.' }

function Get-Median([double[]] $Values) {
    $sorted = $Values | Sort-Object
    $mid = [int][Math]::Floor($sorted.Count / 2)
    if ($sorted.Count % 2) { $sorted[$mid] } else { ($sorted[$mid - 1] + $sorted[$mid]) / 2 }
}

$rootConf = @'
[ req ]
encrypt_key = no
prompt = no
utf8 = yes
default_md = sha256
default_bits = 4096
req_extensions = req_ext
x509_extensions = req_ext
distinguished_name = req_dn
[ req_ext ]
subjectKeyIdentifier = hash
basicConstraints = critical, CA:true
keyUsage = critical, digitalSignature, nonRepudiation, keyEncipherment, keyCertSign
[ req_dn ]
O = Istio
CN = Root CA
'@

function Get-IntermediateConf([string] $Cluster) {
    @"
[ req ]
encrypt_key = no
prompt = no
utf8 = yes
default_md = sha256
default_bits = 4096
req_extensions = req_ext
x509_extensions = req_ext
distinguished_name = req_dn
[ req_ext ]
subjectKeyIdentifier = hash
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, digitalSignature, nonRepudiation, keyEncipherment, keyCertSign
subjectAltName=@san
[ san ]
DNS.1 = istiod.istio-system.svc
[ req_dn ]
O = Istio
CN = Intermediate CA
L = $Cluster
"@
}

# Steps 4 and 5 of the walkthrough, command for command.
function Invoke-Walkthrough([string] $Directory) {
    $rootDir = Join-Path $Directory 'cacerts/root'
    $null = New-Item -ItemType Directory -Path $rootDir -Force
    openssl genrsa -out "$rootDir/root-key.pem" 4096 2>$null
    Set-Content -Path "$rootDir/root-ca.conf" -Value $rootConf
    openssl req -sha256 -new -key "$rootDir/root-key.pem" -config "$rootDir/root-ca.conf" -out "$rootDir/root-cert.csr"
    openssl x509 -req -sha256 -days 3650 -signkey "$rootDir/root-key.pem" -extensions req_ext -extfile "$rootDir/root-ca.conf" `
        -in "$rootDir/root-cert.csr" -out "$rootDir/root-cert.pem" 2>$null
    foreach ($cluster in $Clusters) {
        $dir = Join-Path $Directory "cacerts/$cluster"
        $null = New-Item -ItemType Directory -Path $dir
        openssl genrsa -out "$dir/ca-key.pem" 4096 2>$null
        Set-Content -Path "$dir/intermediate.conf" -Value (Get-IntermediateConf $cluster)
        openssl req -new -config "$dir/intermediate.conf" -key "$dir/ca-key.pem" -out "$dir/cluster-ca.csr"
        openssl x509 -req -sha256 -days 3650 -CA "$rootDir/root-cert.pem" -CAkey "$rootDir/root-key.pem" -CAcreateserial `
            -extensions req_ext -extfile "$dir/intermediate.conf" -in "$dir/cluster-ca.csr" -out "$dir/ca-cert.pem" 2>$null
        Get-Content "$dir/ca-cert.pem", "$rootDir/root-cert.pem" | Set-Content "$dir/cert-chain.pem"
        Copy-Item "$rootDir/root-cert.pem" $dir
    }
    if ($LASTEXITCODE) { throw "openssl failed with exit code $LASTEXITCODE" }
}

function Invoke-Module([string] $Directory) {
    $root = New-MeshRootCA
    $null = @($root) + @($Clusters | New-MeshIntermediateCA -RootCA $root) | Export-MeshCA -Path (Join-Path $Directory 'cacerts')
}

# Untimed, after each module run: the spare key is still being generated, and keys left in the pool would make the
# next run look faster than a fresh session. Wait for them and throw them away, so every run starts cold and no
# background work overlaps the other side's timing.
function Reset-KeyPool {
    $null = [OssmMultiCluster.Pki.KeyPool]::Shared.DiscardAsync().GetAwaiter().GetResult()
}

$work = Join-Path ([IO.Path]::GetTempPath()) ("ossm-bench-" + [guid]::NewGuid().ToString('N'))
$null = New-Item -ItemType Directory -Path $work
try {
    # One warm-up each, so JIT and openssl's page cache do not count.
    Invoke-Walkthrough (Join-Path $work 'warm-openssl')
    Invoke-Module (Join-Path $work 'warm-module')
    Reset-KeyPool

    $openssl = @(); $module = @()
    for ($i = 0; $i -lt $Iterations; $i++) {
        # Alternate the order so neither side always runs on a warmer machine.
        $pair = if ($i % 2) { 'module', 'openssl' } else { 'openssl', 'module' }
        foreach ($side in $pair) {
            $dir = Join-Path $work "$side-$i"
            $watch = [Diagnostics.Stopwatch]::StartNew()
            if ($side -eq 'openssl') { Invoke-Walkthrough $dir } else { Invoke-Module $dir }
            $watch.Stop()
            Reset-KeyPool
            if ($side -eq 'openssl') { $openssl += $watch.Elapsed.TotalSeconds } else { $module += $watch.Elapsed.TotalSeconds }
        }
    }

    $spec = [OssmMultiCluster.Pki.KeySpec]::new([OssmMultiCluster.Pki.MeshKeyAlgorithm]::RSA, 4096)
    $keyTimes = @{}
    foreach ($backend in 'Platform', 'BouncyCastle') {
        $keyTimes[$backend] = @(for ($i = 0; $i -lt $KeyIterations; $i++) {
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $null = [OssmMultiCluster.Pki.KeyGenerator]::Generate($spec, $backend)
            $watch.Elapsed.TotalSeconds
        })
    }

    $opensslMedian = Get-Median $openssl
    $moduleMedian = Get-Median $module
    "PKI benchmark: root + $($Clusters.Count) intermediates, RSA 4096, $Iterations runs each, $([Environment]::ProcessorCount) cores"
    "  walkthrough (openssl)  median {0,7:N3} s   runs: {1}" -f $opensslMedian, (($openssl | ForEach-Object { $_.ToString('N2') }) -join ' ')
    "  module pipeline        median {0,7:N3} s   runs: {1}" -f $moduleMedian, (($module | ForEach-Object { $_.ToString('N2') }) -join ' ')
    "  ratio module/openssl   {0:N2}   (target <= 0.60)" -f ($moduleMedian / $opensslMedian)
    "RSA 4096 key generation, one key, $KeyIterations runs each:"
    foreach ($backend in 'Platform', 'BouncyCastle') {
        "  {0,-13} median {1,7:N3} s   runs: {2}" -f $backend, (Get-Median $keyTimes[$backend]), (($keyTimes[$backend] | ForEach-Object { $_.ToString('N2') }) -join ' ')
    }
}
finally {
    Remove-Item -Recurse -Force $work
}
