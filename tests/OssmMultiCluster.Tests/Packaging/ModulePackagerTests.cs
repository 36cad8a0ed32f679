using System.IO.Compression;
using NuGet.Packaging;
using OssmMultiCluster.Packager;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Packaging;

/// <summary>
/// build.ps1 -Task Package's work (tools/OssmMultiCluster.Packager) on the built module folder: the .nupkg is read back
/// with NuGet's own reader and compared with the manifest as PowerShell reads it, then unpacked as Install-PSResource
/// does and imported in a separate PowerShell process.
/// </summary>
public sealed class ModulePackagerTests
{
    private static readonly string[] PackagingParts = { "[Content_Types].xml", "_rels/", "package/" };

    private static string ModuleFolder => Path.GetDirectoryName(ModuleEngine.ModuleManifest)!;

    private static IEnumerable<string> FilesOf(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/')).Order(StringComparer.Ordinal);

    [Fact]
    public void The_nupkg_has_the_module_at_its_root_and_a_nuspec_made_from_the_manifest_with_PowerShellGets_tags()
    {
        using var dir = new TempDir();
        var package = ModulePackager.Pack(ModuleFolder, dir.Path);

        var run = ModuleEngine.Run("""
            $m = Import-PowerShellDataFile -Path $manifest
            $m.ModuleVersion; $m.Author; $m.CompanyName; $m.Description; $m.Copyright
            $d = $m.PrivateData.PSData
            $d.ProjectUri; $d.LicenseUri; $d.ReleaseNotes; $d.Tags -join ' '; $m.CmdletsToExport -join ' '
            $m.PowerShellVersion; $m.CompatiblePSEditions -join ' '
            """, new Dictionary<string, object?> { ["manifest"] = ModuleEngine.ModuleManifest }, importModule: false);
        run.AssertNoErrors();
        var psd1 = run.Output.Select(o => o.ToString()!).ToArray();
        var (version, cmdlets, userTags) = (psd1[0], psd1[9].Split(' '), psd1[8].Split(' '));
        Assert.All(psd1, value => Assert.False(string.IsNullOrWhiteSpace(value)));
        Assert.Equal(new[] { "7.4", "Core" }, psd1[10..]);
        Assert.Contains("PSEdition_Core", userTags);

        Assert.Equal(Path.Combine(dir.Path, "OssmMultiCluster", version), package.ModuleFolder);
        Assert.Equal(Path.Combine(dir.Path, $"OssmMultiCluster.{version}.nupkg"), package.Nupkg);
        Assert.Equal(FilesOf(ModuleFolder), FilesOf(package.ModuleFolder));

        using var reader = new PackageArchiveReader(package.Nupkg);
        var nuspec = reader.NuspecReader;
        Assert.Equal("OssmMultiCluster", nuspec.GetId());
        Assert.Equal(version, nuspec.GetVersion().ToNormalizedString());
        Assert.Equal(psd1[1], nuspec.GetAuthors());
        Assert.Equal(psd1[2], nuspec.GetOwners());
        Assert.Equal(psd1[3], nuspec.GetDescription());
        Assert.Equal(psd1[4], nuspec.GetCopyright());
        Assert.Equal(psd1[5], nuspec.GetProjectUrl());
        Assert.Equal(psd1[6], nuspec.GetLicenseUrl());
        Assert.Equal(psd1[7], nuspec.GetReleaseNotes());
        Assert.False(nuspec.GetRequireLicenseAcceptance());
        Assert.Empty(nuspec.GetDependencyGroups());
        Assert.Equal(userTags.Concat(new[] { "PSModule", "PSIncludes_Cmdlet" }).Concat(cmdlets.Select(c => "PSCmdlet_" + c)).Concat(cmdlets.Select(c => "PSCommand_" + c)),
            nuspec.GetTags().Split(' ', StringSplitOptions.RemoveEmptyEntries));

        // The module's files at the root (no lib/ or content/), beside the nuspec and NuGet's packaging parts.
        var entries = reader.GetFiles().Order(StringComparer.Ordinal).ToList();
        Assert.Contains("OssmMultiCluster.nuspec", entries);
        Assert.Contains("[Content_Types].xml", entries);
        Assert.Equal(FilesOf(ModuleFolder), entries.Where(e => e != "OssmMultiCluster.nuspec" && !PackagingParts.Any(p => e.StartsWith(p, StringComparison.Ordinal))));
        using var zip = ZipFile.OpenRead(package.Nupkg);
        Assert.Equal(File.ReadAllBytes(Path.Combine(ModuleFolder, "bin", "OssmMultiCluster.dll")), Read(zip, "bin/OssmMultiCluster.dll"));
    }

    [Fact]
    public void The_unpacked_package_passes_Test_ModuleManifest_and_imports_by_name_from_PSModulePath_in_a_fresh_process()
    {
        using var dir = new TempDir();
        var package = ModulePackager.Pack(ModuleFolder, dir["out"]);
        var version = Path.GetFileName(package.ModuleFolder);

        // As Install-PSResource installs it: unpacked into <modules>/<name>/<version>, NuGet's packaging parts removed.
        var installed = dir[$"modules/OssmMultiCluster/{version}"];
        ZipFile.ExtractToDirectory(package.Nupkg, installed);
        File.Delete(Path.Combine(installed, "[Content_Types].xml"));
        Directory.Delete(Path.Combine(installed, "_rels"), recursive: true);
        Directory.Delete(Path.Combine(installed, "package"), recursive: true);

        var manifest = Path.Combine(installed, "OssmMultiCluster.psd1");
        var test = ModuleEngine.Run("""
            $m = Test-ModuleManifest -Path $manifest -ErrorAction Stop
            "$($m.Name) $($m.Version) $($m.ExportedCmdlets.Count)"
            """, new Dictionary<string, object?> { ["manifest"] = manifest }, importModule: false);
        test.AssertNoErrors();
        Assert.NotEmpty(package.Manifest.Cmdlets);
        Assert.Equal($"OssmMultiCluster {version} {package.Manifest.Cmdlets.Count}", test.Output.Single().ToString());

        // A fresh process: the module and its dependencies load from the unpacked folder, found by name.
        var (code, stdout, stderr) = OssmRun.Run("--no-module", "-c", $$"""
            $env:PSModulePath = '{{dir["modules"]}}'
            Import-Module OssmMultiCluster -ErrorAction Stop
            (Get-Module OssmMultiCluster).ModuleBase
            [System.IO.Path]::GetDirectoryName((Get-Command New-MeshRootCA).ImplementingType.Assembly.Location)
            (New-MeshRootCA -KeySize 2048 -PregenerateKeys 0).Subject
            """);
        Assert.True(code == 0, stderr);
        Assert.Equal(new[] { installed, Path.Combine(installed, "bin"), "O=Istio, CN=Root CA" }, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd()));
    }

    private static byte[] Read(ZipArchive zip, string entry)
    {
        using var stream = zip.GetEntry(entry)!.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
