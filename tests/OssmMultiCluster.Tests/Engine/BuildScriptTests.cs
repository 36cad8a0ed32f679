using System.Management.Automation.Language;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Engine;

/// <summary>
/// build.ps1 cannot run here (no pwsh); the real PowerShell parser checks its syntax, and the engine checks that
/// every command it calls exists.
/// </summary>
public sealed class BuildScriptTests
{
    private static readonly string[] ExternalTools = { "dotnet", "bash", "kubectl" };

    [Theory]
    [InlineData("build.ps1")]
    [InlineData("bench/pki.ps1")]
    [InlineData("bench/end-to-end.ps1")]
    [InlineData("bench/connect.ps1")]
    [InlineData("bench/status.ps1")]
    [InlineData("examples/pki.ps1")]
    public void Scripts_parse_and_call_only_commands_that_exist(string relativePath)
    {
        var path = Path.Combine(ModuleEngine.RepoRoot, relativePath);
        var ast = Parser.ParseFile(path, out _, out var errors);
        Assert.Empty(errors);

        var defined = ast.FindAll(a => a is FunctionDefinitionAst, true).Cast<FunctionDefinitionAst>().Select(f => f.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var called = ast.FindAll(a => a is CommandAst, true).Cast<CommandAst>().Select(c => c.GetCommandName())
            .Where(n => n is not null && !defined.Contains(n) && !ExternalTools.Contains(n) && n != "openssl").Distinct().ToList();
        Assert.NotEmpty(called);
        var run = ModuleEngine.Run("$names | Where-Object { -not (Get-Command -Name $_ -ErrorAction SilentlyContinue) }",
            new Dictionary<string, object?> { ["names"] = called.ToArray() });
        run.AssertNoErrors();
        Assert.Empty(run.Output);
    }

    [Fact]
    public void Build_tasks_are_the_ones_the_README_documents()
    {
        var ast = Parser.ParseFile(Path.Combine(ModuleEngine.RepoRoot, "build.ps1"), out _, out _);
        var task = ast.ParamBlock!.Parameters.Single(p => p.Name.VariablePath.UserPath == "Task");
        var validateSet = task.Attributes.OfType<AttributeAst>().Single(a => a.TypeName.Name == "ValidateSet");
        var tasks = validateSet.PositionalArguments.Cast<StringConstantExpressionAst>().Select(s => s.Value).ToArray();
        Assert.Equal(new[] { "Build", "Test", "Package", "Demo" }, tasks);
        var readme = File.ReadAllText(Path.Combine(ModuleEngine.RepoRoot, "README.md"));
        Assert.All(tasks, t => Assert.Contains($"-Task {t}", readme));
    }
}
