using System.Text;
using YamlDotNet.RepresentationModel;

namespace OssmMultiCluster.Tests.Fuzz;

/// <summary>
/// Mutations of a YAML document's structure: values of the wrong type, missing and unknown keys, odd scalars, and what
/// YAML adds to JSON for an attacker: anchors and aliases (a "billion laughs" bomb), deep nesting, tags, several documents.
/// </summary>
public static class YamlMutations
{
    private const string Placeholder = "__fuzz_placeholder__";

    private static readonly string[] Scalars =
    {
        "", "~", "null", "true", "0", "-1", "9999999999999999999999", "0x10", "1e400", ".nan", "https://", "http://[::1", "https://127.0.0.1:0",
        "https://user:pass@127.0.0.1:6443", "ftp://x", "/", "..", "../../../../etc/passwd", "C:\\\\x", "\u00e9\u4e2d\ud83d\ude00", "-", "a b", "west_1",
        "!", "&", "*", "'", "\"", "%", "@", "`", "|", ">",
    };

    public static (string text, string how) Mutate(Random random, string text)
    {
        // A document made deep or aliased by an earlier step is left alone: loading and saving it here would recurse as deep,
        // or walk every expansion of the aliases.
        var stream = new YamlStream();
        try
        {
            if (!Shallow(text))
            {
                return (text, "too deep to mutate as YAML, unchanged");
            }

            if (text.Contains('*', StringComparison.Ordinal))
            {
                // Loading an alias that is a mapping key overflows the stack in YamlDotNet's representation model
                // (YamlAliasNode.Equals), which the module does not use; the deserializer it uses is fuzzed with such input.
                return (text, "aliases, not mutated as YAML");
            }

            stream.Load(new StringReader(text));
        }
        catch (Exception ex) when (ex is YamlDotNet.Core.YamlException or InvalidOperationException or ArgumentException)
        {
            // YamlDotNet also throws InvalidOperationException and ArgumentException on some broken input (the module copes with those too).
            return (text, "not YAML, unchanged");
        }

        if (stream.Documents.Count == 0)
        {
            return (text, "no YAML document, unchanged");
        }

        var nodes = new List<(YamlNode node, YamlNode? parent, YamlNode? key)>();
        Collect(stream.Documents[0].RootNode, null, null, nodes);
        if (nodes.Select(n => n.node).Distinct(ReferenceEqualityComparer.Instance).Count() < nodes.Count)
        {
            return (text, "aliases, not mutated as YAML");
        }

        var (target, parent, key) = random.Pick(nodes);
        string? snippet = null;
        string how;
        switch (random.Next(10))
        {
            case 0:
                Replace(target, parent, key, random.Next(2) == 0
                    ? new YamlSequenceNode(new YamlScalarNode("x"))
                    : new YamlMappingNode(new YamlScalarNode("x"), new YamlScalarNode("y")));
                how = $"{Describe(key)} replaced by a collection";
                break;
            case 1:
                Replace(target, parent, key, new YamlScalarNode(random.Pick(Scalars)));
                how = $"{Describe(key)} replaced by a scalar";
                break;
            case 2 when parent is YamlMappingNode map && key is not null:
                map.Children.Remove(key);
                how = $"{Describe(key)} removed";
                break;
            case 3 when parent is YamlSequenceNode list:
                var index = list.Children.IndexOf(target);
                list.Children.Insert(index, random.Next(2) == 0 ? target : new YamlScalarNode(random.Pick(Scalars)));
                how = $"a {Describe(key)} item repeated or added";
                break;
            case 4:
                var huge = new string((char)('a' + random.Next(26)), random.Pick(new[] { 10_000, 1_000_000 }));
                Replace(target, parent, key, new YamlScalarNode(huge));
                how = $"{Describe(key)} set to {huge.Length} chars";
                break;
            case 5:
                var depth = random.Pick(new[] { 100, 1_000, 10_000, 100_000 });
                snippet = random.Next(2) == 0 ? new string('[', depth) + new string(']', depth) : Nested(depth);
                Replace(target, parent, key, new YamlScalarNode(Placeholder));
                how = $"{Describe(key)} nested {depth} deep";
                break;
            case 6:
                var levels = random.Next(5, 12);
                snippet = Laughs(levels);
                Replace(target, parent, key, new YamlScalarNode(Placeholder));
                how = $"{Describe(key)} set to an alias bomb of 10^{levels}";
                break;
            case 7 when target is YamlMappingNode mapping:
                mapping.Children[new YamlScalarNode(random.Pick(new[] { "token", "exec", "name", "server", "unknown-key", "<<", "? x" }))] =
                    new YamlScalarNode(random.Pick(Scalars));
                how = "a key added or set";
                break;
            case 8:
                target.Tag = random.Pick(new[] { "tag:yaml.org,2002:binary", "tag:yaml.org,2002:int", "tag:yaml.org,2002:map", "!custom", "tag:yaml.org,2002:python/object" });
                how = $"{Describe(key)} tagged {target.Tag}";
                break;
            default:
                // The same node in two places: the writer gives it an anchor and an alias. Never an ancestor of the target (a cycle).
                var shared = random.Pick(nodes).node;
                var below = new List<(YamlNode, YamlNode?, YamlNode?)>();
                Collect(shared, null, null, below);
                if (below.Any(n => ReferenceEquals(n.Item1, target)))
                {
                    return (text, "no alias without a cycle, unchanged");
                }

                Replace(target, parent, key, shared);
                how = $"{Describe(key)} replaced by an alias of another node";
                break;
        }

        var writer = new StringWriter();
        try
        {
            stream.Save(writer, assignAnchors: true);
        }
        catch (Exception ex) when (ex is YamlDotNet.Core.YamlException or InvalidOperationException or ArgumentException)
        {
            return (text, $"{how} could not be written, unchanged");
        }

        var mutated = writer.ToString();
        return (snippet is null ? mutated : mutated.Replace(Placeholder, snippet, StringComparison.Ordinal), how);
    }

    private static bool Shallow(string text)
    {
        var parser = new YamlDotNet.Core.Parser(new StringReader(text));
        var depth = 0;
        while (parser.MoveNext())
        {
            depth += parser.Current switch
            {
                YamlDotNet.Core.Events.MappingStart or YamlDotNet.Core.Events.SequenceStart => 1,
                YamlDotNet.Core.Events.MappingEnd or YamlDotNet.Core.Events.SequenceEnd => -1,
                _ => 0,
            };
            if (depth > 200)
            {
                return false;
            }
        }

        return true;
    }

    private static string Nested(int depth)
    {
        var text = new StringBuilder(depth * 5);
        text.Insert(0, "{a: ", depth).Append('x').Append('}', depth);
        return text.ToString();
    }

    /// <summary>Anchors each holding ten aliases of the one before: <paramref name="levels"/> levels expand to 10^levels leaves.</summary>
    private static string Laughs(int levels)
    {
        var text = new StringBuilder("[&l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]");
        for (var i = 1; i <= levels; i++)
        {
            text.Append($", &l{i} [").Append(string.Join(", ", Enumerable.Repeat($"*l{i - 1}", 10))).Append(']');
        }

        return text.Append(']').ToString();
    }

    /// <summary>Every place a node is, each shared node (an alias) entered once, so an alias bomb is walked in linear time.</summary>
    private static void Collect(YamlNode node, YamlNode? parent, YamlNode? key, List<(YamlNode, YamlNode?, YamlNode?)> nodes) =>
        Collect(node, parent, key, nodes, new HashSet<YamlNode>(ReferenceEqualityComparer.Instance));

    private static void Collect(YamlNode node, YamlNode? parent, YamlNode? key, List<(YamlNode, YamlNode?, YamlNode?)> nodes, HashSet<YamlNode> entered)
    {
        nodes.Add((node, parent, key));
        if (!entered.Add(node) || nodes.Count > 10_000)
        {
            return;
        }

        switch (node)
        {
            case YamlMappingNode map:
                foreach (var (k, v) in map.Children.ToList())
                {
                    Collect(v, map, k, nodes, entered);
                }

                break;
            case YamlSequenceNode list:
                foreach (var item in list.Children.ToList())
                {
                    Collect(item, list, null, nodes, entered);
                }

                break;
        }
    }

    private static void Replace(YamlNode target, YamlNode? parent, YamlNode? key, YamlNode replacement)
    {
        switch (parent)
        {
            case YamlMappingNode map when key is not null:
                map.Children[key] = replacement;
                break;
            case YamlSequenceNode list:
                list.Children[list.Children.IndexOf(target)] = replacement;
                break;
        }
    }

    private static string Describe(YamlNode? key) => key is YamlScalarNode { Value: { } name } ? $"'{name}'" : "a node";
}
