<#
The lab itself (tests/lab/lab.sh), which every module test stands on: kubeconfigs that verify the API server's TLS
certificate, the stand-in for a cloud load balancer, the project's CRDs, and a new start cleaning up after a crashed run.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:lab = Start-TestLab
    $script:labScript = Join-Path (Get-RepoRoot) 'tests/lab/lab.sh'

    # The walkthrough's control plane (step 7) for west, with east's network in its mesh networks.
    $script:walkthroughSmcp = @'
apiVersion: maistra.io/v2
kind: ServiceMeshControlPlane
metadata:
  name: basic
  namespace: lab-crd-check
spec:
  addons:
    kiali:
      enabled: false
  cluster:
    name: west-cluster
    network: west-network
    multiCluster:
      enabled: true
      meshNetworks:
        east-network:
          endpoints:
          - fromRegistry: east-cluster
          gateways:
          - address: 192.0.2.10
            port: 15443
  general:
    logging:
      componentLevels:
        default: info
  mode: ClusterWide
  meshConfig:
    discoverySelectors:
    - matchLabels:
        istio-injection: enabled
  proxy:
    accessLogging:
      file:
        name: /dev/stdout
  security:
    dataPlane:
      mtls: true
    identity:
      type: ThirdParty
    manageNetworkPolicy: false
  techPreview:
    global:
      meshID: bookinfo-mesh
  tracing:
    type: None
'@

    # A Service's field as kubectl's jsonpath gives it, waited for (20 s at most) until it is not empty.
    function script:Wait-ServiceField([string] $Cluster, [string] $Service, [string] $JsonPath) {
        $deadline = [DateTime]::UtcNow.AddSeconds(20)
        while ($true) {
            $value = Invoke-LabKubectl $lab $Cluster -n lab-lb get service $Service -o "jsonpath=$JsonPath"
            if ($value.Length -gt 0 -or [DateTime]::UtcNow -gt $deadline) { return $value }
            Start-Sleep -Milliseconds 300
        }
    }

    # The ids of the processes whose command line names a file in $Directory.
    function script:Get-LabProcessId([string] $Directory) {
        @(& pgrep -f "$Directory/" | ForEach-Object { [int] $_ })
    }
}

AfterAll {
    Stop-TestLab $lab
}

Describe 'The lab''s kubeconfigs' {
    It 'carry the API server''s CA and never skip TLS verification' {
        $lab.Kubeconfigs.Values | Should -Not -BeNullOrEmpty
        foreach ($path in $lab.Kubeconfigs.Values) {
            $text = Get-Content -Raw $path
            $text | Should -BeLikeExactly '*certificate-authority-data:*' -Because $path
            $text | Should -Not -BeLikeExactly '*insecure-skip-tls-verify*' -Because $path
        }
        Invoke-LabKubectl $lab west version -o json | Should -BeLikeExactly '*v1.20*'
    }
}

Describe 'The load-balancer stand-in' {
    It 'gives LoadBalancer services an IP or a hostname, and none when told' {
        $null = Invoke-LabKubectl $lab west create namespace lab-lb
        $null = Invoke-LabKubectl $lab east create namespace lab-lb
        $null = Invoke-LabKubectl $lab west -n lab-lb create service loadbalancer gw --tcp=15443:15443
        $null = Invoke-LabKubectl $lab east -n lab-lb create service loadbalancer gw --tcp=15443:15443
        # Annotated as it is created: annotated afterwards, the stand-in could give it an address first (a loaded machine did).
        $never = Invoke-LabKubectl $lab west -n lab-lb create service loadbalancer never --tcp=15443:15443 --dry-run=client -o json | ConvertFrom-Json -AsHashtable
        $never.metadata.annotations = @{ 'ossm-lab/ingress' = 'none' }
        $neverFile = New-TemporaryFile
        try {
            $never | ConvertTo-Json -Depth 10 | Set-Content $neverFile
            $null = Invoke-LabKubectl $lab west -n lab-lb create -f $neverFile
        }
        finally { Remove-Item $neverFile }
        Invoke-LabKubectl $lab west -n lab-lb get service never -o 'jsonpath={.metadata.annotations.ossm-lab/ingress}' | Should -BeExactly 'none'

        Wait-ServiceField west gw '{.status.loadBalancer.ingress[0].ip}' | Should -BeLikeExactly '127.100.0.*'
        Wait-ServiceField east gw '{.status.loadBalancer.ingress[0].hostname}' | Should -BeExactly 'gw.lab-lb.east.elb.lab.test'
        Start-Sleep -Seconds 3
        Invoke-LabKubectl $lab west -n lab-lb get service never -o 'jsonpath={.status.loadBalancer.ingress}' | Should -BeExactly ''
    }
}

Describe 'The project''s CRDs' {
    BeforeAll { $script:dir = New-TestDirectory }
    AfterAll { Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue }

    It 'accept the walkthrough''s control plane and reject fields of the wrong type' {
        $null = Invoke-LabKubectl $lab west create namespace lab-crd-check
        Set-Content -Path "$dir/smcp.yaml" -Value $walkthroughSmcp
        $null = Invoke-LabKubectl $lab west apply -f "$dir/smcp.yaml"
        Invoke-LabKubectl $lab west -n lab-crd-check get smcp basic -o 'jsonpath={.spec.techPreview.global.meshID}' | Should -BeExactly 'bookinfo-mesh'
        Invoke-LabKubectl $lab west -n lab-crd-check get smcp basic -o 'jsonpath={.spec.cluster.multiCluster.meshNetworks.east-network.gateways[0].address}' |
            Should -BeExactly '192.0.2.10'

        Set-Content -Path "$dir/bad.yaml" -Value $walkthroughSmcp.Replace('mtls: true', 'mtls: "yes"').Replace('name: basic', 'name: bad')
        $bad = Invoke-LabKubectl $lab west -Try apply --validate=false -f "$dir/bad.yaml"
        $bad.Code | Should -Not -Be 0
        $bad.Output | Should -BeLikeExactly '*must be of type boolean*'

        # Each cluster carries one operator's CRDs (--crds): OSSM 2.6's on east, Sail's on saileast.
        $sets = [ordered]@{ east = 'servicemeshcontrolplanes.maistra.io', 'gateways.networking.istio.io'; saileast = 'istios.sailoperator.io', 'istiocnis.sailoperator.io' }
        foreach ($cluster in $sets.Keys) {
            foreach ($crd in $sets[$cluster]) {
                Invoke-LabKubectl $lab $cluster get crd $crd -o 'jsonpath={.status.conditions[?(@.type=="Established")].status}' | Should -BeExactly 'True' -Because "$crd on $cluster"
            }
        }
        Invoke-LabKubectl $lab east -Try get crd istios.sailoperator.io | ForEach-Object Code | Should -Not -Be 0 -Because 'never both sets on one cluster'

    }
}

Describe 'lab.sh start' {
    BeforeAll { $script:soloDir = New-TestDirectory }
    AfterAll {
        & bash $labScript stop $soloDir --purge 2>&1 | Out-Null
        Remove-Item $soloDir -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'ends what a crashed lab left running when it starts over in the same folder' {
        $null = Start-TestLab -Clusters solo -Options '--no-crds', 'solo' -Directory $soloDir
        $before = Get-LabProcessId $soloDir
        $before | Should -Not -BeNullOrEmpty

        # A crash: the lab was never stopped. Starting again in the same folder must not leave the old processes.
        $null = Start-TestLab -Clusters solo -Options '--no-crds', 'solo' -Directory $soloDir
        $after = Get-LabProcessId $soloDir
        $before | Where-Object { $_ -in $after } | Should -BeNullOrEmpty
        $status = & bash $labScript status $soloDir
        $LASTEXITCODE | Should -Be 0
        $status | Should -Contain 'solo ready'

        & bash $labScript stop $soloDir 2>&1 | Out-Null
        $LASTEXITCODE | Should -Be 0
        Get-LabProcessId $soloDir | Should -BeNullOrEmpty
    }
}
