using System.Management.Automation;
using System.Management.Automation.Language;
using OssmMultiCluster.HelpGen;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Help;

/// <summary>
/// Help as users get it: Get-Help in the real engine with the built module imported, for every cmdlet the module
/// exports (so a new cmdlet without a page fails here), the about topics, and the committed en-US/ files being
/// what the generator makes of docs/help/ now.
/// </summary>
public sealed class HelpTests
{
    private const string Regenerate = "Run 'dotnet run --project tools/OssmMultiCluster.HelpGen' from the repo root and commit en-US/.";

    private static readonly HelpPaths Paths = new(ModuleEngine.RepoRoot);

    private static readonly Lazy<IReadOnlyList<CmdletHelp>> Cmdlets = new(ReadHelp);

    /// <summary>What Get-Help -Full shows for one cmdlet, and what the cmdlet binds.</summary>
    private sealed record CmdletHelp(string Name, string Synopsis, IReadOnlyList<string> Description, IReadOnlyList<string> OwnParameters,
        IReadOnlyList<string> DescribedParameters, IReadOnlyList<string> Examples, IReadOnlyList<string[]> BindableNames);

    private static IReadOnlyList<CmdletHelp> ReadHelp()
    {
        var run = ModuleEngine.Run("""
            $common = [System.Management.Automation.Cmdlet]::CommonParameters
            Get-Command -Module OssmMultiCluster -CommandType Cmdlet | Sort-Object Name | ForEach-Object {
                $help = Get-Help -Name $_.Name -Full
                [pscustomobject]@{
                    Name = $_.Name
                    Synopsis = [string]$help.Synopsis
                    Description = [string[]]@($help.description | ForEach-Object { $_.Text.TrimEnd() })
                    Own = [string[]]@($_.Parameters.Keys | Where-Object { $_ -notin $common })
                    Described = [string[]]@($help.parameters.parameter | Where-Object { -join $_.description.Text } | ForEach-Object name)
                    Examples = [string[]]@($help.examples.example | ForEach-Object code)
                    Bindable = [string[]]@($_.Parameters.Values | ForEach-Object { (@($_.Name) + $_.Aliases) -join '|' })
                }
            }
            """);
        run.AssertNoErrors();
        Assert.NotEmpty(run.Output);
        return run.Output.Select(o => new CmdletHelp(
            (string)o.Properties["Name"].Value,
            (string)o.Properties["Synopsis"].Value,
            Strings(o, "Description"),
            Strings(o, "Own"),
            Strings(o, "Described"),
            Strings(o, "Examples"),
            Strings(o, "Bindable").Select(names => names.Split('|')).ToList())).ToList();
    }

    private static string[] Strings(PSObject o, string property) => LanguagePrimitives.ConvertTo<string[]>(o.Properties[property].Value);

    private static string PagePath(string cmdlet) => Path.Combine(Paths.Source, cmdlet + ".md");

    [Fact]
    public void Get_Help_shows_every_cmdlets_own_synopsis_and_description()
    {
        var problems = new List<string>();
        foreach (var cmdlet in Cmdlets.Value)
        {
            if (!File.Exists(PagePath(cmdlet.Name)))
            {
                problems.Add($"{cmdlet.Name} has no help page: write docs/help/{cmdlet.Name}.md (start from a sibling page). {Regenerate}");
                continue;
            }

            var page = CommandPage.Parse(cmdlet.Name + ".md", File.ReadAllText(PagePath(cmdlet.Name)));
            if (cmdlet.Synopsis != page.Synopsis)
            {
                problems.Add($"{cmdlet.Name}: Get-Help shows the synopsis '{cmdlet.Synopsis}', not the page's. {Regenerate}");
            }

            if (!cmdlet.Description.SequenceEqual(page.Description))
            {
                problems.Add($"{cmdlet.Name}: Get-Help shows another description than the page's. {Regenerate}");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Get_Help_describes_every_parameter_of_every_cmdlet()
    {
        var undescribed = Cmdlets.Value
            .SelectMany(c => c.OwnParameters.Except(c.DescribedParameters).Select(p => $"{c.Name} -{p}"))
            .ToList();
        Assert.True(undescribed.Count == 0, $"Get-Help has no description for: {string.Join(", ", undescribed)}. {Regenerate}");
    }

    [Fact]
    public void Every_cmdlet_has_at_least_two_examples()
    {
        var few = Cmdlets.Value.Where(c => c.Examples.Count < 2).Select(c => $"{c.Name} ({c.Examples.Count})").ToList();
        Assert.True(few.Count == 0, $"Fewer than two examples in Get-Help: {string.Join(", ", few)}.");
    }

    [Fact]
    public void Every_example_parses_and_calls_module_cmdlets_only_with_their_parameters()
    {
        var bindable = Cmdlets.Value.ToDictionary(c => c.Name, c => c.BindableNames, StringComparer.OrdinalIgnoreCase);
        var problems = new List<string>();
        foreach (var cmdlet in Cmdlets.Value)
        {
            foreach (var (code, number) in cmdlet.Examples.Select((code, i) => (code, i + 1)))
            {
                var ast = Parser.ParseInput(code, out _, out var errors);
                problems.AddRange(errors.Select(e => $"{cmdlet.Name} example {number}: {e.Message} at '{e.Extent.Text}'"));
                foreach (var command in ast.FindAll(a => a is CommandAst, searchNestedScriptBlocks: true).Cast<CommandAst>())
                {
                    var name = command.GetCommandName();
                    if (name is null)
                    {
                        continue;
                    }

                    if (!bindable.TryGetValue(name, out var parameters))
                    {
                        if (name.Contains("-Mesh", StringComparison.OrdinalIgnoreCase))
                        {
                            problems.Add($"{cmdlet.Name} example {number}: the module has no cmdlet {name}.");
                        }

                        continue;
                    }

                    problems.AddRange(command.CommandElements.OfType<CommandParameterAst>()
                        .Where(p => !Binds(p.ParameterName, parameters))
                        .Select(p => $"{cmdlet.Name} example {number}: {name} has no parameter -{p.ParameterName}."));
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>PowerShell's rule: a full name or alias, or a prefix of exactly one parameter's name or aliases.</summary>
    private static bool Binds(string given, IReadOnlyList<string[]> parameters) =>
        parameters.Any(names => names.Contains(given, StringComparer.OrdinalIgnoreCase))
        || parameters.Count(names => names.Any(n => n.StartsWith(given, StringComparison.OrdinalIgnoreCase))) == 1;

    [Fact]
    public void Get_Help_finds_every_about_topic_from_the_module_folder()
    {
        var topics = Directory.EnumerateFiles(Paths.Source, "about_*.md")
            .Select(path => AboutTopic.Parse(Path.GetFileName(path), File.ReadAllText(path))).ToList();
        Assert.Contains(topics, t => t.Name == "about_OssmMultiCluster");
        Assert.Contains(topics, t => t.Name == "about_OssmMultiCluster_Troubleshooting");

        var run = ModuleEngine.Run("""
            foreach ($topic in $topics) { Get-Help -Name $topic | Out-String }
            Get-Help -Name 'about_OssmMultiCluster*' -Category HelpFile | ForEach-Object { "$($_.Name)|$($_.Synopsis)" }
            """, new Dictionary<string, object?> { ["topics"] = topics.Select(t => t.Name).ToArray() });
        run.AssertNoErrors();
        var output = run.Output.Select(o => o.ToString()).ToList();
        foreach (var (topic, text) in topics.Zip(output))
        {
            Assert.Contains(topic.ShortDescription, text);
            Assert.Contains("LONG DESCRIPTION", text);
        }

        // The listing takes each topic's synopsis from the fifth line of its file.
        Assert.Equal(topics.Select(t => $"{t.Name}|{t.ShortDescription}").Order(StringComparer.Ordinal),
            output.Skip(topics.Count).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_troubleshooting_topic_lists_only_error_ids_that_the_code_raises()
    {
        var topic = File.ReadAllText(Path.Combine(Paths.Source, "about_OssmMultiCluster_Troubleshooting.md"));
        var ids = Markdown.Parse(topic).OfType<Heading>().Where(h => h.Level == 3).Select(h => h.Text).ToList();
        Assert.Contains("KeyMismatch", ids);
        var source = string.Concat(Directory.EnumerateFiles(Path.Combine(Paths.RepoRoot, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText));
        var unknown = ids.Where(id => !source.Contains($"\"{id}\"", StringComparison.Ordinal)).ToList();
        Assert.True(unknown.Count == 0, $"The troubleshooting topic documents ids no code raises: {string.Join(", ", unknown)}.");
    }

    [Fact]
    public void The_committed_help_is_what_the_generator_makes_from_docs_help()
    {
        var generated = HelpGenerator.Generate(Paths.Source, Paths.ModuleManifest);
        var committed = Directory.EnumerateFiles(Paths.Output).ToDictionary(f => Path.GetFileName(f), File.ReadAllText, StringComparer.Ordinal);
        Assert.True(generated.Keys.Order(StringComparer.Ordinal).SequenceEqual(committed.Keys.Order(StringComparer.Ordinal)),
            $"en-US/ holds {string.Join(", ", committed.Keys)} but docs/help/ makes {string.Join(", ", generated.Keys)}. {Regenerate}");
        foreach (var (name, content) in generated)
        {
            Assert.True(content == committed[name], $"en-US/{name} is not what docs/help/ makes now. {Regenerate}");
        }
    }

    [Fact]
    public void The_generator_refuses_a_cmdlet_without_a_page_and_a_page_that_documents_a_missing_parameter()
    {
        using var dir = new TempDir();
        foreach (var file in Directory.EnumerateFiles(Paths.Source))
        {
            File.Copy(file, dir[Path.GetFileName(file)]);
        }

        File.Delete(dir["New-MeshRootCA.md"]);
        File.WriteAllText(dir["Export-MeshCA.md"], File.ReadAllText(dir["Export-MeshCA.md"])
            .Replace("## PARAMETERS\n", "## PARAMETERS\n\n### -Bogus\n\nNot a parameter.\n", StringComparison.Ordinal));

        var error = Assert.Throws<HelpSourceException>(() => HelpGenerator.Generate(dir.Path, Paths.ModuleManifest));
        Assert.Contains(error.Problems, p => p.StartsWith("New-MeshRootCA.md: missing", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("Export-MeshCA.md: ## PARAMETERS documents -Bogus", StringComparison.Ordinal));
    }
}
