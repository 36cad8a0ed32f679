using System.Text.RegularExpressions;

namespace OssmMultiCluster.HelpGen;

public abstract record Block;

public sealed record Heading(int Level, string Text) : Block;

public sealed record Paragraph(string Text) : Block;

public sealed record BulletList(IReadOnlyList<string> Items) : Block;

public sealed record CodeBlock(string Language, string Code) : Block;

/// <summary>
/// The subset of Markdown the help pages use: ATX headings, paragraphs, bullet lists and fenced code blocks.
/// Help is plain text in the end, so inline markup is reduced to its text.
/// </summary>
public static partial class Markdown
{
    public static IReadOnlyList<Block> Parse(string markdown)
    {
        var blocks = new List<Block>();
        var paragraph = new List<string>();
        List<string>? items = null;
        List<string>? code = null;
        var language = string.Empty;

        void Flush()
        {
            if (paragraph.Count > 0)
            {
                blocks.Add(new Paragraph(string.Join(' ', paragraph)));
                paragraph.Clear();
            }

            if (items is not null)
            {
                blocks.Add(new BulletList(items));
                items = null;
            }
        }

        foreach (var line in markdown.ReplaceLineEndings("\n").Split('\n'))
        {
            if (code is not null)
            {
                if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
                {
                    blocks.Add(new CodeBlock(language, string.Join('\n', code)));
                    code = null;
                }
                else
                {
                    code.Add(line);
                }

                continue;
            }

            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                Flush();
                code = new List<string>();
                language = line.TrimStart()[3..].Trim();
                continue;
            }

            if (string.IsNullOrWhiteSpace(line))
            {
                Flush();
                continue;
            }

            if (HeadingLine().Match(line) is { Success: true } heading)
            {
                Flush();
                blocks.Add(new Heading(heading.Groups[1].Length, heading.Groups[2].Value.Trim()));
                continue;
            }

            if (ListItemLine().Match(line) is { Success: true } item)
            {
                if (paragraph.Count > 0)
                {
                    Flush();
                }

                items ??= new List<string>();
                items.Add(item.Groups[1].Value.Trim());
                continue;
            }

            if (items is not null)
            {
                items[^1] += " " + line.Trim();
            }
            else
            {
                paragraph.Add(line.Trim());
            }
        }

        if (code is not null)
        {
            blocks.Add(new CodeBlock(language, string.Join('\n', code)));
        }

        Flush();
        return blocks;
    }

    /// <summary>Inline markup to plain text: code spans and bold lose their marks, links keep their text (and an external target).</summary>
    public static string Plain(string text)
    {
        text = InlineLink().Replace(text, m => IsPageLink(m.Groups[2].Value) ? m.Groups[1].Value : $"{m.Groups[1].Value} ({m.Groups[2].Value})");
        text = Bold().Replace(text, "$1");
        return CodeSpan().Replace(text, "$1");
    }

    /// <summary>A block as one help paragraph: list items one per line, code verbatim.</summary>
    public static string ToHelpParagraph(Block block) => block switch
    {
        Paragraph p => Plain(p.Text),
        BulletList list => string.Join('\n', list.Items.Select(i => "- " + Plain(i))),
        CodeBlock c => c.Code,
        _ => throw new ArgumentException($"A {block.GetType().Name} is not a paragraph.", nameof(block)),
    };

    /// <summary>A link to another help page (New-MeshRootCA.md) rather than to the web.</summary>
    public static bool IsPageLink(string target) => !target.Contains("://", StringComparison.Ordinal);

    [GeneratedRegex(@"^(#{1,6})\s+(.+)$")]
    private static partial Regex HeadingLine();

    [GeneratedRegex(@"^\s{0,3}[-*]\s+(.*)$")]
    private static partial Regex ListItemLine();

    [GeneratedRegex(@"\[([^\]]+)\]\(([^)\s]+)\)")]
    private static partial Regex InlineLink();

    [GeneratedRegex(@"\*\*(.+?)\*\*")]
    private static partial Regex Bold();

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex CodeSpan();
}
