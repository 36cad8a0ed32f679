using System.Text.Json.Nodes;
using YamlDotNet.Serialization;

namespace OssmMultiCluster.Tests.Support;

/// <summary>
/// The walkthrough (shared/reference/ossm-2.6-multi-primary-walkthrough.txt) as data: its heredoc manifests, read
/// from the text itself, so the module's objects are compared with what its authors wrote, field for field.
/// </summary>
public static class WalkthroughText
{
    public static string Path => System.IO.Path.Combine(RepoPaths.Root, "..", "shared", "reference", "ossm-2.6-multi-primary-walkthrough.txt");

    /// <summary>The text of the heredoc that writes <paramref name="target"/>, as the walkthrough has it, de-indented.</summary>
    public static string Heredoc(string target)
    {
        var lines = File.ReadAllLines(Path);
        var start = Array.FindIndex(lines, l => l.Contains("cat <<EOF > " + target, StringComparison.Ordinal));
        Assert.True(start >= 0, $"heredoc for {target} not found in the walkthrough");
        var end = Array.FindIndex(lines, start + 1, l => l.Trim() == "EOF");
        var body = lines[(start + 1)..end];
        var indent = body.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return string.Join("\n", body.Select(l => l.Length >= indent ? l[indent..] : string.Empty)) + "\n";
    }

    /// <summary>The YAML documents of the heredoc that writes <paramref name="target"/>, with ${cluster} filled in.</summary>
    public static IReadOnlyList<JsonNode> Manifests(string target, string cluster) =>
        Heredoc(target).Replace("${cluster}", cluster).Split("\n---\n")
            .Select(doc => ToJson(new DeserializerBuilder().Build().Deserialize<object>(doc))!).ToList();

    /// <summary>Every scalar as a string, so YAML's untyped scalars and JSON's typed ones compare.</summary>
    public static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        IDictionary<object, object> map => new JsonObject(map.Select(kv => KeyValuePair.Create(kv.Key.ToString()!, ToJson(kv.Value)))),
        IList<object> list => new JsonArray(list.Select(ToJson).ToArray()),
        _ => JsonValue.Create(value.ToString()),
    };

    public static JsonNode? Normalize(JsonNode? node) => node switch
    {
        null => null,
        JsonObject obj => new JsonObject(obj.Select(kv => KeyValuePair.Create(kv.Key, Normalize(kv.Value)))),
        JsonArray array => new JsonArray(array.Select(Normalize).ToArray()),
        _ => JsonValue.Create(Scalar(node)),
    };

    private static string Scalar(JsonNode node)
    {
        var text = node.ToJsonString().Trim('"');
        return text.ToLowerInvariant() is "true" or "false" ? text.ToLowerInvariant() : text;
    }

    /// <summary>Asserts every field of <paramref name="expected"/> is in <paramref name="actual"/> with the same value.</summary>
    public static void AssertContains(JsonNode? expected, JsonNode? actual, string path = "$")
    {
        switch (expected)
        {
            case JsonObject obj:
                var actualObject = Assert.IsType<JsonObject>(actual);
                foreach (var (key, value) in obj)
                {
                    Assert.True(actualObject.ContainsKey(key), $"{path}.{key} is missing");
                    AssertContains(value, actualObject[key], $"{path}.{key}");
                }

                break;
            case JsonArray array:
                var actualArray = Assert.IsType<JsonArray>(actual);
                Assert.True(array.Count == actualArray.Count, $"{path} has {actualArray.Count} items, expected {array.Count}");
                for (var i = 0; i < array.Count; i++)
                {
                    AssertContains(array[i], actualArray[i], $"{path}[{i}]");
                }

                break;
            default:
                Assert.True(Normalize(expected)?.ToJsonString() == Normalize(actual)?.ToJsonString(),
                    $"{path}: expected {expected?.ToJsonString()}, got {actual?.ToJsonString()}");
                break;
        }
    }
}
