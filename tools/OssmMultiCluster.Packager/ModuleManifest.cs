using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace OssmMultiCluster.Packager;

/// <summary>
/// What PowerShellGet puts in a module's package, read the way it reads it: Test-ModuleManifest in a PowerShell
/// engine, so a manifest that PowerShell rejects is never packaged.
/// </summary>
public sealed record ModuleManifest(
    string Name,
    string Version,
    string? Prerelease,
    string Author,
    string? CompanyName,
    string? Copyright,
    string Description,
    IReadOnlyList<string> Tags,
    Uri? ProjectUri,
    Uri? LicenseUri,
    Uri? IconUri,
    string? ReleaseNotes,
    bool RequireLicenseAcceptance,
    IReadOnlyList<string> Cmdlets,
    IReadOnlyList<string> Functions,
    IReadOnlyList<string> Commands)
{
    public static ModuleManifest Read(string manifestPath)
    {
        if (!File.Exists(manifestPath))
        {
            throw new PackagingException($"Module manifest '{manifestPath}' does not exist; build the module first (dotnet build).");
        }

        using var runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        runspace.Open();
        using var ps = PowerShell.Create(runspace);
        var module = ps.AddCommand("Microsoft.PowerShell.Core\\Test-ModuleManifest").AddParameter("Path", manifestPath)
            .AddParameter("ErrorAction", ActionPreference.Continue).Invoke<PSModuleInfo>().SingleOrDefault();
        if (module is null || ps.Streams.Error.Count > 0)
        {
            throw new PackagingException($"Test-ModuleManifest rejects '{manifestPath}': " + string.Join(" ", ps.Streams.Error.Select(e => e.ToString())));
        }

        var psData = (module.PrivateData as Hashtable)?["PSData"] as Hashtable ?? new Hashtable();
        return new ModuleManifest(
            module.Name,
            module.Version.ToString(),
            Text(psData["Prerelease"]),
            Required(module.Author, "Author"),
            Text(module.CompanyName),
            Text(module.Copyright),
            Required(module.Description, "Description"),
            module.Tags.ToList(),
            module.ProjectUri,
            module.LicenseUri,
            module.IconUri,
            Text(module.ReleaseNotes),
            string.Equals(psData["RequireLicenseAcceptance"]?.ToString(), "true", StringComparison.OrdinalIgnoreCase),
            module.ExportedCmdlets.Keys.Order(StringComparer.Ordinal).ToList(),
            module.ExportedFunctions.Keys.Order(StringComparer.Ordinal).ToList(),
            module.ExportedCommands.Keys.Order(StringComparer.Ordinal).ToList());

        string Required(string? value, string field) => Text(value)
            ?? throw new PackagingException($"Module manifest '{manifestPath}' has no {field}; a package needs one.");
    }

    private static string? Text(object? value) => value?.ToString() is { Length: > 0 } text ? text.Trim() : null;
}

/// <summary>Something about the module stops it from being packaged; the message says what.</summary>
public sealed class PackagingException(string message) : Exception(message);
