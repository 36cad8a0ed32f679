using NuGet.Packaging;
using NuGet.Versioning;

namespace OssmMultiCluster.Packager;

/// <summary>What packaging produced.</summary>
public sealed record ModulePackage(ModuleManifest Manifest, string ModuleFolder, string Nupkg);

/// <summary>
/// Packages a built module folder the way PowerShellGet's Publish-Module does: the module's files at the package
/// root beside &lt;name&gt;.nuspec, whose metadata comes from the manifest (PrivateData.PSData: tags, project and
/// licence URIs, release notes) and whose tags add PSModule, PSIncludes_Cmdlet, PSCmdlet_&lt;name&gt; and
/// PSCommand_&lt;name&gt; for what the module exports (the Gallery's search by command reads these). The package is
/// written by NuGet's own PackageBuilder, so it is a valid OPC package for Publish-PSResource -NupkgPath.
/// </summary>
public static class ModulePackager
{
    /// <summary>
    /// Writes &lt;output&gt;/&lt;name&gt;/&lt;version&gt;/ (a copy of <paramref name="moduleFolder"/>, for Publish-Module
    /// -Path or Install by copying) and &lt;output&gt;/&lt;name&gt;.&lt;version&gt;.nupkg, replacing earlier ones of that version.
    /// </summary>
    public static ModulePackage Pack(string moduleFolder, string output)
    {
        moduleFolder = Path.GetFullPath(moduleFolder);
        var name = Path.GetFileName(moduleFolder.TrimEnd(Path.DirectorySeparatorChar));
        var manifest = ModuleManifest.Read(Path.Combine(moduleFolder, name + ".psd1"));
        var version = NuGetVersion.Parse(manifest.Prerelease is null ? manifest.Version : $"{manifest.Version}-{manifest.Prerelease}");

        var versioned = Path.Combine(Path.GetFullPath(output), manifest.Name, version.ToNormalizedString());
        if (Directory.Exists(versioned))
        {
            Directory.Delete(versioned, recursive: true);
        }

        var files = Directory.EnumerateFiles(moduleFolder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(moduleFolder, f))
            .Where(f => !f.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .ToList();
        foreach (var file in files)
        {
            var target = Path.Combine(versioned, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(moduleFolder, file), target);
        }

        var builder = new PackageBuilder
        {
            Id = manifest.Name,
            Version = version,
            Description = manifest.Description,
            ReleaseNotes = manifest.ReleaseNotes,
            Copyright = manifest.Copyright,
            ProjectUrl = manifest.ProjectUri,
            LicenseUrl = manifest.LicenseUri,
            IconUrl = manifest.IconUri,
            RequireLicenseAcceptance = manifest.RequireLicenseAcceptance,
        };
        builder.Authors.Add(manifest.Author);
        builder.Owners.Add(manifest.CompanyName ?? manifest.Author);
        builder.Tags.AddRange(Tags(manifest));
        foreach (var file in files)
        {
            builder.Files.Add(new PhysicalPackageFile
            {
                SourcePath = Path.Combine(versioned, file),
                TargetPath = file.Replace(Path.DirectorySeparatorChar, '/'),
            });
        }

        var nupkg = Path.Combine(Path.GetFullPath(output), $"{manifest.Name}.{version.ToNormalizedString()}.nupkg");
        Directory.CreateDirectory(Path.GetDirectoryName(nupkg)!);
        using (var stream = File.Create(nupkg))
        {
            builder.Save(stream);
        }

        return new ModulePackage(manifest, versioned, nupkg);
    }

    /// <summary>The manifest's tags, then what PowerShellGet adds for a module and its exported commands, in its order.</summary>
    public static IReadOnlyList<string> Tags(ModuleManifest manifest)
    {
        var tags = new List<string>(manifest.Tags) { "PSModule" };
        if (manifest.Cmdlets.Count > 0)
        {
            tags.Add("PSIncludes_Cmdlet");
            tags.AddRange(manifest.Cmdlets.Select(c => "PSCmdlet_" + c));
        }

        if (manifest.Functions.Count > 0)
        {
            tags.Add("PSIncludes_Function");
            tags.AddRange(manifest.Functions.Select(f => "PSFunction_" + f));
        }

        tags.AddRange(manifest.Commands.Select(c => "PSCommand_" + c));
        return tags.Distinct(StringComparer.Ordinal).ToList();
    }
}
