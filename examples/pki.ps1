<#
.SYNOPSIS
    Steps 4 and 5 of the multi-primary walkthrough as a pipeline: a root CA, one intermediate CA per cluster,
    written in the walkthrough's cacerts layout, then read back and checked.
.EXAMPLE
    dotnet pwsh -c "Import-Module ./out/OssmMultiCluster/OssmMultiCluster.psd1; ./examples/pki.ps1 -OutputPath ./cacerts"
#>
param(
    [string] $OutputPath = (Join-Path ([IO.Path]::GetTempPath()) "ossm-cacerts-$PID"),
    [string[]] $Cluster = @('west', 'east')
)

$ErrorActionPreference = 'Stop'

$root = New-MeshRootCA
$intermediates = $Cluster | New-MeshIntermediateCA -RootCA $root
# Out-Default per step: each step's objects get their own table view, as at an interactive prompt.
$root, $intermediates | Out-Default

# The root's key is written only because the root itself is exported; keep it offline in production.
@($root) + @($intermediates) | Export-MeshCA -Path $OutputPath | Out-Default

# What a team that already ran the walkthrough does: import the folder, which checks every file as istiod will.
$imported = Import-MeshCA -Path $OutputPath
if (@($imported).Count -ne $Cluster.Count + 1) { throw "Expected $($Cluster.Count + 1) CAs back from $OutputPath." }
"Imported $(@($imported).Count) CAs from $OutputPath; every intermediate chains to '$($root.Subject)'."
