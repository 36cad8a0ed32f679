<#
Install-MeshSample and Remove-MeshSample on the lab, from the local helloworld manifest (tests/Samples/helloworld.yaml:
the lab has no internet) or from a loopback web server standing in for the upstream samples site.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-TestedModule
    $script:lab = Start-TestLab
    Set-LabVariable $lab $ExecutionContext.SessionState
    # As a careful user's script runs: an error a test does not expect stops it.
    $ErrorActionPreference = 'Stop'
    $script:manifest = Join-Path (Get-RepoRoot) 'tests/Samples/helloworld.yaml'
}

AfterAll {
    Stop-TestLab $lab
}

Describe 'Install-MeshSample and Remove-MeshSample' {
    It 'deploys a version of helloworld once, and removes its component as the failover step does, then the whole sample' {
        $c = Get-MeshCluster -Kubeconfig $west
        $c | Install-MeshSample -Name Helloworld -Version v2 -Path $manifest -Namespace hw-test -ErrorVariable errors | ForEach-Object {
            $_ | Should -BeOfType ([OssmMultiCluster.Model.MeshResourceResult])
            "$($_.Kind)|$($_.Name)|$($_.Action)"
        } | Should -Be 'Namespace|hw-test|Created', 'Service|helloworld|Created', 'Deployment|helloworld-v2|Created'
        $c | Install-MeshSample -Name Helloworld -Version v2 -Path $manifest -Namespace hw-test -ErrorVariable +errors | ForEach-Object Action | Sort-Object -Unique |
            Should -Be 'Unchanged'
        $errors | Should -BeNullOrEmpty
        Invoke-LabKubectl $lab west get ns hw-test -o 'jsonpath={.metadata.labels.istio-injection}' | Should -BeExactly 'enabled'
        Invoke-LabKubectl $lab west -n hw-test get deploy helloworld-v2 -o 'jsonpath={.spec.template.metadata.labels.sidecar\.istio\.io/inject}' | Should -BeExactly 'true'
        (Invoke-LabKubectl $lab west -Try -n hw-test get deploy helloworld-v1).Code | Should -Not -Be 0

        $c | Remove-MeshSample -Name Helloworld -Namespace hw-test -Component helloworld -Confirm:$false -ErrorVariable errors | ForEach-Object { "$($_.Kind)|$($_.Name)|$($_.Action)" } |
            Should -Be 'Service|helloworld|Deleted', 'Deployment|helloworld-v2|Deleted'
        $errors | Should -BeNullOrEmpty
        (Invoke-LabKubectl $lab west -Try -n hw-test get svc helloworld).Code | Should -Not -Be 0
        (Invoke-LabKubectl $lab west -Try get ns hw-test).Code | Should -Be 0

        $c | Remove-MeshSample -Name Helloworld -Namespace hw-test -Confirm:$false | ForEach-Object Action | Should -Be 'Deleted'
    }

    It 'downloads the manifest from -Uri' {
        # A loopback web server stands in for the upstream samples site, which this machine cannot reach.
        $listener = [System.Net.HttpListener]::new()
        $port = 0
        for ($candidate = 28000; $port -eq 0 -and $candidate -lt 28100; $candidate++) {
            try {
                $listener.Prefixes.Clear()
                $listener.Prefixes.Add("http://127.0.0.1:$candidate/")
                $listener.Start()
                $port = $candidate
            }
            catch [System.Net.HttpListenerException] {
                # Taken; try the next port (a failed Start leaves the listener unusable: make a new one).
                $listener = [System.Net.HttpListener]::new()
            }
        }
        $port | Should -Not -Be 0 -Because 'a port in 28000-28099 is free'
        $served = Start-ThreadJob {
            $context = ($using:listener).GetContext()
            $bytes = [IO.File]::ReadAllBytes($using:manifest)
            $context.Response.OutputStream.Write($bytes, 0, $bytes.Length)
            $context.Response.Close()
            $context.Request.Url.AbsolutePath
        }
        try {
            Get-MeshCluster -Kubeconfig $east |
                Install-MeshSample -Name Helloworld -Version v1 -Namespace hw-download -Uri "http://127.0.0.1:$port/samples/helloworld.yaml" -ErrorVariable errors |
                ForEach-Object Name | Should -Be 'hw-download', 'helloworld', 'helloworld-v1'
            $errors | Should -BeNullOrEmpty
            $served | Wait-Job -Timeout 30 | Receive-Job | Should -BeExactly '/samples/helloworld.yaml'
        }
        finally {
            $listener.Close()
            $served | Remove-Job -Force
        }
    }

    It 'stops on a bad manifest, naming it, and applies nothing' {
        $dir = New-TestDirectory
        try {
            $broken = Join-Path $dir broken.yaml
            Set-Content -Path $broken -Value "apiVersion: v1`nkind: Service`nmetadata: [unclosed`n" -NoNewline
            $c = Get-MeshCluster -Kubeconfig $west
            # The manifest is read before any cluster is asked: a bad one ends the command (a terminating error).
            $invalid = { $c | Install-MeshSample -Name Sleep -Path $broken -Namespace bad-sample } |
                Should -Throw -ErrorId 'SampleManifestInvalid,OssmMultiCluster.Commands.InstallMeshSampleCommand' -PassThru
            { $c | Install-MeshSample -Name Sleep -Path (Join-Path $dir absent.yaml) -Namespace bad-sample } |
                Should -Throw -ErrorId 'SampleManifestNotFound,OssmMultiCluster.Commands.InstallMeshSampleCommand'
        }
        finally { Remove-Item $dir -Recurse -Force }
        "$invalid" | Should -BeLike '*broken.yaml*'
        (Invoke-LabKubectl $lab west -Try get ns bad-sample).Code | Should -Not -Be 0
    }
}
