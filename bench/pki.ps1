<#
.SYNOPSIS
    Times the mesh PKI (root + intermediates, RSA 4096) against the walkthrough's own openssl commands (steps 4-5,
    one key after the other), in the same run, alternating.
.DESCRIPTION
    Run on demand, not in the test suite (after dotnet pwsh ./build.ps1 -Task Build):
        dotnet pwsh bench/pki.ps1 [-Iterations 7] [-Clusters west,east]
    Each module run is a fresh pwsh process with the module imported (untimed), as a runbook starts: no keys left
    from an earlier run in the module's pool. Timed there: New-MeshRootCA, New-MeshIntermediateCA, Export-MeshCA.
    Prints medians and the ratio module / openssl; the target is a ratio of at most 0.55.
#>
param(
    [int] $Iterations = 7,
    [string[]] $Clusters = @('west', 'east')
)

$ErrorActionPreference = 'Stop'
$Clusters = @($Clusters -split ',' | Where-Object { $_ })
$psd1 = Join-Path $PSScriptRoot '../out/OssmMultiCluster/OssmMultiCluster.psd1'
# The pwsh running this script (dotnet pwsh runs pwsh.dll under dotnet): fresh processes of the same version.
$pwshDll = Join-Path $PSHOME 'pwsh.dll'
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

# In a fresh pwsh: the import untimed, then the PKI; prints the seconds it took.
function Invoke-Module([string] $Directory) {
    $probe = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$psd1'
`$watch = [Diagnostics.Stopwatch]::StartNew()
`$root = New-MeshRootCA
`$null = @(`$root) + @('$($Clusters -join "','")' | New-MeshIntermediateCA -RootCA `$root) | Export-MeshCA -Path '$Directory/cacerts'
`$watch.Elapsed.TotalSeconds.ToString([cultureinfo]::InvariantCulture)
"@
    $seconds = & dotnet $pwshDll -NoProfile -NonInteractive -Command $probe | Select-Object -Last 1
    if ($LASTEXITCODE) { throw "the module's run failed: $seconds" }
    [double]::Parse($seconds, [cultureinfo]::InvariantCulture)
}

$work = Join-Path ([IO.Path]::GetTempPath()) ("ossm-bench-" + [guid]::NewGuid().ToString('N'))
$null = New-Item -ItemType Directory -Path $work
try {
    # One warm-up each, so JIT and openssl's page cache do not count.
    Invoke-Walkthrough (Join-Path $work 'warm-openssl')
    $null = Invoke-Module (Join-Path $work 'warm-module')

    $openssl = @(); $module = @()
    for ($i = 0; $i -lt $Iterations; $i++) {
        # Alternate the order so neither side always runs on a warmer machine.
        $pair = if ($i % 2) { 'module', 'openssl' } else { 'openssl', 'module' }
        foreach ($side in $pair) {
            $dir = Join-Path $work "$side-$i"
            if ($side -eq 'openssl') {
                $watch = [Diagnostics.Stopwatch]::StartNew()
                Invoke-Walkthrough $dir
                $openssl += $watch.Elapsed.TotalSeconds
            }
            else { $module += Invoke-Module $dir }
        }
    }

    $opensslMedian = Get-Median $openssl
    $moduleMedian = Get-Median $module
    "PKI benchmark: root + $($Clusters.Count) intermediates, RSA 4096, $Iterations runs each, $([Environment]::ProcessorCount) cores"
    "  walkthrough (openssl)  median {0,7:N3} s   runs: {1}" -f $opensslMedian, (($openssl | ForEach-Object { $_.ToString('N2') }) -join ' ')
    "  module pipeline        median {0,7:N3} s   runs: {1}" -f $moduleMedian, (($module | ForEach-Object { $_.ToString('N2') }) -join ' ')
    "  ratio module/openssl   {0:N2}   (target <= 0.55)" -f ($moduleMedian / $opensslMedian)
}
finally {
    Remove-Item -Recurse -Force $work
}
