namespace OssmMultiCluster.HelpGen;

/// <summary>Where the help comes from and goes to, in a checkout of the repository.</summary>
public sealed record HelpPaths(string RepoRoot)
{
    /// <summary>The pages people edit.</summary>
    public string Source => Path.Combine(RepoRoot, "docs", "help");

    /// <summary>The built module, whose cmdlets the pages describe.</summary>
    public string ModuleManifest => Path.Combine(RepoRoot, "out", "OssmMultiCluster", "OssmMultiCluster.psd1");

    /// <summary>The generated help, committed; the build copies it into the module folder.</summary>
    public string Output => Path.Combine(RepoRoot, "en-US");
}

/// <summary>
/// docs/help/*.md to en-US/: one MAML file for every cmdlet page, one about_*.help.txt per topic. Refuses sources
/// that do not match the module: a cmdlet without a page, a page without a cmdlet, parameters missing or extra, a
/// stale SYNTAX, INPUTS or OUTPUTS.
/// </summary>
public static class HelpGenerator
{
    public const string MamlFileName = "OssmMultiCluster.dll-Help.xml";

    /// <summary>Every file en-US/ should hold, by file name.</summary>
    public static IReadOnlyDictionary<string, string> Generate(string sourceFolder, string moduleManifest)
    {
        var cmdlets = ModuleMetadata.Load(moduleManifest);
        var problems = new List<string>();
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var pages = new Dictionary<string, CommandPage>(StringComparer.Ordinal);
        var pageFiles = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(sourceFolder, "*.md").Order(StringComparer.Ordinal))
        {
            var fileName = Path.GetFileName(path);
            try
            {
                if (fileName.StartsWith("about_", StringComparison.Ordinal))
                {
                    var topic = AboutTopic.Parse(fileName, File.ReadAllText(path));
                    files[topic.Name + ".help.txt"] = topic.Text;
                    continue;
                }

                pageFiles.Add(Path.GetFileNameWithoutExtension(fileName));
                var page = CommandPage.Parse(fileName, File.ReadAllText(path));
                pages[page.Name] = page;
            }
            catch (HelpSourceException error)
            {
                problems.AddRange(error.Problems);
            }
        }

        foreach (var cmdlet in cmdlets.Where(c => !pageFiles.Contains(c.Name)))
        {
            problems.Add($"{cmdlet.Name}.md: missing. Every cmdlet the module exports needs a page; start from a sibling page.");
        }

        foreach (var name in pageFiles.Where(name => cmdlets.All(c => c.Name != name)))
        {
            problems.Add($"{name}.md: the module exports no cmdlet '{name}'.");
        }

        var documented = cmdlets.Where(c => pages.ContainsKey(c.Name)).Select(c => (Page: pages[c.Name], Cmdlet: c)).ToList();
        foreach (var (page, cmdlet) in documented)
        {
            problems.AddRange(Check(page, cmdlet));
        }

        if (problems.Count > 0)
        {
            throw new HelpSourceException(problems);
        }

        files[MamlFileName] = MamlWriter.Write(documented);
        return files;
    }

    /// <summary>
    /// Makes <paramref name="outputFolder"/> hold exactly <paramref name="files"/>, touching only what differs; returns
    /// what it did to each file: removed, unchanged or wrote.
    /// </summary>
    public static IReadOnlyList<(string Action, string FileName)> Write(string outputFolder, IReadOnlyDictionary<string, string> files)
    {
        Directory.CreateDirectory(outputFolder);
        var done = new List<(string, string)>();
        foreach (var stale in Directory.EnumerateFiles(outputFolder).Select(Path.GetFileName).Where(f => !files.ContainsKey(f!)).Order(StringComparer.Ordinal))
        {
            File.Delete(Path.Combine(outputFolder, stale!));
            done.Add(("removed", stale!));
        }

        foreach (var (name, content) in files)
        {
            var path = Path.Combine(outputFolder, name);
            if (File.Exists(path) && File.ReadAllText(path) == content)
            {
                done.Add(("unchanged", name));
                continue;
            }

            File.WriteAllText(path, content);
            done.Add(("wrote", name));
        }

        return done;
    }

    private static IEnumerable<string> Check(CommandPage page, CmdletMetadata cmdlet)
    {
        var file = cmdlet.Name + ".md";
        var documented = page.Parameters.Select(p => p.Name).ToList();
        foreach (var missing in cmdlet.Parameters.Select(p => p.Name).Except(documented))
        {
            yield return $"{file}: ## PARAMETERS has no '### -{missing}'.";
        }

        foreach (var extra in documented.Except(cmdlet.Parameters.Select(p => p.Name)))
        {
            yield return $"{file}: ## PARAMETERS documents -{extra}, which {cmdlet.Name} does not have.";
        }

        foreach (var duplicate in documented.GroupBy(n => n).Where(g => g.Count() > 1))
        {
            yield return $"{file}: ## PARAMETERS documents -{duplicate.Key} twice.";
        }

        var syntax = cmdlet.ParameterSets
            .Select(set => new HelpSyntax(set.Name + (set.IsDefault && cmdlet.ParameterSets.Count > 1 ? " (Default)" : string.Empty), set.Syntax))
            .ToList();
        if (!syntax.Select(s => (s.Heading, Squeeze(s.Code))).SequenceEqual(page.Syntax.Select(s => (s.Heading, Squeeze(s.Code)))))
        {
            var expected = string.Join("\n\n", syntax.Select(s => $"### {s.Heading}\n\n```\n{s.Code}\n```"));
            yield return $"{file}: ## SYNTAX does not match the cmdlet; it should read:\n\n{expected}\n";
        }

        foreach (var problem in CheckTypes(file, "INPUTS", page.Inputs, cmdlet.InputTypes))
        {
            yield return problem;
        }

        foreach (var problem in CheckTypes(file, "OUTPUTS", page.Outputs, cmdlet.OutputTypes))
        {
            yield return problem;
        }
    }

    /// <summary>The ### headings of INPUTS or OUTPUTS must be exactly the types the cmdlet takes from the pipeline or declares.</summary>
    private static IEnumerable<string> CheckTypes(string file, string section, IReadOnlyList<HelpType> documented, IReadOnlyList<string> actual)
    {
        var expected = actual.Count == 0 ? new[] { "None" } : actual.Order(StringComparer.Ordinal).ToArray();
        var headings = documented.Select(t => t.TypeName).Order(StringComparer.Ordinal).ToArray();
        if (!headings.SequenceEqual(expected))
        {
            yield return $"{file}: ## {section} should have the headings {string.Join(", ", expected.Select(t => "### " + t))}; it has {string.Join(", ", headings.Select(t => "### " + t))}.";
        }
    }

    private static string Squeeze(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
