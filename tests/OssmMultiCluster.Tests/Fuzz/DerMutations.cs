namespace OssmMultiCluster.Tests.Fuzz;

/// <summary>
/// Mutations inside DER (what a PEM block's base64 holds) that keep the rest of the structure well-formed, so they reach
/// the parsers behind the outer SEQUENCE: wrong tags, missing or repeated fields, huge integers (iteration counts, key
/// sizes), lengths that lie, and deep nesting.
/// </summary>
public static class DerMutations
{
    /// <summary>A TLV; constructed ones (and OCTET/BIT STRINGs that hold DER) have children.</summary>
    private sealed class Node
    {
        public byte Tag;
        public byte[] Value = Array.Empty<byte>();
        public List<Node>? Children;

        /// <summary>For a BIT STRING holding DER, its unused-bits byte.</summary>
        public byte? BitPrefix;

        /// <summary>An encoding made elsewhere (deep nesting is wrapped in a loop, not by recursion).</summary>
        public byte[]? Raw;
    }

    public static (byte[] der, string how) Mutate(Random random, byte[] der)
    {
        var roots = Parse(der, 0, der.Length, depth: 0);
        if (roots is null || roots.Count == 0)
        {
            return (der, "not DER, unchanged");
        }

        var all = new List<(Node node, Node? parent)>();
        foreach (var root in roots)
        {
            Flatten(root, null, all);
        }

        var (target, parent) = random.Pick(all);
        string how;
        switch (random.Next(9))
        {
            case 0 when target.Children is null && target.Value.Length > 0:
                target.Value = (byte[])target.Value.Clone();
                target.Value[random.Next(target.Value.Length)] ^= (byte)(1 << random.Next(8));
                how = $"bit flip in a 0x{target.Tag:x2} value";
                break;
            case 1:
                target.Children = null;
                target.BitPrefix = null;
                target.Value = random.Pick(new[]
                {
                    new byte[] { 0x7f, 0xff, 0xff, 0xff }, new byte[] { 0xff }, new byte[] { 0x00 }, Array.Empty<byte>(),
                    new byte[] { 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 }, Enumerable.Repeat((byte)0xff, 600).ToArray(),
                });
                how = $"0x{target.Tag:x2} value replaced by {target.Value.Length} byte(s)";
                break;
            case 2:
                var old = target.Tag;
                target.Tag = random.Pick(new byte[] { 0x02, 0x03, 0x04, 0x05, 0x06, 0x0c, 0x13, 0x17, 0x30, 0x31, 0xa0, 0xa3, (byte)random.Next(256) });
                how = $"tag 0x{old:x2} changed to 0x{target.Tag:x2}";
                break;
            case 3 when parent?.Children is { Count: > 0 } siblings:
                siblings.Remove(target);
                how = $"0x{target.Tag:x2} removed";
                break;
            case 4 when parent?.Children is { } siblings:
                siblings.Insert(siblings.IndexOf(target), target);
                how = $"0x{target.Tag:x2} repeated";
                break;
            case 5 when parent?.Children is { Count: > 1 } siblings:
                var other = random.Next(siblings.Count);
                var at = siblings.IndexOf(target);
                (siblings[at], siblings[other]) = (siblings[other], siblings[at]);
                how = "two fields swapped";
                break;
            case 6:
                var depth = random.Pick(new[] { 50, 500, 5000, 50_000 });
                var inner = Encode(target);
                var headers = new List<byte[]>();
                for (int i = 0, length = inner.Length; i < depth; i++, length += headers[^1].Length)
                {
                    headers.Add(new byte[] { 0x30 }.Concat(Length(length)).ToArray());
                }

                headers.Reverse();
                target.Raw = headers.SelectMany(h => h).Concat(inner).ToArray();
                how = $"0x{target.Tag:x2} nested {depth} SEQUENCEs deep";
                break;
            case 7:
                var encoded = Encode(roots);
                return (LieAboutLength(random, encoded, out how), how);
            default:
                var bytes = Encode(roots);
                var cut = random.Next(bytes.Length);
                return (bytes[..cut], $"DER truncated at {cut} of {bytes.Length}");
        }

        return (Encode(roots), how);
    }

    /// <summary>Rewrites one length field of the encoding to a huge or off-by-one value, leaving the bytes as they are.</summary>
    private static byte[] LieAboutLength(Random random, byte[] der, out string how)
    {
        var headers = new List<int>();
        Headers(der, 0, der.Length, headers, 0);
        if (headers.Count == 0)
        {
            how = "no length to change";
            return der;
        }

        var at = random.Pick(headers) + 1;
        var lengthBytes = der[at] < 0x80 ? 1 : 1 + (der[at] & 0x7f);
        var replacement = random.Next(3) switch
        {
            0 => new byte[] { 0x84, 0x7f, 0xff, 0xff, 0xff },
            1 => new byte[] { 0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
            _ => new byte[] { 0x80 },
        };
        how = $"length at {at} set to {Convert.ToHexString(replacement)}";
        return der[..at].Concat(replacement).Concat(der[(at + lengthBytes)..]).ToArray();
    }

    private static void Headers(byte[] der, int start, int end, List<int> headers, int depth)
    {
        var pos = start;
        while (depth < 64 && TryHeader(der, pos, end, out var tag, out var headerLength, out var length))
        {
            headers.Add(pos);
            if ((tag & 0x20) != 0)
            {
                Headers(der, pos + headerLength, pos + headerLength + length, headers, depth + 1);
            }

            pos += headerLength + length;
        }
    }

    private static List<Node>? Parse(byte[] der, int start, int end, int depth)
    {
        var nodes = new List<Node>();
        var pos = start;
        while (pos < end)
        {
            if (depth > 64 || !TryHeader(der, pos, end, out var tag, out var headerLength, out var length))
            {
                return null;
            }

            var node = new Node { Tag = tag, Value = der[(pos + headerLength)..(pos + headerLength + length)] };
            if ((tag & 0x20) != 0)
            {
                node.Children = Parse(der, pos + headerLength, pos + headerLength + length, depth + 1);
                if (node.Children is null)
                {
                    return null;
                }
            }
            else if (tag == 0x04 && length > 1 && der[pos + headerLength] == 0x30)
            {
                node.Children = Parse(der, pos + headerLength, pos + headerLength + length, depth + 1);
            }
            else if (tag == 0x03 && length > 2 && der[pos + headerLength] == 0 && der[pos + headerLength + 1] == 0x30)
            {
                node.Children = Parse(der, pos + headerLength + 1, pos + headerLength + length, depth + 1);
                node.BitPrefix = node.Children is null ? null : (byte)0;
            }

            nodes.Add(node);
            pos += headerLength + length;
        }

        return nodes;
    }

    private static bool TryHeader(byte[] der, int pos, int end, out byte tag, out int headerLength, out int length)
    {
        (tag, headerLength, length) = (0, 0, 0);
        if (pos + 2 > end || (der[pos] & 0x1f) == 0x1f)
        {
            return false;
        }

        tag = der[pos];
        var first = der[pos + 1];
        if (first < 0x80)
        {
            (headerLength, length) = (2, first);
        }
        else
        {
            var count = first & 0x7f;
            if (count is 0 or > 3 || pos + 2 + count > end)
            {
                return false;
            }

            for (var i = 0; i < count; i++)
            {
                length = (length << 8) | der[pos + 2 + i];
            }

            headerLength = 2 + count;
        }

        return pos + headerLength + length <= end;
    }

    private static void Flatten(Node node, Node? parent, List<(Node, Node?)> all)
    {
        all.Add((node, parent));
        foreach (var child in node.Children ?? new List<Node>())
        {
            Flatten(child, node, all);
        }
    }

    private static byte[] Encode(List<Node> nodes) => nodes.SelectMany(Encode).ToArray();

    private static byte[] Encode(Node node)
    {
        if (node.Raw is not null)
        {
            return node.Raw;
        }

        var value = node.Children is null
            ? node.Value
            : (node.BitPrefix is { } prefix ? new[] { prefix } : Array.Empty<byte>()).Concat(Encode(node.Children)).ToArray();
        return new[] { node.Tag }.Concat(Length(value.Length)).Concat(value).ToArray();
    }

    private static byte[] Length(int length) => length switch
    {
        < 0x80 => new[] { (byte)length },
        < 0x100 => new byte[] { 0x81, (byte)length },
        < 0x10000 => new byte[] { 0x82, (byte)(length >> 8), (byte)length },
        _ => new byte[] { 0x83, (byte)(length >> 16), (byte)(length >> 8), (byte)length },
    };
}
