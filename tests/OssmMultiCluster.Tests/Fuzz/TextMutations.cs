using System.Text;

namespace OssmMultiCluster.Tests.Fuzz;

/// <summary>Random inputs and mutations of valid text that know nothing of its format: bytes, characters and lines.</summary>
public static class TextMutations
{
    private const string Base64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

    public static T Pick<T>(this Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    public static byte[] RandomBytes(Random random, int maxLength)
    {
        var bytes = new byte[random.Next(maxLength + 1)];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Text made of the format's own words (<paramref name="vocabulary"/>), base64, punctuation and line breaks.</summary>
    public static string RandomText(Random random, int maxTokens, IReadOnlyList<string> vocabulary)
    {
        var text = new StringBuilder();
        var count = random.Next(maxTokens + 1);
        for (var i = 0; i < count; i++)
        {
            text.Append(random.Next(6) switch
            {
                0 or 1 => random.Pick(vocabulary),
                2 => new string(Enumerable.Range(0, random.Next(1, 80)).Select(_ => Base64Alphabet[random.Next(Base64Alphabet.Length)]).ToArray()),
                3 => "\n",
                4 => random.Pick(new[] { " ", "-", ":", "\t", "\r\n", "'", "\"", "#", "{", "}", "[", "]", ",", "&", "*", "|", ">", "\0", "é", "\uFEFF" }),
                _ => ((char)random.Next(32, 0x3000)).ToString(),
            });
        }

        return text.ToString();
    }

    /// <summary>One format-blind mutation of <paramref name="text"/>; returns the new text and what was done.</summary>
    public static (string text, string how) Mutate(Random random, string text)
    {
        var lines = text.Split('\n').ToList();
        switch (random.Next(11))
        {
            case 0:
                var cut = random.Next(text.Length + 1);
                return (text[..cut], $"truncated at {cut}");
            case 1:
                var chars = text.ToCharArray();
                var flips = random.Next(1, 9);
                for (var i = 0; i < flips && chars.Length > 0; i++)
                {
                    var at = random.Next(chars.Length);
                    chars[at] = (char)(chars[at] ^ (1 << random.Next(7)));
                }

                return (new string(chars), $"{flips} bit flip(s)");
            case 2:
                var deleted = random.Next(lines.Count);
                lines.RemoveAt(deleted);
                return (string.Join('\n', lines), $"line {deleted} deleted");
            case 3:
                var duplicated = random.Next(lines.Count);
                var times = random.Next(1, 4);
                lines.InsertRange(duplicated, Enumerable.Repeat(lines[duplicated], times));
                return (string.Join('\n', lines), $"line {duplicated} duplicated {times}x");
            case 4:
                var (a, b) = (random.Next(lines.Count), random.Next(lines.Count));
                (lines[a], lines[b]) = (lines[b], lines[a]);
                return (string.Join('\n', lines), $"lines {a} and {b} swapped");
            case 5:
                var inserted = random.Next(lines.Count + 1);
                lines.Insert(inserted, RandomText(random, 6, new[] { "-----BEGIN ", "-----END ", "-----", ":" }));
                return (string.Join('\n', lines), $"random line inserted at {inserted}");
            case 6:
                return CorruptBase64(random, text);
            case 7:
                var from = random.Next(text.Length + 1);
                var length = random.Next(Math.Min(64, text.Length - from) + 1);
                return (text.Remove(from, length), $"{length} chars removed at {from}");
            case 8:
                var grown = random.Next(lines.Count);
                var size = random.Next(2) == 0 ? 100_000 : 1_000_000;
                lines[grown] = string.Concat(Enumerable.Repeat(lines[grown].Length > 0 ? lines[grown] : "A", size / Math.Max(1, lines[grown].Length) + 1))[..size];
                return (string.Join('\n', lines), $"line {grown} grown to {size} chars");
            case 9:
                var lineEndings = random.Next(3);
                return (lineEndings switch { 0 => text.Replace("\n", "\r\n"), 1 => text.Replace("\n", "\r"), _ => text.Replace("\n", "") },
                    new[] { "CRLF line ends", "CR line ends", "no line ends" }[lineEndings]);
            default:
                var spliced = random.Next(text.Length + 1);
                return (text[..spliced] + text, $"prefix of {spliced} chars repeated");
        }
    }

    /// <summary>Replaces characters of a base64 run with another base64 character, a non-base64 one, or padding.</summary>
    private static (string, string) CorruptBase64(Random random, string text)
    {
        var candidates = Enumerable.Range(0, text.Length).Where(i => Base64Alphabet.Contains(text[i])).ToList();
        if (candidates.Count == 0)
        {
            return (text, "no base64 to corrupt");
        }

        var chars = text.ToCharArray();
        var count = random.Next(1, 5);
        for (var i = 0; i < count; i++)
        {
            chars[random.Pick(candidates)] = random.Next(3) switch
            {
                0 => Base64Alphabet[random.Next(64)],
                1 => random.Pick(new[] { '=', '!', '*', ' ', '.', '_', '\u00e9' }),
                _ => '=',
            };
        }

        return (new string(chars), $"{count} base64 char(s) corrupted");
    }
}
