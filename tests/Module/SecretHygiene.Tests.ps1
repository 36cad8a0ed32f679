<#
Private keys and tokens never show. The whole pipeline on two lab clusters, every cmdlet with -Verbose and -Debug, bad
input included: no private key and no token of the run appears in anything the module wrote to the pipeline, any
stream (progress included), the format views, the objects' properties, the errors (inner exceptions and Get-Error
included) or an export made with -ExcludeSecrets. And a key is only ever written to its own final file.

The secrets are gathered as a user could gather them, never from the module's internals: the keys from Export-MeshCA
folders (the run's own export, and each CA object the run output exported again after it), and from the clusters'
Secrets; the tokens with kubectl (the lab's admin and nobody kubeconfigs, the service-account token Secrets, the
kubeconfigs in the remote secrets, read between the steps since rotation revokes tokens). Support/SecretScanner.cs
finds them in any encoding (40-character windows of PEM, DER, base64 and double base64, hex, the private numbers).
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-TestedModule
    $script:lab = Start-TestLab
    Set-LabVariable $lab $ExecutionContext.SessionState
    if (-not ('OssmTest.SecretHygiene.SecretScanner' -as [type])) {
        Add-Type -Path (Join-Path $PSScriptRoot 'Support/SecretScanner.cs'), (Join-Path $PSScriptRoot 'Support/ObjectText.cs'),
            (Join-Path $PSScriptRoot 'Support/FileCreationLog.cs')
    }

    # A kubeconfig's tokens (the value of each token: line).
    $script:tokenLine = [regex] '(?m)^(\s*"?token"?:\s*"?)[^\s"]+'
    function script:Get-KubeconfigToken([string] $Kubeconfig) {
        foreach ($m in $tokenLine.Matches($Kubeconfig)) { $m.Value.Substring($m.Groups[1].Length) }
    }

    # Whether a token is a bound one: a JWT whose claims carry an expiry (a service-account token Secret's do not).
    function script:Test-BoundToken([string] $Token) {
        $parts = $Token.Split('.')
        if ($parts.Count -ne 3) { return $false }
        $payload = $parts[1].Replace('-', '+').Replace('_', '/')
        $payload += '=' * ((4 - $payload.Length % 4) % 4)
        try { $claims = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($payload)) | ConvertFrom-Json -AsHashtable }
        catch { return $false }
        $claims.ContainsKey('exp')
    }

    # The secrets of a run, each added to the scanner once, under the name it was first found by.
    function script:New-SecretVault {
        [pscustomobject]@{
            Scanner = [OssmTest.SecretHygiene.SecretScanner]::new()
            Seen    = [System.Collections.Generic.HashSet[string]]::new([StringComparer]::Ordinal)
        }
    }
    function script:Add-VaultToken($Vault, [string] $Name, [string] $Token) {
        if ($Vault.Seen.Add($Token)) { $Vault.Scanner.AddToken($Name, $Token) }
    }
    function script:Add-VaultKey($Vault, [string] $Name, [string] $Pem) {
        if ($Vault.Seen.Add($Pem.Trim())) { $Vault.Scanner.AddPrivateKeyPem($Name, $Pem) }
    }

    # Every token and key on a cluster, from `kubectl get secrets --all-namespaces -o json`: service-account tokens,
    # private keys, and the tokens of kubeconfigs held in Secrets (remote secrets; a bound one named so).
    function script:Add-VaultClusterSecret($Vault, [string] $Cluster, [string] $Json) {
        foreach ($secret in ($Json | ConvertFrom-Json -AsHashtable).items) {
            $name = "${Cluster}:$($secret.metadata.namespace)/$($secret.metadata.name)"
            if (-not $secret.ContainsKey('data') -or -not $secret.data) { continue }
            foreach ($key in $secret.data.Keys) {
                $text = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($secret.data[$key]))
                if ($key -ceq 'token' -and $secret.type -ceq 'kubernetes.io/service-account-token') {
                    Add-VaultToken $Vault $name $text
                }
                elseif ($text.Contains('PRIVATE KEY-----', [StringComparison]::Ordinal)) {
                    Add-VaultKey $Vault "$name $key" $text
                }
                elseif ($text.Contains('token:', [StringComparison]::Ordinal)) {
                    foreach ($token in Get-KubeconfigToken $text) {
                        $kind = if (Test-BoundToken $token) { 'bound token of remote secret' } else { 'token of kubeconfig in' }
                        Add-VaultToken $Vault "$kind $name $key" $token
                    }
                }
            }
        }
    }

    # The keys of an Export-MeshCA folder; its certificates are public (pieces of them are never counted as finds).
    function script:Add-VaultExport($Vault, [string] $Folder, [string] $Prefix = '') {
        foreach ($file in Get-ChildItem $Folder -Filter *.pem -Recurse -File) {
            $text = [IO.File]::ReadAllText($file.FullName)
            if ($text.Contains('PRIVATE KEY-----', [StringComparison]::Ordinal)) {
                Add-VaultKey $Vault "$Prefix$([IO.Path]::GetRelativePath($Folder, $file.FullName))" $text
                continue
            }
            $certificates = [System.Security.Cryptography.X509Certificates.X509Certificate2Collection]::new()
            $certificates.ImportFromPem($text)
            foreach ($certificate in $certificates) { $Vault.Scanner.AddPublic($certificate.RawData) }
        }
    }

    function script:Get-Tree([string] $Folder) {
        Get-ChildItem $Folder -Recurse -File | ForEach-Object { [pscustomobject]@{ Path = $_.FullName; Text = [IO.File]::ReadAllText($_.FullName) } }
    }
}

AfterAll {
    Stop-TestLab $lab
}

Describe 'Keys and tokens in what the module writes' {
    BeforeAll {
        $script:dir = New-TestDirectory
        $script:ns = 'mesh-secrets'
        $script:vault = New-SecretVault
        foreach ($cluster in 'west', 'east') {
            foreach ($kubeconfig in @{ admin = Get-LabKubeconfig $lab $cluster; nobody = Get-LabKubeconfig $lab $cluster -Nobody }.GetEnumerator()) {
                foreach ($token in Get-KubeconfigToken (Get-Content -Raw $kubeconfig.Value)) { Add-VaultToken $vault "$cluster $($kubeconfig.Key) kubeconfig" $token }
            }
        }
        $script:snapshots = [System.Collections.Generic.List[string]]::new()
        foreach ($cluster in 'west', 'east') { $snapshots.Add("$cluster`n" + (Invoke-LabKubectl $lab $cluster get secrets --all-namespaces -o json)) }

        # Bad credentials: the admin token alone in a file, and a made-up token in a copy of west's kubeconfig.
        $adminToken = @(Get-KubeconfigToken (Get-Content -Raw $west))
        $adminToken.Count | Should -Be 1
        Set-Content -Path "$dir/token" -Value $adminToken[0]
        $wrongToken = [Convert]::ToHexString([Security.Cryptography.RandomNumberGenerator]::GetBytes(24)).ToLowerInvariant()
        $vault.Scanner.AddToken('made-up token', $wrongToken)
        Set-Content -Path "$dir/wrong.kubeconfig" -Value $tokenLine.Replace((Get-Content -Raw $west), '${1}' + $wrongToken)

        $script:run = Invoke-ModuleScript -Variables @{
            west = $west; east = $east; ns = $ns; cadir = "$dir/cacerts"; gitops = "$dir/gitops"; withSecrets = "$dir/with-secrets"
            tokenFile = "$dir/token"; wrongToken = "$dir/wrong.kubeconfig"; nobody = (Get-LabKubeconfig $lab west -Nobody); snapshots = $snapshots
        } -Script @'
$ErrorActionPreference = 'Continue'
# -Debug also makes warnings ask whether to continue, which a host without a UI cannot answer: -WarningAction Continue.
$PSDefaultParameterValues = @{
    '*-Mesh*:Verbose' = $true; '*-Mesh*:Debug' = $true; '*-Mesh*:WarningAction' = 'Continue'; '*-Mesh*:Confirm' = $false }
$seen = [System.Collections.Generic.List[object]]::new()
filter Keep { $seen.Add($_); $_ }
# The clusters' Secrets now (tokens and keys), for the test to collect: rotation revokes tokens, so read between steps.
function Snapshot { foreach ($c in 'west', 'east') { $snapshots.Add("$c`n" + (& kubectl --kubeconfig (Get-Variable $c -ValueOnly) get secrets --all-namespaces -o json | Out-String)) } }
Write-Debug 'debug stream captured' -Debug

$root = New-MeshRootCA -KeySize 2048 -PregenerateKeys 1 | Keep
$clusters = Get-MeshCluster -Kubeconfig $west, $east -Test | Keep
$cas = $clusters | New-MeshIntermediateCA -RootCA $root -KeySize 2048 -ControlPlaneNamespace $ns | Keep
$null = @($root) + @($cas) | Export-MeshCA -Path $cadir | Keep
$null = Import-MeshCA -Path $cadir | Keep
$null = $cas | Install-MeshCACertificate -Namespace $ns | Keep
$null = $clusters | Install-MeshControlPlane -MeshId mesh-secrets -Namespace $ns | Keep
$null = $clusters | Install-MeshEastWestGateway -Namespace $ns -Wait -Timeout 00:01:00 | Keep
$null = Connect-MeshCluster -Cluster $clusters -Namespace $ns -CreateServiceAccount | Keep
Snapshot
$null = New-MeshRemoteSecret -Cluster $clusters[0] -Namespace $ns -TokenType Bound -TokenLifetime 01:00:00 | Keep
$null = $clusters | Wait-MeshGateway -Namespace $ns | Keep
$null = $clusters | Get-MeshStatus -Namespace $ns | Keep

# GitOps exports: without the secrets (scanned), and with them (asked for: the scanner must find them there).
$null = $cas | Install-MeshCACertificate -Namespace $ns -OutputPath $gitops -ExcludeSecrets | Keep
$null = $clusters | Install-MeshControlPlane -MeshId mesh-secrets -Namespace $ns -OutputPath $gitops -ExcludeSecrets | Keep
$null = $clusters | Install-MeshEastWestGateway -Namespace $ns -OutputPath $gitops -ExcludeSecrets | Keep
$null = Connect-MeshCluster -Cluster $clusters -Namespace $ns -OutputPath $gitops -ExcludeSecrets | Keep
$null = $cas | Install-MeshCACertificate -Namespace $ns -OutputPath $withSecrets | Keep
$null = Connect-MeshCluster -Cluster $clusters -Namespace $ns -OutputPath $withSecrets | Keep
Snapshot

# Rotation to bound tokens (which then sit in the clusters' remote secrets), back to token Secrets (with a stand-in
# istiod Deployment to restart), status, leaving.
$null = Update-MeshRemoteSecret -Cluster $clusters -Namespace $ns -TokenType Bound -TokenLifetime 01:00:00 | Keep
Snapshot
$null = & kubectl --kubeconfig $east -n $ns create deployment istiod-basic --image=registry.example/istiod:lab
$null = & kubectl --kubeconfig $east -n $ns label deployment istiod-basic app=istiod --overwrite
$null = Update-MeshRemoteSecret -Cluster $clusters -Namespace $ns | Keep
Snapshot
$null = $clusters | Get-MeshStatus -Namespace $ns | Keep
$null = Disconnect-MeshCluster -Cluster $clusters[1] -From $clusters[0] -Namespace $ns | Keep

# Bad input: files holding secrets where other files belong, bad and unauthorised credentials, misuse.
$null = Get-MeshCluster -Kubeconfig "$cadir/west/ca-key.pem" | Keep
$null = Get-MeshCluster -Kubeconfig $tokenFile | Keep
$null = Get-MeshCluster -Kubeconfig $west -Context no-such-context | Keep
$null = Get-MeshCluster -Kubeconfig $wrongToken -Test | Keep
$null = Get-MeshCluster -Kubeconfig $nobody | Get-MeshStatus -Namespace $ns | Keep
$null = Get-MeshCluster -Kubeconfig $nobody | Install-MeshControlPlane -MeshId mesh-secrets -Namespace $ns | Keep
$null = Import-MeshCA -CertificatePath "$cadir/west/ca-key.pem" | Keep
$null = Import-MeshCA -CertificatePath "$cadir/west/ca-cert.pem" -KeyPath "$cadir/east/ca-key.pem" -RootCertificatePath "$cadir/root/root-cert.pem" | Keep
$null = Import-MeshCA -CertificatePath "$cadir/west/ca-key.pem" -KeyPath "$cadir/west/ca-cert.pem" | Keep
$null = Import-MeshCA -Path $cadir | Where-Object Kind -eq Intermediate | Install-MeshCACertificate -Namespace $ns | Keep
$other = $clusters[0] | New-MeshIntermediateCA -RootCA $root -KeySize 2048 -ControlPlaneNamespace $ns | Keep
$null = $other | Export-MeshCA -Path $cadir | Keep
$null = $other | Install-MeshCACertificate -Namespace $ns | Keep
$null = Connect-MeshCluster -Cluster $clusters[0] -Namespace $ns | Keep
$null = New-MeshRemoteSecret -Cluster $clusters -Namespace $ns -Server https://api.example.test:6443 | Keep

# Everything through the module's views, and the errors through PowerShell's.
$seen | Out-String -Width 400
$seen | Format-List -Property * | Out-String -Width 400
$seen | Format-Table -Property * | Out-String -Width 400
$seen | ForEach-Object { $_.ToString() }
$seen | ConvertTo-Json -Depth 3 -WarningAction SilentlyContinue
$errors = @($Error)
$errors | Out-String -Width 400
$errors | Format-List -Property * -Force | Out-String -Width 400
$errors | Get-Error | Out-String -Width 400
, $seen
'@
        foreach ($cluster in 'west', 'east') { $snapshots.Add("$cluster`n" + (Invoke-LabKubectl $lab $cluster get secrets --all-namespaces -o json)) }
        # The objects the run kept (its last output, one list; ToArray: PowerShell cannot enumerate a list made in
        # another runspace with @()).
        $script:objects = $run.Output[-1].ToArray()
        $script:errorText = ($run.Errors | ForEach-Object { "$($_.FullyQualifiedErrorId): $($_.Exception.Message)" }) -join ' | '

        # The secrets of the run: the keys of the export, of every CA object the run output (each exported again, to a
        # folder of its own) and of the clusters' cacerts; the tokens of the kubeconfigs and of the clusters' Secrets.
        Add-VaultExport $vault "$dir/cacerts"
        $i = 0
        foreach ($ca in $objects | Where-Object { $_ -is [OssmMultiCluster.Model.MeshCertificateAuthority] }) {
            $i++
            $null = $ca | Export-MeshCA -Path "$dir/keys/$i"
            Add-VaultExport $vault "$dir/keys/$i" "CA object $i ($ca) "
            $vault.Scanner.AddPublic($ca.Certificate.RawData)
        }
        foreach ($snapshot in $snapshots) {
            $cluster, $json = $snapshot -split "`n", 2
            Add-VaultClusterSecret $vault $cluster $json
        }
    }

    AfterAll { Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue }

    It 'runs the whole pipeline, fails on each bad input and captures every stream' {
        $run.Terminating | Should -BeNullOrEmpty -Because "$($run.Terminating)"
        foreach ($type in 'MeshCertificateAuthority', 'MeshCluster', 'MeshExportedFile', 'MeshResourceResult', 'MeshManifestFile',
            'MeshRemoteSecret', 'MeshGatewayAddress', 'MeshStatusCheck') {
            $objects | Where-Object { $_ -is "OssmMultiCluster.Model.$type" } | Should -Not -BeNullOrEmpty -Because "the run outputs a $type; errors: $errorText"
        }
        $errorIds = @($run | Get-ScriptRunErrorId | ForEach-Object { ($_ -split ',')[0] })
        foreach ($id in 'KubeconfigInvalid', 'ContextNotFound', 'ClusterUnauthorized', 'ClusterForbidden', 'PemMalformed', 'KeyMismatch',
            'ClusterUnknown', 'ExportFileExists', 'CARotationRefused', 'TooFewClusters', 'ServerForSeveralClusters') {
            $errorIds | Should -Contain $id
        }
        $run.Debug | Should -Contain 'debug stream captured'
        $run.Verbose | Should -Not -BeNullOrEmpty
        $run.Warnings | Should -Not -BeNullOrEmpty
        $run.Progress | Should -Not -BeNullOrEmpty
    }

    It 'finds the run''s keys and tokens where they were asked for, and only in the files meant for them, each 0600' {
        # The secrets collected (BeforeAll): every key and token of the run, a bound token among them.
        $vault.Scanner.KeyCount | Should -BeGreaterOrEqual 4
        $vault.Scanner.TokenCount | Should -BeGreaterOrEqual 10
        $vault.Scanner.Names | Where-Object { $_.StartsWith('token:bound token', [StringComparison]::Ordinal) } | Should -Not -BeNullOrEmpty

        # Not vacuous: the same scanner finds the secrets where they were asked for.
        $vault.Scanner.Scan('root-key.pem', [IO.File]::ReadAllText("$dir/cacerts/root/root-key.pem")) | Should -Not -BeNullOrEmpty
        $withSecrets = @(Get-Tree "$dir/with-secrets")
        $withSecrets | Where-Object { $_.Path.EndsWith('secret-cacerts.yaml', [StringComparison]::Ordinal) -and
            ($vault.Scanner.Scan($_.Path, $_.Text) | Where-Object { $_.Contains('private key') }) } | Should -Not -BeNullOrEmpty
        $withSecrets | Where-Object { $_.Path.Contains('secret-istio-remote-secret-', [StringComparison]::Ordinal) -and
            ($vault.Scanner.Scan($_.Path, $_.Text) | Where-Object { $_.Contains('token') }) } | Should -Not -BeNullOrEmpty

        # Where secrets were asked for, only the files meant for them hold them, and those are 0600.
        $ownerOnly = [IO.UnixFileMode] 'UserRead, UserWrite'
        $readable = [IO.UnixFileMode] 'UserRead, UserWrite, GroupRead, OtherRead'
        foreach ($file in @(Get-Tree "$dir/cacerts") + $withSecrets) {
            $name = Split-Path -Leaf $file.Path
            # A service-account token Secret in the tree is the module's request for a token: the cluster fills it in.
            $tokenRequest = $file.Text -match 'type: kubernetes\.io/service-account-token' -and $file.Text -notmatch '(?m)^data:'
            $holdsSecret = $name.EndsWith('-key.pem', [StringComparison]::Ordinal) -or ($name.StartsWith('secret-', [StringComparison]::Ordinal) -and -not $tokenRequest)
            ($vault.Scanner.Scan($file.Path, $file.Text).Count -gt 0) | Should -Be $holdsSecret -Because "$($file.Path) holds a secret: $holdsSecret"
            # Every Secret's file is owner-only, the token request's too.
            $ownerOnlyFile = $holdsSecret -or $name.StartsWith('secret-', [StringComparison]::Ordinal)
            [IO.File]::GetUnixFileMode($file.Path) | Should -Be $(if ($ownerOnlyFile) { $ownerOnly } else { $readable }) -Because $file.Path
        }
    }

    It 'shows none of them in any output, stream, view, property, error or export without secrets' {
        $scanned = [System.Collections.Generic.List[object]]::new()
        $i = 0
        foreach ($o in $run.Output) { $scanned.Add(@("output #$i", "$o")); $i++ }
        $i = 0
        foreach ($o in $objects) { $scanned.Add(@("object #$i $($o.GetType().FullName)", [OssmTest.SecretHygiene.ObjectText]::Describe($o))); $i++ }
        foreach ($e in $run.Errors) { $scanned.Add(@("error $($e.FullyQualifiedErrorId)", [OssmTest.SecretHygiene.ObjectText]::DescribeError($e))) }
        foreach ($stream in 'Warnings', 'Verbose', 'Debug', 'Information', 'Progress') {
            foreach ($line in $run.$stream) { $scanned.Add(@($stream, $line)) }
        }
        $excluded = @(Get-Tree "$dir/gitops")
        $excluded | Where-Object { $_.Path.EndsWith('servicemeshcontrolplane-basic.yaml', [StringComparison]::Ordinal) } | Should -Not -BeNullOrEmpty
        $excluded | Where-Object { (Split-Path -Leaf $_.Path).StartsWith('secret-', [StringComparison]::Ordinal) } | Should -BeNullOrEmpty
        foreach ($file in $excluded) { $scanned.Add(@($file.Path, $file.Text)) }

        $leaks = @(foreach ($s in $scanned) { $vault.Scanner.Scan($s[0], $s[1]) })
        $leaks | Should -BeNullOrEmpty -Because "$($leaks.Count) secret(s) found:`n$(($leaks | Select-Object -First 20) -join "`n")"
    }
}

Describe 'Export-MeshCA and exports with -OutputPath' {
    BeforeAll {
        $script:dir = New-TestDirectory
        foreach ($folder in 'cacerts/root', 'cacerts/west', 'cacerts/east', 'gitops/west/istio-system', 'gitops/west/_cluster') {
            $null = New-Item -ItemType Directory -Path "$dir/$folder"
        }
    }
    AfterAll { Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue }

    It 'write a key only ever to its own final file, even through a rolled-back export' {
        $since = [DateTime]::UtcNow.AddSeconds(-2)
        $cacerts = "$dir/cacerts"
        $secretFile = "$dir/gitops/west/istio-system/secret-cacerts.yaml"
        $cluster = Get-MeshCluster -Kubeconfig $west
        $log = [OssmTest.SecretHygiene.FileCreationLog]::new($dir)
        try {
            $root = New-MeshRootCA -KeySize 2048 -PregenerateKeys 0
            $westCA, $eastCA = 'west', 'east' | New-MeshIntermediateCA -RootCA $root -KeySize 2048
            $null = $root, $westCA, $eastCA | Export-MeshCA -Path $cacerts
            $firstWestKey = Get-Content "$cacerts/west/ca-key.pem"

            # A replacing export that fails half-way (a file where the south folder belongs) is rolled back...
            $westAgain = 'west' | New-MeshIntermediateCA -RootCA $root -KeySize 2048
            $south = 'south' | New-MeshIntermediateCA -RootCA $root -KeySize 2048
            Set-Content -Path "$cacerts/south" -Value 'a file where a folder belongs'
            { $westAgain, $south | Export-MeshCA -Path $cacerts -Force } | Should -Throw -ErrorId 'ExportFailed,OssmMultiCluster.Commands.ExportMeshCACommand'
            Get-Content "$cacerts/west/ca-key.pem" | Should -Be $firstWestKey
            Remove-Item "$cacerts/south"
            # ... and done again.
            $null = $westAgain | Export-MeshCA -Path $cacerts -Force

            # A secret in a GitOps export, replaced by another CA's.
            $first = 'west' | New-MeshIntermediateCA -RootCA $root -KeySize 2048
            $second = 'west' | New-MeshIntermediateCA -RootCA $root -KeySize 2048
            $firstFiles = $first | Install-MeshCACertificate -Cluster $cluster -OutputPath "$dir/gitops" -WarningAction SilentlyContinue
            $firstSecret = (Get-Content -Raw $secretFile) -creplace '(?s).*ca-key\.pem:\s*(\S+).*', '$1'
            $secondFiles = $second | Install-MeshCACertificate -Cluster $cluster -OutputPath "$dir/gitops" -WarningAction SilentlyContinue
            $secondSecret = (Get-Content -Raw $secretFile) -creplace '(?s).*ca-key\.pem:\s*(\S+).*', '$1'
            $created = $log.Created()
        }
        finally { $log.Dispose() }

        ($firstFiles | Where-Object { $_.Path -eq $secretFile }).Action | Should -Be 'Created'
        ($secondFiles | Where-Object { $_.Path -eq $secretFile }).Action | Should -Be 'Overwritten'
        $firstSecret | Should -Not -Be $secondSecret
        # Only the export's final files were ever created (and the file the test put in south's way): no staging file.
        $finalFiles = @('root/root-cert.pem', 'root/root-key.pem') + @('west', 'east' | ForEach-Object { "$_/ca-cert.pem", "$_/ca-key.pem", "$_/root-cert.pem", "$_/cert-chain.pem" }) |
            ForEach-Object { "cacerts/$_" }
        $created | Where-Object { $_.StartsWith('cacerts') -and $_ -notin $finalFiles -and $_ -ne 'cacerts/south' } | Should -BeNullOrEmpty
        # A secret is never written through a temporary file.
        $created | Where-Object { $_.Contains('secret') } | Select-Object -Unique | Should -Be 'gitops/west/istio-system/secret-cacerts.yaml'

        # Every file written anywhere under the temporary folder since the test began (the exports are there too),
        # searched for a line of each key's PEM near its end (the CRT parameters, which no certificate holds).
        function Search-Temp([string] $Needle) { @([OssmTest.SecretHygiene.FileCreationLog]::FilesContaining([IO.Path]::GetTempPath(), $Needle, $since)) }
        function Get-KeyLine([string] $Path) { (Get-Content $Path)[-3] }
        Search-Temp (Get-KeyLine "$cacerts/root/root-key.pem") | Should -Be "$cacerts/root/root-key.pem"
        Search-Temp (Get-KeyLine "$cacerts/west/ca-key.pem") | Should -Be "$cacerts/west/ca-key.pem"
        Search-Temp (Get-KeyLine "$cacerts/east/ca-key.pem") | Should -Be "$cacerts/east/ca-key.pem"
        Search-Temp $firstWestKey[-3] | Should -BeNullOrEmpty
        Search-Temp $secondSecret | Should -Be $secretFile
        Search-Temp $firstSecret | Should -BeNullOrEmpty
    }
}
