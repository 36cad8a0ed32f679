using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace OssmMultiCluster.Kube;

/// <summary>
/// Reads YAML as events, before any document is built from it, and refuses what would stall or crash the parsers that
/// build documents: nesting deeper than a bound (YamlDotNet's time grows with the square of the depth), and aliases
/// where they are not wanted (an alias used as a key before its anchor overflows YamlDotNet's stack, which no catch
/// survives; an alias bomb expands exponentially).
/// </summary>
internal static class YamlGuard
{
    /// <summary>Why <paramref name="text"/> is refused, or null; a syntax error is left to the real parse to report.</summary>
    public static string? Refusal(string text, int maxDepth, bool allowAliases)
    {
        var parser = new Parser(new StringReader(text));
        var depth = 0;
        try
        {
            while (parser.MoveNext())
            {
                var current = parser.Current!;
                if (!allowAliases && current is AnchorAlias)
                {
                    return $"it uses a YAML alias (line {current.Start.Line}), which is not supported here";
                }

                depth += current switch
                {
                    MappingStart or SequenceStart => 1,
                    MappingEnd or SequenceEnd => -1,
                    _ => 0,
                };
                if (depth > maxDepth)
                {
                    return $"it nests more than {maxDepth} levels deep (line {current.Start.Line})";
                }
            }
        }
        catch (YamlException)
        {
            return null;
        }

        return null;
    }
}
