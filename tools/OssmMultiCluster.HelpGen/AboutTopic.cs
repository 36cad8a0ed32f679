using System.Text;

namespace OssmMultiCluster.HelpGen;

/// <summary>
/// An about topic, docs/help/about_*.md, rendered as the plain text Get-Help shows for about_*.help.txt: the classic
/// TOPIC / SHORT DESCRIPTION / LONG DESCRIPTION layout, text indented four spaces and wrapped at 80 columns.
/// </summary>
public sealed record AboutTopic(string Name, string ShortDescription, string Text)
{
    private const int Width = 80;
    private const string Indent = "    ";

    public static AboutTopic Parse(string fileName, string markdown)
    {
        var name = Path.GetFileNameWithoutExtension(fileName);
        var blocks = Markdown.Parse(markdown);
        if (blocks.Count < 5 || blocks[0] is not Heading { Level: 1 } title || title.Text != name
            || blocks[1] is not Heading { Level: 2, Text: "SHORT DESCRIPTION" } || blocks[2] is not Paragraph shortDescription
            || blocks[3] is not Heading { Level: 2, Text: "LONG DESCRIPTION" })
        {
            throw new HelpSourceException(new[]
            {
                $"{fileName}: the topic must start with '# {name}', '## SHORT DESCRIPTION' and one paragraph, then '## LONG DESCRIPTION' and its text.",
            });
        }

        var text = new StringBuilder();
        text.Append("TOPIC\n").Append(Indent).Append(name).Append("\n\n");
        // Get-Help takes the fifth line of the file as the topic's synopsis (Get-Help about_*), so it stays one line.
        var summary = Markdown.Plain(shortDescription.Text);
        text.Append("SHORT DESCRIPTION\n").Append(Indent).Append(summary).Append('\n');
        var afterHeading = false;
        foreach (var block in blocks.Skip(3))
        {
            // Text follows its heading directly, as in PowerShell's own about topics; code is set off by a blank line.
            if (!afterHeading || block is CodeBlock)
            {
                text.Append('\n');
            }

            afterHeading = block is Heading;
            switch (block)
            {
                case Heading { Level: 2 } heading:
                    text.Append(heading.Text.ToUpperInvariant()).Append('\n');
                    break;
                case Heading heading:
                    text.Append(Indent).Append(heading.Text).Append('\n').Append(Indent).Append('-', heading.Text.Length).Append('\n');
                    break;
                case Paragraph paragraph:
                    Wrap(text, Markdown.Plain(paragraph.Text), Indent, Indent);
                    break;
                case BulletList list:
                    foreach (var item in list.Items)
                    {
                        Wrap(text, Markdown.Plain(item), Indent + "- ", Indent + "  ");
                    }

                    break;
                case CodeBlock code:
                    foreach (var line in code.Code.Split('\n'))
                    {
                        text.Append((Indent + Indent + line).TrimEnd()).Append('\n');
                    }

                    break;
            }
        }

        return new AboutTopic(name, summary, text.ToString());
    }

    private static void Wrap(StringBuilder text, string paragraph, string firstPrefix, string prefix)
    {
        var line = new StringBuilder(firstPrefix);
        var empty = true;
        foreach (var word in paragraph.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!empty && line.Length + 1 + word.Length > Width)
            {
                text.Append(line).Append('\n');
                line.Clear().Append(prefix);
                empty = true;
            }

            line.Append(empty ? string.Empty : " ").Append(word);
            empty = false;
        }

        text.Append(line).Append('\n');
    }
}
