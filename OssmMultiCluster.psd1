@{
    RootModule             = 'OssmMultiCluster.psm1'
    ModuleVersion          = '0.1.0'
    GUID                   = '5f1d7c84-2b7e-4f8a-9c55-0e2b6d3a91c4'
    Author                 = 'OssmMultiCluster contributors'
    CompanyName            = 'OssmMultiCluster'
    Copyright              = '(c) OssmMultiCluster contributors. Apache-2.0.'
    Description            = 'Multi-primary, multi-network OpenShift Service Mesh (OSSM 2.6 and 3) as a PowerShell pipeline: mesh PKI, CA secrets, control planes, east-west gateways, remote secrets, status.'
    CompatiblePSEditions   = @('Core')
    PowerShellVersion      = '7.4'
    FormatsToProcess       = @('OssmMultiCluster.Format.ps1xml')
    TypesToProcess         = @('OssmMultiCluster.Types.ps1xml')
    CmdletsToExport        = @(
        'Connect-MeshCluster'
        'Disconnect-MeshCluster'
        'Export-MeshCA'
        'Get-MeshCluster'
        'Get-MeshRemoteCluster'
        'Get-MeshStatus'
        'Import-MeshCA'
        'Install-MeshCACertificate'
        'Install-MeshControlPlane'
        'Install-MeshEastWestGateway'
        'Install-MeshSample'
        'New-MeshIntermediateCA'
        'New-MeshRemoteSecret'
        'New-MeshRootCA'
        'Remove-MeshCluster'
        'Remove-MeshSample'
        'Test-MeshConnectivity'
        'Test-MeshFailover'
        'Test-MeshPrerequisite'
        'Uninstall-MeshCACertificate'
        'Uninstall-MeshControlPlane'
        'Uninstall-MeshEastWestGateway'
        'Update-MeshCACertificate'
        'Update-MeshRemoteSecret'
        'Wait-MeshGateway'
    )
    FunctionsToExport      = @()
    AliasesToExport        = @()
    VariablesToExport      = @()
    PrivateData            = @{
        PSData = @{
            Tags         = @('ServiceMesh', 'Istio', 'OpenShift', 'OSSM', 'Kubernetes', 'MultiCluster', 'PKI', 'Linux', 'PSEdition_Core')
            LicenseUri   = 'https://www.apache.org/licenses/LICENSE-2.0'
            ProjectUri   = 'https://github.com/ossm-multicluster/OssmMultiCluster'
            ReleaseNotes = 'Mesh PKI, cluster handles, CA secrets, OSSM 2.6 and OSSM 3 control planes, east-west gateways, GitOps export, remote secrets, Connect/Disconnect, token rotation, status checks, failover and connectivity checks, tab completion.'
        }
    }
}
