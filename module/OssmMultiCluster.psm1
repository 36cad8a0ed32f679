# Loads the module's cmdlets through OssmMultiCluster.Loader, which puts OssmMultiCluster.dll and its dependencies
# into the module's own AssemblyLoadContext (see docs/ARCHITECTURE.md). Only the loader enters the default context.
$loaderType = 'OssmMultiCluster.Loader.ModuleLoadContext' -as [type]
if (-not $loaderType) {
    $loaderAssembly = [System.Reflection.Assembly]::LoadFrom([System.IO.Path]::Combine($PSScriptRoot, 'bin', 'OssmMultiCluster.Loader.dll'))
    $loaderType = $loaderAssembly.GetType('OssmMultiCluster.Loader.ModuleLoadContext', $true)
}

$mainAssembly = $loaderType::Initialize([System.IO.Path]::Combine($PSScriptRoot, 'bin'))
$innerModule = Import-Module -Assembly $mainAssembly -PassThru -Force:$false

# On a re-import (Import-Module -Force) PowerShell hands back the cached assembly module without re-exporting its
# cmdlets into this module's scope; add them explicitly so they are exported every time
# (https://github.com/PowerShell/PowerShell/issues/20710).
if ($innerModule) {
    $addExportedCmdlet = [System.Management.Automation.PSModuleInfo].GetMethod(
        'AddExportedCmdlet', [System.Reflection.BindingFlags]'Instance, NonPublic')
    foreach ($command in $innerModule.ExportedCmdlets.Values) {
        $addExportedCmdlet.Invoke($ExecutionContext.SessionState.Module, @(, $command))
    }
}
