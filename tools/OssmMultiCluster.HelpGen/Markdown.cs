using System.Text;
using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace OssmMultiCluster.HelpGen;

public abstract record Block;

public sealed record Heading(int Level, string Text) : Block;

public sealed record Paragraph(string Text) : Block;

public sealed record BulletList(IReadOnlyList<string> Items) : Block;

public sealed record CodeBlock(string Language, string Code) : Block;

/// <summary>
/// The help pages as the blocks help is made of (headings, paragraphs, bullet lists, fenced code), parsed by Markdig.
/// Help is plain text in the end: blocks keep their Markdown source text, and <see cref="Plain"/> reduces it to text.
/// </summary>
public static class Markdown
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().Build();

    public static IReadOnlyList<Block> Parse(string markdown)
    {
        var blocks = new List<Block>();
        markdown = markdown.ReplaceLineEndings("\n");
        string SourceText(LeafBlock block) => Source(markdown, block);
        foreach (var block in Markdig.Markdown.Parse(markdown, Pipeline))
        {
            switch (block)
            {
                case HeadingBlock heading:
                    blocks.Add(new Heading(heading.Level, SourceText(heading).TrimStart('#').Trim()));
                    break;
                case FencedCodeBlock fenced:
                    blocks.Add(new CodeBlock(fenced.Info ?? string.Empty, string.Join('\n', fenced.Lines.Lines.Take(fenced.Lines.Count).Select(l => l.ToString()))));
                    break;
                case ParagraphBlock paragraph:
                    blocks.Add(new Paragraph(SourceText(paragraph)));
                    break;
                case ListBlock list:
                    blocks.Add(new BulletList(list.OfType<ListItemBlock>()
                        .Select(item => string.Join(' ', item.OfType<LeafBlock>().Select(SourceText))).ToList()));
                    break;
                case ThematicBreakBlock or LinkReferenceDefinitionGroup:
                    break;
                default:
                    throw new FormatException($"Line {block.Line + 1}: a {block.GetType().Name} has no place in help; use headings, paragraphs, bullet lists and fenced code.");
            }
        }

        return blocks;
    }

    /// <summary>Inline markup to plain text: code spans and emphasis lose their marks, links keep their text (and an external target).</summary>
    public static string Plain(string text)
    {
        var paragraph = Markdig.Markdown.Parse(text, Pipeline).OfType<LeafBlock>().FirstOrDefault();
        if (paragraph?.Inline is null)
        {
            return text;
        }

        var plain = new StringBuilder();
        AppendPlain(plain, paragraph.Inline);
        return plain.ToString();
    }

    /// <summary>The text and target of a paragraph that is exactly one link, "[text](target)"; null for anything else.</summary>
    public static (string Text, string Target)? SingleLink(string text)
    {
        var inlines = Markdig.Markdown.Parse(text.Trim(), Pipeline).OfType<ParagraphBlock>().SingleOrDefault()?.Inline;
        if (inlines?.FirstChild is LinkInline { IsImage: false } link && link.NextSibling is null)
        {
            var label = new StringBuilder();
            AppendPlain(label, link);
            return (label.ToString(), link.Url ?? string.Empty);
        }

        return null;
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

    /// <summary>A leaf block's Markdown source, its lines trimmed and joined by single spaces, as help wraps text itself.</summary>
    private static string Source(string markdown, LeafBlock block) =>
        string.Join(' ', markdown.Substring(block.Span.Start, block.Span.Length).Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0));

    private static void AppendPlain(StringBuilder plain, ContainerInline container)
    {
        foreach (var inline in container)
        {
            switch (inline)
            {
                case LinkInline link:
                    AppendPlain(plain, link);
                    if (!link.IsImage && !IsPageLink(link.Url ?? string.Empty))
                    {
                        plain.Append(" (").Append(link.Url).Append(')');
                    }

                    break;
                case ContainerInline nested:
                    AppendPlain(plain, nested);
                    break;
                case CodeInline code:
                    plain.Append(code.Content);
                    break;
                case LineBreakInline:
                    plain.Append(' ');
                    break;
                case LiteralInline literal:
                    plain.Append(literal.Content);
                    break;
                case HtmlInline html:
                    // Help mentions placeholders like <cluster>, which Markdown reads as HTML tags: keep them as written.
                    plain.Append(html.Tag);
                    break;
                case HtmlEntityInline entity:
                    plain.Append(entity.Transcoded);
                    break;
                default:
                    plain.Append(inline);
                    break;
            }
        }
    }
}
