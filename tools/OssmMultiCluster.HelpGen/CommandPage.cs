using System.Text.RegularExpressions;

namespace OssmMultiCluster.HelpGen;

public sealed record HelpSyntax(string Heading, string Code);

public sealed record HelpExample(string Title, string Code, IReadOnlyList<string> Remarks);

public sealed record HelpParameter(string Name, IReadOnlyList<string> Description);

public sealed record HelpType(string TypeName, IReadOnlyList<string> Description);

/// <summary>A related link; <see cref="Uri"/> is empty for a link to another help page, which Get-Help names by text.</summary>
public sealed record HelpLink(string Text, string Uri);

/// <summary>
/// One cmdlet's help page, docs/help/&lt;Verb-Noun&gt;.md, in platyPS's layout. Parameter types, positions and pipeline
/// input are not written here: they come from the cmdlet itself (see <see cref="ModuleMetadata"/>).
/// </summary>
public sealed partial class CommandPage
{
    public static readonly IReadOnlyList<string> Sections = new[]
    {
        "SYNOPSIS", "SYNTAX", "DESCRIPTION", "EXAMPLES", "PARAMETERS", "INPUTS", "OUTPUTS", "NOTES", "RELATED LINKS",
    };

    /// <summary>platyPS's heading for the common parameters, which Get-Help describes by itself.</summary>
    public const string CommonParametersHeading = "CommonParameters";

    public required string Name { get; init; }

    public required string Synopsis { get; init; }

    public required IReadOnlyList<string> Description { get; init; }

    public required IReadOnlyList<HelpSyntax> Syntax { get; init; }

    public required IReadOnlyList<HelpExample> Examples { get; init; }

    public required IReadOnlyList<HelpParameter> Parameters { get; init; }

    public required IReadOnlyList<HelpType> Inputs { get; init; }

    public required IReadOnlyList<HelpType> Outputs { get; init; }

    public required IReadOnlyList<string> Notes { get; init; }

    public required IReadOnlyList<HelpLink> RelatedLinks { get; init; }

    /// <summary>Reads a page; <paramref name="fileName"/> (Verb-Noun.md) names the cmdlet and every problem reported.</summary>
    public static CommandPage Parse(string fileName, string markdown)
    {
        var problems = new List<string>();
        void Problem(string message) => problems.Add($"{fileName}: {message}");

        var name = Path.GetFileNameWithoutExtension(fileName);
        var blocks = Markdown.Parse(markdown);
        if (blocks.Count == 0 || blocks[0] is not Heading { Level: 1 } title || title.Text != name)
        {
            Problem($"the page must start with '# {name}'.");
        }

        var sections = SplitBy(2, blocks.Skip(1), out var beforeFirst);
        if (beforeFirst.Count > 0 || !sections.Select(s => s.Title).SequenceEqual(Sections))
        {
            Problem($"the sections must be {string.Join(", ", Sections.Select(s => "## " + s))}, in that order; found {string.Join(", ", sections.Select(s => "## " + s.Title))}.");
            throw new HelpSourceException(problems);
        }

        var section = sections.ToDictionary(s => s.Title, s => s.Blocks);
        var page = new CommandPage
        {
            Name = name,
            Synopsis = string.Join(' ', Paragraphs(section["SYNOPSIS"], "SYNOPSIS", Problem)),
            Description = Paragraphs(section["DESCRIPTION"], "DESCRIPTION", Problem),
            Syntax = Entries(section["SYNTAX"], "SYNTAX", Problem).Select(e => new HelpSyntax(e.Title, SingleCode(e, "SYNTAX", Problem))).ToList(),
            Examples = ReadExamples(section["EXAMPLES"], Problem),
            Parameters = ReadParameters(section["PARAMETERS"], Problem),
            Inputs = Types(section["INPUTS"], "INPUTS", Problem),
            Outputs = Types(section["OUTPUTS"], "OUTPUTS", Problem),
            Notes = Paragraphs(section["NOTES"], "NOTES", Problem),
            RelatedLinks = Links(section["RELATED LINKS"], Problem),
        };

        if (page.Synopsis.Length == 0)
        {
            Problem("## SYNOPSIS is empty.");
        }

        if (page.Description.Count == 0)
        {
            Problem("## DESCRIPTION is empty.");
        }

        return problems.Count == 0 ? page : throw new HelpSourceException(problems);
    }

    private sealed record Part(string Title, IReadOnlyList<Block> Blocks);

    private static List<Part> SplitBy(int level, IEnumerable<Block> blocks, out List<Block> beforeFirst)
    {
        var parts = new List<(string title, List<Block> blocks)>();
        beforeFirst = new List<Block>();
        foreach (var block in blocks)
        {
            if (block is Heading heading && heading.Level == level)
            {
                parts.Add((heading.Text, new List<Block>()));
            }
            else
            {
                (parts.Count == 0 ? beforeFirst : parts[^1].blocks).Add(block);
            }
        }

        return parts.Select(p => new Part(p.title, p.blocks)).ToList();
    }

    private static List<string> Paragraphs(IReadOnlyList<Block> blocks, string section, Action<string> problem)
    {
        if (blocks.OfType<Heading>().FirstOrDefault() is { } heading)
        {
            problem($"## {section} has a heading ('{heading.Text}'); it holds text only.");
        }

        return blocks.Where(b => b is not Heading).Select(Markdown.ToHelpParagraph).ToList();
    }

    /// <summary>The ### entries of a section, which holds nothing but them; other headings are reported and dropped.</summary>
    private static List<Part> Entries(IReadOnlyList<Block> blocks, string section, Action<string> problem)
    {
        var entries = SplitBy(3, blocks, out var beforeFirst);
        if (beforeFirst.Count > 0)
        {
            problem($"## {section} has text before its first ### heading.");
        }

        foreach (var other in blocks.OfType<Heading>().Where(h => h.Level != 3))
        {
            problem($"## {section} has a level-{other.Level} heading ('{other.Text}'); only ### headings belong there.");
        }

        return entries.Select(e => e with { Blocks = e.Blocks.Where(b => b is not Heading).ToList() }).ToList();
    }

    private static string SingleCode(Part entry, string section, Action<string> problem)
    {
        var code = entry.Blocks.OfType<CodeBlock>().ToList();
        if (code.Count != 1 || entry.Blocks.Count != 1)
        {
            problem($"## {section}, ### {entry.Title}: holds one code block and nothing else.");
        }

        return code.FirstOrDefault()?.Code ?? string.Empty;
    }

    private static List<HelpExample> ReadExamples(IReadOnlyList<Block> blocks, Action<string> problem)
    {
        var examples = new List<HelpExample>();
        foreach (var entry in Entries(blocks, "EXAMPLES", problem))
        {
            var number = examples.Count + 1;
            var title = ExampleTitle().Match(entry.Title);
            if (!title.Success || title.Groups[1].Value != number.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                problem($"## EXAMPLES: heading '### {entry.Title}' should be '### Example {number}: <what it shows>'.");
            }

            if (entry.Blocks.Count < 2 || entry.Blocks[0] is not CodeBlock { Language: "powershell" } code || entry.Blocks.Skip(1).Any(b => b is CodeBlock))
            {
                problem($"## EXAMPLES, ### {entry.Title}: one ```powershell block, then at least one sentence saying what it does.");
                continue;
            }

            examples.Add(new HelpExample(entry.Title, code.Code, entry.Blocks.Skip(1).Select(Markdown.ToHelpParagraph).ToList()));
        }

        return examples;
    }

    private static List<HelpParameter> ReadParameters(IReadOnlyList<Block> blocks, Action<string> problem)
    {
        var parameters = new List<HelpParameter>();
        foreach (var entry in Entries(blocks, "PARAMETERS", problem))
        {
            if (entry.Title == CommonParametersHeading)
            {
                continue;
            }

            if (!entry.Title.StartsWith('-'))
            {
                problem($"## PARAMETERS: heading '### {entry.Title}' should be '### -<ParameterName>'.");
                continue;
            }

            var description = entry.Blocks.Select(Markdown.ToHelpParagraph).ToList();
            if (description.Count == 0)
            {
                problem($"## PARAMETERS, ### {entry.Title}: no description.");
            }

            parameters.Add(new HelpParameter(entry.Title[1..], description));
        }

        return parameters;
    }

    private static List<HelpType> Types(IReadOnlyList<Block> blocks, string section, Action<string> problem)
    {
        var types = Entries(blocks, section, problem).Select(e => new HelpType(e.Title, e.Blocks.Select(Markdown.ToHelpParagraph).ToList())).ToList();
        if (types.Count == 0)
        {
            problem($"## {section} names no type; write '### None' if there is none.");
        }

        return types;
    }

    private static List<HelpLink> Links(IReadOnlyList<Block> blocks, Action<string> problem)
    {
        var links = new List<HelpLink>();
        var lines = blocks.SelectMany(b => b is BulletList list ? list.Items : new[] { b is Paragraph p ? p.Text : string.Empty });
        foreach (var line in lines)
        {
            if (Markdown.SingleLink(line) is not { } link)
            {
                problem($"## RELATED LINKS: '{line}' is not a link; write one [text](target) per paragraph.");
                continue;
            }

            links.Add(new HelpLink(link.Text, Markdown.IsPageLink(link.Target) ? string.Empty : link.Target));
        }

        return links;
    }

    [GeneratedRegex(@"^Example (\d+)(: .+)?$")]
    private static partial Regex ExampleTitle();
}
