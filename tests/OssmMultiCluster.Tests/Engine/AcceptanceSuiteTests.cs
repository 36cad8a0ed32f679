using System.Management.Automation.Language;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Engine;

/// <summary>
/// The Pester acceptance suite (tests/Acceptance) needs real clusters and cannot run here: the real parser checks
/// every file, and the engine that every module command and parameter it uses exists.
/// </summary>
public sealed class AcceptanceSuiteTests
{
    public static IEnumerable<object[]> Files() =>
        Directory.GetFiles(Path.Combine(ModuleEngine.RepoRoot, "tests", "Acceptance"), "*.Tests.ps1").Select(f => new object[] { Path.GetFileName(f) });

    [Theory]
    [MemberData(nameof(Files))]
    public void Parses_and_uses_only_module_commands_and_parameters_that_exist(string file)
    {
        var ast = Parser.ParseFile(Path.Combine(ModuleEngine.RepoRoot, "tests", "Acceptance", file), out _, out var errors);
        Assert.Empty(errors);
        var uses = ast.FindAll(a => a is CommandAst, true).Cast<CommandAst>()
            .Where(c => c.GetCommandName() is { } name && name.Contains("-Mesh", StringComparison.Ordinal))
            .SelectMany(c => c.CommandElements.OfType<CommandParameterAst>().Select(p => $"{c.GetCommandName()}|{p.ParameterName}")
                .DefaultIfEmpty($"{c.GetCommandName()}|"))
            .Distinct().ToArray();
        Assert.NotEmpty(uses);
        var run = ModuleEngine.Run("""
            foreach ($use in $uses) {
                $command, $parameter = $use -split '\|'
                $info = Get-Command -Name $command -Module OssmMultiCluster -ErrorAction SilentlyContinue
                if (-not $info) { "missing command $command"; continue }
                if ($parameter -and -not ($info.Parameters.Values | Where-Object { $_.Name -like "$parameter*" -or $_.Aliases -contains $parameter })) {
                    "missing parameter $command -$parameter"
                }
            }
            """, new Dictionary<string, object?> { ["uses"] = uses });
        run.AssertNoErrors();
        Assert.Empty(run.Output);
    }
}
