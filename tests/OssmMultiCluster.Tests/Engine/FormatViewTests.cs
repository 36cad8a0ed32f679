using System.Reflection;
using System.Xml.Linq;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Engine;

/// <summary>Every type the cmdlets output has a view in the module's format file.</summary>
public sealed class FormatViewTests
{
    [Fact]
    public void Every_output_type_has_a_view()
    {
        var formats = XDocument.Load(Path.Combine(ModuleEngine.RepoRoot, "module", "OssmMultiCluster.Format.ps1xml"));
        var viewed = formats.Descendants("TypeName").Select(t => t.Value).ToHashSet();
        var outputs = typeof(OssmMultiCluster.Commands.MeshCmdlet).Assembly.GetTypes()
            .SelectMany(t => t.GetCustomAttributes<System.Management.Automation.OutputTypeAttribute>())
            .SelectMany(a => a.Type).Select(t => t.Name).Distinct().ToList();
        Assert.NotEmpty(outputs);
        Assert.All(outputs, name => Assert.Contains(name, viewed));
    }
}
