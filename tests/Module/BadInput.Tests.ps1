<#
The bad inputs a user meets (issue 8), each driven through the cmdlet a user would call, against the lab: a stable
ErrorId, the right category, the offending value as TargetObject, a RecommendedAction, and no side effect (nothing
created on the lab, checked with kubectl; no file written). One row, one test:

bad input                                    ErrorId (category), target
------------------------------------------   --------------------------------------------
malformed kubeconfig                         KubeconfigInvalid (InvalidData), the file
unknown context                              ContextNotFound (ObjectNotFound), the context
wrong token                                  ClusterUnauthorized (PermissionDenied), name
token of a deleted service account           ClusterUnauthorized (PermissionDenied), name
API server CA mismatch                       ClusterTlsFailed (SecurityError), name
cluster name that is not a DNS label         InvalidClusterName (InvalidArgument), name
one name for two clusters of a mesh          DuplicateClusterName (InvalidArgument), name
one network where different ones were meant  a warning (not an error) saying how to silence it
malformed or truncated PEM                   PemMalformed (InvalidData), the file
encrypted key without a password             KeyEncrypted (InvalidArgument), the key file
root CA that is not a CA                     RootNotCA (InvalidData), the file
gateway that never gets an address           GatewayAddressTimeout (OperationTimeout), name
a namespace the cluster does not have        NamespaceNotFound (ObjectNotFound), the namespace

What the fuzz tests found is pinned in the xunit Fuzz/PemRegressionTests and Fuzz/KubeconfigRegressionTests.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-TestedModule
    $script:lab = Start-TestLab
    Set-LabVariable $lab $ExecutionContext.SessionState
    $script:dir = New-TestDirectory

    function script:Install-FirstCA {
        <#
        What a user runs first: resolve clusters with the splatted selection, then issue and install their CAs. Returns
        what it wrote: Output, ErrorVariable (everything -ErrorVariable collected) and Terminating (the error that
        stopped it, if one did).
        #>
        param([hashtable] $Selection, [string] $Namespace)
        $out = $null; $terminating = $null
        try {
            $root = New-MeshRootCA -KeyAlgorithm ECDSA -KeySize 256 -PregenerateKeys 0
            Get-MeshCluster @Selection -ErrorVariable +errs -ErrorAction SilentlyContinue |
                New-MeshIntermediateCA -RootCA $root -ErrorVariable +errs -ErrorAction SilentlyContinue |
                Install-MeshCACertificate -Namespace $Namespace -ErrorVariable +errs -ErrorAction SilentlyContinue -OutVariable out
        }
        catch { $terminating = $_ }
        [pscustomobject]@{ Output = @($out); ErrorVariable = @($errs); Terminating = $terminating }
    }

    function script:Assert-TheError {
        <#
        The one error of a run (the terminating one, else the single error written), checked for id, cmdlet,
        category, target and recommended action; every error written carries the same id. Returns the record.
        #>
        param(
            [AllowEmptyCollection()] [object[]] $ErrorVariable, $Terminating, [string] $ErrorId, [string] $Command,
            [System.Management.Automation.ErrorCategory] $Category, $Target
        )
        # -ErrorVariable holds a terminating error as its exception, a written one as its ErrorRecord.
        $written = @($ErrorVariable | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        if ($Terminating) { $record = $Terminating }
        else {
            $written | Should -HaveCount 1
            $record = $written[0]
        }
        foreach ($e in $written) { $e.FullyQualifiedErrorId | Should -BeExactly $record.FullyQualifiedErrorId }
        $record.FullyQualifiedErrorId | Should -BeExactly "$ErrorId,OssmMultiCluster.Commands.${Command}Command"
        $record.CategoryInfo.Category | Should -Be $Category
        $record.TargetObject | Should -BeOfType $Target.GetType()
        $record.TargetObject | Should -BeExactly $Target
        $record.Exception | Should -BeOfType ([OssmMultiCluster.MeshException])
        $record.Exception.GetType().FullName | Should -BeExactly 'OssmMultiCluster.MeshException'
        $record.ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty -Because "$ErrorId needs a recommended action"
        $record.ErrorDetails.RecommendedAction.Trim() | Should -Not -BeNullOrEmpty -Because "$ErrorId needs a recommended action"
        $record
    }

    function script:Assert-NoNamespace([string] $Cluster, [string] $Namespace) {
        (Invoke-LabKubectl $lab $Cluster -Try get namespace $Namespace).Code | Should -Not -Be 0 -Because "namespace $Namespace must not be created on $Cluster"
    }

    function script:Get-LabToken([string] $Cluster) {
        [regex]::Match((Get-Content -Raw $lab.Kubeconfigs[$Cluster]), 'token: (\S+)').Groups[1].Value
    }

    function script:New-KubeconfigWithToken([string] $Cluster, [string] $Token, [string] $File) {
        $path = Join-Path $dir $File
        Set-Content -Path $path -NoNewline -Value (Get-Content -Raw $lab.Kubeconfigs[$Cluster]).Replace((Get-LabToken $Cluster), $Token)
        $path
    }

    function script:Export-TestCA([string] $Folder) {
        <# A root and west's intermediate, exported in the walkthrough's layout under $dir/$Folder. #>
        $path = Join-Path $dir $Folder
        $root = New-MeshRootCA -KeyAlgorithm ECDSA -KeySize 256 -PregenerateKeys 0
        $null = $root, (New-MeshIntermediateCA -RootCA $root -ClusterName west) | Export-MeshCA -Path $path
        $path
    }

    function script:Get-FolderSnapshot([string] $Path) {
        Get-ChildItem -Path $Path -Recurse -File | Sort-Object FullName | ForEach-Object { "$($_.FullName)=$(Get-Content -Raw $_.FullName)" }
    }
}

AfterAll {
    Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
    Stop-TestLab $lab
}

Describe 'Bad kubeconfigs and credentials' {
    It 'is KubeconfigInvalid for a malformed kubeconfig, stopping Get-MeshCluster before anything is installed' {
        $broken = Join-Path $dir 'broken.kubeconfig'
        Set-Content -Path $broken -NoNewline -Value "apiVersion: v1`nkind: Config`nclusters: [ {name: x, cluster: {server: "
        $run = Install-FirstCA -Selection @{ Kubeconfig = $broken, $west } -Namespace matrix-malformed

        $null = Assert-TheError $run.ErrorVariable $run.Terminating KubeconfigInvalid GetMeshCluster InvalidData $broken
        $run.Output | Should -BeNullOrEmpty
        Assert-NoNamespace west matrix-malformed
    }

    It 'is ContextNotFound for an unknown context, listing the contexts there are' {
        $run = Install-FirstCA -Selection @{ Kubeconfig = $west; Context = 'nowhere' } -Namespace matrix-context

        $e = Assert-TheError $run.ErrorVariable $run.Terminating ContextNotFound GetMeshCluster ObjectNotFound nowhere
        $e.ErrorDetails.RecommendedAction | Should -BeLikeExactly '*west*'
        Assert-NoNamespace west matrix-context
    }

    It 'is ClusterUnauthorized for a wrong token, installs nothing there and never shows the token' {
        $wrongToken = [Convert]::ToHexString([System.Security.Cryptography.RandomNumberGenerator]::GetBytes(24)).ToLowerInvariant()
        $wrong = New-KubeconfigWithToken west $wrongToken wrong-token.kubeconfig

        # Every stream (progress included) is scanned for the token: these runs go through Invoke-ModuleScript.
        $test = Invoke-ModuleScript 'Get-MeshCluster -Kubeconfig $wrong -Test' -Variables @{ wrong = $wrong }
        $null = Assert-TheError $test.Errors $test.Terminating ClusterUnauthorized GetMeshCluster PermissionDenied west
        $test.Output | Should -BeNullOrEmpty

        $run = Invoke-ModuleScript @'
$root = New-MeshRootCA -KeyAlgorithm ECDSA -KeySize 256 -PregenerateKeys 0
Get-MeshCluster -Kubeconfig $wrong | New-MeshIntermediateCA -RootCA $root | Install-MeshCACertificate -Namespace matrix-wrong-token
'@ -Variables @{ wrong = $wrong }
        $null = Assert-TheError $run.Errors $run.Terminating ClusterUnauthorized InstallMeshCACertificate PermissionDenied west
        $run.Output | Should -BeNullOrEmpty
        ($test | Get-ScriptRunText) + ($run | Get-ScriptRunText) | Should -Not -BeLike "*$wrongToken*"
        Assert-NoNamespace west matrix-wrong-token
    }

    It 'is ClusterUnauthorized for the token of a deleted service account, and installs nothing' {
        $account = 'matrix-expired'
        $null = Invoke-LabKubectl $lab west -n default create serviceaccount $account
        $token = (Invoke-LabKubectl $lab west -n default create token $account --duration 10m).Trim()
        $stale = New-KubeconfigWithToken west $token stale-token.kubeconfig

        # While the account exists the server knows the token (and forbids listing namespaces to it).
        $terminating = $null
        try { $null = Get-MeshCluster -Kubeconfig $stale -Test -ErrorVariable errs -ErrorAction SilentlyContinue } catch { $terminating = $_ }
        $null = Assert-TheError $errs $terminating ClusterForbidden GetMeshCluster PermissionDenied west

        # Deleting the account invalidates its bound tokens, once the API server's 10 s authentication cache lets go.
        $null = Invoke-LabKubectl $lab west -n default delete serviceaccount $account
        $clock = [Diagnostics.Stopwatch]::StartNew()
        while (-not ((& kubectl --kubeconfig $stale get --raw /version 2>&1 | Out-String) -clike '*Unauthorized*')) {
            $clock.Elapsed | Should -BeLessThan ([timespan]::FromSeconds(60)) -Because 'the token of the deleted account was still accepted after 60 s'
            Start-Sleep -Seconds 1
        }

        # Every stream (progress included) is scanned for the token: these runs go through Invoke-ModuleScript.
        $test = Invoke-ModuleScript 'Get-MeshCluster -Kubeconfig $stale -Test' -Variables @{ stale = $stale }
        $null = Assert-TheError $test.Errors $test.Terminating ClusterUnauthorized GetMeshCluster PermissionDenied west
        $run = Invoke-ModuleScript @'
$root = New-MeshRootCA -KeyAlgorithm ECDSA -KeySize 256 -PregenerateKeys 0
Get-MeshCluster -Kubeconfig $stale | New-MeshIntermediateCA -RootCA $root | Install-MeshCACertificate -Namespace matrix-expired-token
'@ -Variables @{ stale = $stale }
        $null = Assert-TheError $run.Errors $run.Terminating ClusterUnauthorized InstallMeshCACertificate PermissionDenied west
        ($test | Get-ScriptRunText) + ($run | Get-ScriptRunText) | Should -Not -BeLike "*$token*"
        Assert-NoNamespace west matrix-expired-token
    }

    It 'is ClusterTlsFailed for a kubeconfig trusting another cluster''s CA, and installs nothing' {
        $westCA = Invoke-LabKubectl $lab west config view --raw -o 'jsonpath={.clusters[0].cluster.certificate-authority-data}'
        $eastCA = Invoke-LabKubectl $lab east config view --raw -o 'jsonpath={.clusters[0].cluster.certificate-authority-data}'
        $wrongCA = Join-Path $dir 'wrong-ca.kubeconfig'
        Set-Content -Path $wrongCA -NoNewline -Value (Get-Content -Raw $west).Replace($westCA, $eastCA)
        $run = Install-FirstCA -Selection @{ Kubeconfig = $wrongCA } -Namespace matrix-ca-mismatch

        $e = Assert-TheError $run.ErrorVariable $run.Terminating ClusterTlsFailed InstallMeshCACertificate SecurityError west
        $e.ErrorDetails.RecommendedAction | Should -BeLikeExactly '*certificate-authority-data*'
        Assert-NoNamespace west matrix-ca-mismatch
    }
}

Describe 'Bad cluster names and networks' {
    It 'is InvalidClusterName for a name that is not a DNS label, stopping Get-MeshCluster before anything is installed' {
        $run = Install-FirstCA -Selection @{ Kubeconfig = $west; Name = 'West_1' } -Namespace matrix-bad-name

        $null = Assert-TheError $run.ErrorVariable $run.Terminating InvalidClusterName GetMeshCluster InvalidArgument West_1
        Assert-NoNamespace west matrix-bad-name
    }

    It 'is DuplicateClusterName for one name given to two clusters, in Get-MeshCluster and in Connect-MeshCluster, before any change' {
        $run = Install-FirstCA -Selection @{ Kubeconfig = $west, $east; Name = 'west', 'west' } -Namespace matrix-duplicate
        $null = Assert-TheError $run.ErrorVariable $run.Terminating DuplicateClusterName GetMeshCluster InvalidArgument west

        # Clusters resolved one at a time can still share a name; the mesh refuses them before it changes anything.
        $a = Get-MeshCluster -Kubeconfig $west -Name same
        $b = Get-MeshCluster -Kubeconfig $east -Name same
        $terminating = $null
        try { $null = Connect-MeshCluster -Cluster $a, $b -Namespace matrix-duplicate -CreateServiceAccount -ErrorVariable errs -ErrorAction SilentlyContinue }
        catch { $terminating = $_ }
        $null = Assert-TheError $errs $terminating DuplicateClusterName ConnectMeshCluster InvalidArgument same
        Assert-NoNamespace west matrix-duplicate
        Assert-NoNamespace east matrix-duplicate
    }

    It 'warns, saying how to silence it, and writes no error, when clusters are given one network' {
        $c = Get-MeshCluster -Kubeconfig $west, $east -Network n1, n1 -WarningVariable +warnings -WarningAction SilentlyContinue -ErrorVariable +errs
        $line = ($c | ForEach-Object { "$($_.Name)|$($_.Network)" }) -join ','
        $out = Connect-MeshCluster -Cluster $c -Namespace matrix-one-network -WhatIf -WarningVariable +warnings -WarningAction SilentlyContinue -ErrorVariable +errs

        $errs | Should -BeNullOrEmpty
        $line | Should -BeExactly 'west|n1,east|n1'
        $out | Should -BeNullOrEmpty
        $warnings | Should -HaveCount 2
        foreach ($w in $warnings) {
            "$w" | Should -BeLikeExactly '*west, east*'
            "$w" | Should -BeLikeExactly "*'n1'*"
            "$w" | Should -BeLikeExactly '*Get-MeshCluster -Network*'
            "$w" | Should -BeLikeExactly '*-WarningAction SilentlyContinue*'
        }
        Assert-NoNamespace west matrix-one-network

        # Silenced as the warning says, or networks that differ, or none given: no warning is written at all.
        $written = . {
            $null = Get-MeshCluster -Kubeconfig $west, $east -Network n1, n1 -WarningAction SilentlyContinue -ErrorVariable +meantErrs
            $null = Get-MeshCluster -Kubeconfig $west, $east -Network n1, n2 -ErrorVariable +meantErrs
            $null = Get-MeshCluster -Kubeconfig $west, $east -ErrorVariable +meantErrs
        } 3>&1
        $meantErrs | Should -BeNullOrEmpty
        $written | Should -BeNullOrEmpty
    }
}

Describe 'Bad certificates and keys' {
    It 'is PemMalformed for a <Damage> PEM file, and nothing is installed or written' -ForEach @(
        @{ Damage = 'truncated' }
        @{ Damage = 'corrupted' }
    ) {
        $ns = "matrix-pem-$Damage"
        $layout = Export-TestCA "layout-$Damage"
        $certificate = Join-Path $layout 'west/ca-cert.pem'
        $pem = Get-Content -Raw $certificate
        $line = $pem.Split("`n")[3]
        $damaged = if ($Damage -eq 'truncated') { $pem.Substring(0, [int][math]::Floor($pem.Length / 2)) } else { $pem.Replace($line, '!!' + $line.Substring(2)) }
        Set-Content -Path $certificate -NoNewline -Value $damaged
        $before = Get-FolderSnapshot $layout

        $out = $null; $terminating = $null
        try {
            Import-MeshCA -CertificatePath "$layout/west/ca-cert.pem" -KeyPath "$layout/west/ca-key.pem" -RootCertificatePath "$layout/root/root-cert.pem" -ErrorVariable +errs -ErrorAction SilentlyContinue |
                Install-MeshCACertificate -Cluster (Get-MeshCluster -Kubeconfig $west) -Namespace $ns -ErrorVariable +errs -ErrorAction SilentlyContinue -OutVariable out
        }
        catch { $terminating = $_ }

        $null = Assert-TheError $errs $terminating PemMalformed ImportMeshCA InvalidData $certificate
        $out | Should -BeNullOrEmpty
        Assert-NoNamespace west $ns
        Get-FolderSnapshot $layout | Should -Be $before
    }

    It 'is KeyEncrypted for an encrypted key given without a password, and nothing is written' {
        $layout = Export-TestCA layout-encrypted
        & openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$layout/west/ca-key.pem" -passout pass:matrix-s3cret -out "$layout/west/ca-key-encrypted.pem" 2>&1 | Out-Null
        $LASTEXITCODE | Should -Be 0
        $key = Join-Path $layout 'west/ca-key-encrypted.pem'
        $exported = Join-Path $dir 'out-encrypted'

        $terminating = $null
        try {
            Import-MeshCA -CertificatePath "$layout/west/ca-cert.pem" -KeyPath $key -RootCertificatePath "$layout/root/root-cert.pem" -ErrorVariable +errs -ErrorAction SilentlyContinue |
                Export-MeshCA -Path $exported -ErrorVariable +errs -ErrorAction SilentlyContinue
        }
        catch { $terminating = $_ }

        $e = Assert-TheError $errs $terminating KeyEncrypted ImportMeshCA InvalidArgument $key
        $e.ErrorDetails.RecommendedAction | Should -BeLikeExactly '*-KeyPassword*'
        $exported | Should -Not -Exist
    }

    It 'is RootNotCA for a root certificate that is not a CA, and nothing is written' {
        $leaf = Join-Path $dir 'leaf.pem'
        $leafKey = Join-Path $dir 'leaf-key.pem'
        & openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $leafKey -subj /CN=productpage `
            -days 30 -addext 'basicConstraints=critical,CA:false' -out $leaf 2>&1 | Out-Null
        $LASTEXITCODE | Should -Be 0
        $exported = Join-Path $dir 'out-notca'

        $out = $null; $terminating = $null
        try {
            Import-MeshCA -CertificatePath $leaf -KeyPath $leafKey -ErrorVariable +errs -ErrorAction SilentlyContinue |
                Export-MeshCA -Path $exported -ErrorVariable +errs -ErrorAction SilentlyContinue -OutVariable out
        }
        catch { $terminating = $_ }

        $e = Assert-TheError $errs $terminating RootNotCA ImportMeshCA InvalidData $leaf
        "$e" | Should -BeLikeExactly '*CN=productpage*'
        $out | Should -BeNullOrEmpty
        $exported | Should -Not -Exist
    }
}

Describe 'A namespace the cluster does not have' {
    It 'is NamespaceNotFound naming the namespace, not a missing operator, and creates nothing' {
        $c = Get-MeshCluster -Kubeconfig $west
        $out = New-MeshRemoteSecret -Cluster $c -Namespace matrix-no-such-ns -CreateServiceAccount -ErrorVariable errs -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $e = Assert-TheError $errs $null NamespaceNotFound NewMeshRemoteSecret ObjectNotFound 'matrix-no-such-ns'
        $e.ErrorDetails.RecommendedAction | Should -BeLikeExactly '*kubectl create namespace matrix-no-such-ns*'
        $e.Exception.Message | Should -Not -BeLikeExactly '*operator*'
        $out | Should -BeNullOrEmpty
        Assert-NoNamespace west matrix-no-such-ns
        (Invoke-LabKubectl $lab west -Try get clusterrole istio-reader-clusterrole-matrix-no-such-ns).Code | Should -Not -Be 0
    }
}

Describe 'A gateway without an address' {
    It 'is GatewayAddressTimeout naming the cluster, and changes nothing' {
        $null = Get-MeshCluster -Kubeconfig $west |
            Install-MeshEastWestGateway -Namespace matrix-gateway -LoadBalancerAnnotation @{ 'ossm-lab/ingress' = 'none' } -ErrorVariable setupErrs
        $setupErrs | Should -BeNullOrEmpty
        $before = Invoke-LabKubectl $lab west -n matrix-gateway get service istio-eastwestgateway -o 'jsonpath={.metadata.resourceVersion}|{.status}'

        $out = $null; $terminating = $null
        try {
            Get-MeshCluster -Kubeconfig $west -ErrorVariable +errs -ErrorAction SilentlyContinue |
                Wait-MeshGateway -Namespace matrix-gateway -Timeout 00:00:02 -ErrorVariable +errs -ErrorAction SilentlyContinue -OutVariable out
        }
        catch { $terminating = $_ }

        $e = Assert-TheError $errs $terminating GatewayAddressTimeout WaitMeshGateway OperationTimeout west
        $e.ErrorDetails.RecommendedAction | Should -BeLikeExactly '*-ServiceType NodePort*'
        $out | Should -BeNullOrEmpty
        Invoke-LabKubectl $lab west -n matrix-gateway get service istio-eastwestgateway -o 'jsonpath={.metadata.resourceVersion}|{.status}' |
            Should -BeExactly $before
    }
}
