using System.Management.Automation;
using System.Reflection;
using OssmMultiCluster.Commands;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Engine;

/// <summary>The built module folder is what a user installs: its manifest, its exports, its cmdlets' declarations.</summary>
public sealed class ModuleManifestTests
{
    private static readonly Type[] CmdletTypes = typeof(MeshCmdlet).Assembly.GetTypes()
        .Where(t => t.GetCustomAttribute<CmdletAttribute>() is not null).ToArray();

    private static string CommandName(Type t)
    {
        var attribute = t.GetCustomAttribute<CmdletAttribute>()!;
        return $"{attribute.VerbName}-{attribute.NounName}";
    }

    [Fact]
    public void Test_ModuleManifest_passes_and_the_manifest_exports_exactly_the_cmdlets_that_exist()
    {
        var run = ModuleEngine.Run("""
            $m = Test-ModuleManifest -Path $manifest -ErrorAction Stop
            $m.ExportedCmdlets.Keys | Sort-Object
            '---'
            (Get-Command -Module OssmMultiCluster | Sort-Object Name).Name
            '---'
            $m.PowerShellVersion.ToString(); $m.CompatiblePSEditions
            """, new Dictionary<string, object?> { ["manifest"] = ModuleEngine.ModuleManifest });
        run.AssertNoErrors();
        var parts = string.Join("\n", run.Output.Select(o => o.ToString())).Split("---");
        var expected = CmdletTypes.Select(CommandName).Order(StringComparer.OrdinalIgnoreCase).ToArray();
        Assert.Equal(expected, parts[0].Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(expected, parts[1].Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(new[] { "7.4", "Core" }, parts[2].Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("*", File.ReadAllText(Path.Combine(ModuleEngine.RepoRoot, "OssmMultiCluster.psd1")));
    }

    [Fact]
    public void The_module_folder_holds_manifest_assemblies_format_and_type_files_and_no_PowerShell_engine()
    {
        var folder = Path.GetDirectoryName(ModuleEngine.ModuleManifest)!;
        foreach (var file in new[] { "OssmMultiCluster.psd1", "OssmMultiCluster.psm1", "OssmMultiCluster.Format.ps1xml", "OssmMultiCluster.Types.ps1xml",
                     "bin/OssmMultiCluster.dll", "bin/OssmMultiCluster.Loader.dll", "bin/BouncyCastle.Cryptography.dll" })
        {
            Assert.True(File.Exists(Path.Combine(folder, file)), file);
        }

        Assert.False(File.Exists(Path.Combine(folder, "bin/System.Management.Automation.dll")));
    }

    [Fact]
    public void Every_cmdlet_declares_its_output_uses_an_approved_verb_and_a_singular_Mesh_noun()
    {
        var run = ModuleEngine.Run("(Get-Verb).Verb", importModule: false);
        var approved = run.Output.Select(o => o.ToString()).ToHashSet();
        Assert.NotEmpty(CmdletTypes);
        foreach (var type in CmdletTypes)
        {
            var attribute = type.GetCustomAttribute<CmdletAttribute>()!;
            Assert.Contains(attribute.VerbName, approved);
            Assert.StartsWith("Mesh", attribute.NounName);
            // Plural nouns end in s; Status and Class-like nouns (-us, -ss) are singular.
            Assert.False(attribute.NounName.EndsWith('s') && !attribute.NounName.EndsWith("us", StringComparison.Ordinal) && !attribute.NounName.EndsWith("ss", StringComparison.Ordinal), attribute.NounName);
            Assert.NotEmpty(type.GetCustomAttributes<OutputTypeAttribute>());
            Assert.True(type.Name == attribute.VerbName + attribute.NounName + "Command", type.Name);
            var changesSomething = attribute.VerbName is not ("New" or "Get" or "Test" or "Import" or "Wait");
            Assert.True(!changesSomething || attribute.SupportsShouldProcess, $"{CommandName(type)} changes something and must support ShouldProcess");
        }
    }

    [Fact]
    public void The_modules_types_live_in_the_modules_own_load_context_and_can_be_named_from_scripts()
    {
        var run = ModuleEngine.Run("""
            $ca = New-MeshRootCA -KeySize 2048 -PregenerateKeys 0
            [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($ca.GetType().Assembly).Name
            [OssmMultiCluster.Model.MeshCertificateAuthority].FullName -eq $ca.GetType().FullName
            """);
        Assert.Null(run.Terminating);
        Assert.Equal("OssmMultiCluster", run.Output[0].ToString());
        Assert.Equal("True", run.Output[1].ToString());
    }
}
