<#
Tab completion as a user gets it: PowerShell's own TabExpansion2 on a typed line, in this session, whose variables
($clusters, $west, $root, …) are what the completers offer. No cluster is needed: the kubeconfigs point nowhere.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-TestedModule
    $ErrorActionPreference = 'Stop'

    function script:Get-Completion([string] $Line) {
        <# What Tab offers at the end of the line, as the texts it would insert, joined with ','. #>
        (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches.CompletionText -join ','
    }

    $script:dir = New-TestDirectory
}

AfterAll {
    Remove-Item $dir -Recurse -Force
}

Describe 'Completion of -Context, and of enumerations' {
    BeforeAll {
        $config = Join-Path $dir 'contexts'
        Set-Content -Path $config -Value @'
apiVersion: v1
kind: Config
current-context: west
clusters:
- {name: c, cluster: {server: 'https://127.0.0.1:1'}}
users:
- {name: u, user: {token: offline}}
contexts:
- {name: west, context: {cluster: c, user: u}}
- {name: east-admin, context: {cluster: c, user: u}}
- {name: east-reader, context: {cluster: c, user: u}}
'@
    }

    It 'completes -Context from the kubeconfig given on the line' {
        Get-Completion "Get-MeshCluster -Kubeconfig '$config' -Context east" | Should -BeExactly 'east-admin,east-reader'
    }

    It 'completes "<Line>" with <Expected>' -ForEach @(
        @{ Line = 'Install-MeshControlPlane -Flavor '; Expected = 'Ossm2,Ossm3' }
        @{ Line = 'Install-MeshSample -Name '; Expected = 'Bookinfo,Helloworld,Sleep' }
    ) {
        Get-Completion $Line | Should -BeExactly $Expected
    }
}

Describe 'Completion of flavors, samples and components on every parameter that takes them' {
    It 'completes "<Line>" with <Expected>' -ForEach @(
        @{ Line = 'Install-MeshControlPlane -Flavor '; Expected = 'Ossm2,Ossm3' }
        @{ Line = 'Install-MeshEastWestGateway -Flavor '; Expected = 'Ossm2,Ossm3' }
        @{ Line = 'Install-MeshEastWestGateway -Flavor O'; Expected = 'Ossm2,Ossm3' }
        @{ Line = 'Install-MeshSample -Name '; Expected = 'Bookinfo,Helloworld,Sleep' }
        @{ Line = 'Remove-MeshSample -Name '; Expected = 'Bookinfo,Helloworld,Sleep' }
        @{ Line = 'Test-MeshFailover -Sample '; Expected = 'Bookinfo,Helloworld,Sleep' }
        @{ Line = 'Remove-MeshSample -Name h'; Expected = 'Helloworld' }
        @{ Line = 'Remove-MeshSample -Name Bookinfo -Component '; Expected = 'productpage,details,reviews,ratings' }
        @{ Line = 'Remove-MeshSample -Name Bookinfo -Component r'; Expected = 'reviews,ratings' }
        @{ Line = 'Test-MeshFailover -Sample Helloworld -Component '; Expected = 'helloworld' }
        @{ Line = 'Remove-MeshSample -Component s'; Expected = 'sleep' }
    ) {
        Get-Completion $Line | Should -BeExactly $Expected
    }
}

Describe 'Completion of cluster and CA parameters with the session''s variables, and of names' {
    BeforeAll {
        $config = "$dir/names"
        Set-Content -Path $config -Value @'
apiVersion: v1
kind: Config
current-context: Prod.West/Admin
clusters:
- {name: c, cluster: {server: 'https://127.0.0.1:1'}}
users:
- {name: u, user: {token: offline}}
contexts:
- {name: east-admin, context: {cluster: c, user: u}}
- {name: Prod.West/Admin, context: {cluster: c, user: u}}
'@
        # The session a user completes in: clusters, a root and an intermediate CA, and variables of other things.
        $clusters = Get-MeshCluster -Kubeconfig $config -Context Prod.West/Admin, east-admin -Name west, east
        $west = $clusters[0]
        $root = New-MeshRootCA -KeySize 2048 -PregenerateKeys 0
        $westCA = $west | New-MeshIntermediateCA -RootCA $root -KeySize 2048
        $numbers = 1, 2
        $mixed = @($west, 'not a cluster')
    }

    It 'completes "<Line>" with <Expected>' -ForEach @(
        @{ Line = 'Get-MeshStatus -Cluster '; Expected = '$clusters,$west' }
        @{ Line = 'Connect-MeshCluster -Cluster '; Expected = '$clusters,$west' }
        @{ Line = '$clusters | Install-MeshControlPlane -MeshId m -Cluster '; Expected = '$clusters,$west' }
        @{ Line = 'Disconnect-MeshCluster -Cluster '; Expected = '$clusters[0],$clusters[1],$west' }
        @{ Line = 'Disconnect-MeshCluster -Cluster $west -From '; Expected = '$clusters,$west' }
        @{ Line = 'Test-MeshFailover -From $west -RemoveFrom '; Expected = '$clusters[0],$clusters[1],$west' }
        @{ Line = 'Test-MeshConnectivity -From '; Expected = '$clusters[0],$clusters[1],$west' }
        # A typed '$' is PowerShell's own variable completion.
        @{ Line = 'Wait-MeshGateway -Cluster $we'; Expected = '$west,$westCA' }
        @{ Line = 'New-MeshIntermediateCA -RootCA '; Expected = '$root' }
        @{ Line = 'Export-MeshCA -Path ./ca -InputObject '; Expected = '$root,$westCA' }
        @{ Line = 'Install-MeshCACertificate -CertificateAuthority '; Expected = '$root,$westCA' }
        @{ Line = 'New-MeshIntermediateCA -RootCA $root -ClusterName '; Expected = 'east,west' }
        @{ Line = 'Update-MeshRemoteSecret -Cluster $clusters -Source '; Expected = 'east,west' }
        @{ Line = 'Update-MeshRemoteSecret -Cluster $west -Source '; Expected = 'west' }
        @{ Line = 'Import-MeshCA -CertificatePath c.pem -ClusterName e'; Expected = 'east' }
        @{ Line = 'Get-MeshCluster -Kubeconfig $config -Name '; Expected = 'prod-west-admin,east-admin' }
        @{ Line = 'Get-MeshCluster -Kubeconfig $config -Context east-admin -Name '; Expected = 'east-admin' }
    ) {
        Get-Completion $Line | Should -BeExactly $Expected
    }

    It 'completes -Context and -Name from a kubeconfig path a cmdlet gave (Join-Path), as from a typed one' {
        # What a user's profile has: the path from Join-Path (a string, wrapped as every cmdlet's output is).
        $config = Join-Path $dir 'names'
        Get-Completion 'Get-MeshCluster -Kubeconfig $config -Context ' | Should -BeExactly 'Prod.West/Admin,east-admin'
        Get-Completion 'Get-MeshCluster -Kubeconfig $config -Name ' | Should -BeExactly 'prod-west-admin,east-admin'
    }
}
