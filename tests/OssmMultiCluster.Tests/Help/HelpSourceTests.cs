using OssmMultiCluster.HelpGen;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Help;

/// <summary>
/// The help sources (docs/help) read by the generator's Markdig-based parser, without the module. What Get-Help shows,
/// and en-US/ being what the generator makes now, are tested in pwsh (tests/Module/Help.Tests.ps1).
/// </summary>
public sealed class HelpSourceTests
{
    private static readonly HelpPaths Paths = new(RepoPaths.Root);

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
    public void Pages_parse_into_headings_paragraphs_lists_and_code_with_their_source_text()
    {
        var blocks = Markdown.Parse("""
            # Title

            First line
            continued with `code` and <cluster>.

            - one
              wrapped
            - two

            ```powershell
            Get-MeshCluster |
                Get-MeshStatus
            ```
            """);
        Assert.Equal(new Block[]
        {
            new Heading(1, "Title"),
            new Paragraph("First line continued with `code` and <cluster>."),
            new BulletList(new[] { "one wrapped", "two" }),
            new CodeBlock("powershell", "Get-MeshCluster |\n    Get-MeshStatus"),
        }, blocks, BlockComparer.Instance);
    }

    [Fact]
    public void Inline_markup_becomes_help_text_and_a_link_line_is_recognised()
    {
        Assert.Equal("Writes <cluster>/<namespace> under ./gitops; see Export-MeshCA and the docs (https://example.test/x).",
            Markdown.Plain("Writes `<cluster>/<namespace>` under **./gitops**; see [Export-MeshCA](Export-MeshCA.md) and [the docs](https://example.test/x)."));
        Assert.Equal(("Export-MeshCA", "Export-MeshCA.md"), Markdown.SingleLink("[Export-MeshCA](Export-MeshCA.md)"));
        Assert.Null(Markdown.SingleLink("see [Export-MeshCA](Export-MeshCA.md)"));
        Assert.Null(Markdown.SingleLink("plain text"));
    }

    [Fact]
    public void Markdown_help_has_no_place_for_is_refused_with_its_line()
    {
        var error = Assert.Throws<FormatException>(() => Markdown.Parse("# T\n\n> a quote\n"));
        Assert.Contains("Line 3", error.Message);
    }

    private sealed class BlockComparer : IEqualityComparer<Block>
    {
        public static readonly BlockComparer Instance = new();

        public bool Equals(Block? x, Block? y) => (x, y) switch
        {
            (BulletList a, BulletList b) => a.Items.SequenceEqual(b.Items),
            _ => Equals((object?)x, y),
        };

        public int GetHashCode(Block obj) => obj.GetType().GetHashCode();
    }
}
