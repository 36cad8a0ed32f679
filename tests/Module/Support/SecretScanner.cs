// Loaded by tests/Module/SecretHygiene.Tests.ps1 with Add-Type (with ObjectText.cs and FileCreationLog.cs).
#nullable enable
using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace OssmTest.SecretHygiene;

/// <summary>
/// Finds private keys and tokens in text, in any form a leak would take them: the PEM body, the DER in base64 or
/// base64url at any byte alignment (so a key inside a base64'd Secret or kubeconfig is found too), the DER in hex,
/// the PEM text itself base64'd (a Secret's data), and the key's private numbers alone. Any 40-character piece of
/// one of those forms counts as a find, except pieces that public material (certificates, public keys) or an
/// unrelated key of the same kind also has: those are structure, not secret.
/// </summary>
public sealed class SecretScanner
{
    public const int Window = 40;

    private readonly Dictionary<string, string> _needles = new(StringComparer.Ordinal);
    private readonly HashSet<string> _public = new(StringComparer.Ordinal);
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _structure = new(StringComparer.Ordinal);

    /// <summary>What has been collected, by name (never the secrets themselves).</summary>
    public IReadOnlyCollection<string> Names => _names;

    public int KeyCount { get; private set; }

    public int TokenCount { get; private set; }

    /// <summary>A private key in any PEM form .NET reads (PKCS#8, PKCS#1, SEC1).</summary>
    public void AddPrivateKeyPem(string name, string pem)
    {
        using var key = ReadKey(pem);
        var forms = KeyForms(key).Append(("PEM text, base64", Encoding.ASCII.GetBytes(pem))).ToList();
        var structure = Structure(key);
        var publicHalf = key switch
        {
            RSA r => new[] { r.ExportSubjectPublicKeyInfo(), r.ExportRSAPublicKey(), r.ExportParameters(false).Modulus! },
            ECDsa e => new[] { e.ExportSubjectPublicKeyInfo(), PublicPoint(e) },
            _ => Array.Empty<byte[]>(),
        };
        foreach (var bytes in publicHalf)
        {
            AddPublic(bytes);
        }

        var added = 0;
        foreach (var (form, bytes) in forms)
        {
            foreach (var window in Windows(TextForms(bytes)))
            {
                if (!structure.Contains(window) && _needles.TryAdd(window, $"private key '{name}' ({form})"))
                {
                    added++;
                }
            }
        }

        if (added <= 100)
        {
            throw new InvalidOperationException($"key '{name}' gave only {added} distinctive pieces");
        }

        KeyCount += _names.Add("key:" + name) ? 1 : 0;
    }

    /// <summary>A bearer token: as is, and base64'd at any alignment (a Secret's token, a kubeconfig in a Secret).</summary>
    public void AddToken(string name, string token)
    {
        if (token.Length < Window)
        {
            throw new ArgumentException($"token '{name}' is shorter than {Window} characters");
        }

        var bytes = Encoding.UTF8.GetBytes(token);
        foreach (var window in Windows(new[] { token }.Concat(Base64Forms(bytes))))
        {
            _needles.TryAdd(window, $"token '{name}'");
        }

        TokenCount += _names.Add("token:" + name) ? 1 : 0;
    }

    /// <summary>Public material (a certificate's DER, a public key): pieces of it are never counted as a find.</summary>
    public void AddPublic(byte[] der)
    {
        foreach (var window in Windows(TextForms(der)))
        {
            _public.Add(window);
        }
    }

    /// <summary>Every secret found in <paramref name="text"/>, described without the secret itself.</summary>
    public IReadOnlyList<string> Scan(string where, string text)
    {
        var found = new List<string>();
        // Raw, and without whitespace and colons (wrapped PEM or base64, colon-separated hex).
        foreach (var candidate in new[] { text, new string(text.Where(c => !char.IsWhiteSpace(c) && c != ':').ToArray()) })
        {
            var lookup = _needles.GetAlternateLookup<ReadOnlySpan<char>>();
            var publicLookup = _public.GetAlternateLookup<ReadOnlySpan<char>>();
            var span = candidate.AsSpan();
            for (var i = 0; i + Window <= span.Length; i++)
            {
                var piece = span.Slice(i, Window);
                if (lookup.TryGetValue(piece, out var what) && !publicLookup.Contains(piece))
                {
                    var context = candidate.Substring(Math.Max(0, i - 30), Math.Min(30, i));
                    found.Add($"{where}: {what} at {i}, after \"{context}\"");
                    i += Window - 1;
                }
            }
        }

        return found.Distinct().ToList();
    }

    /// <summary>The pieces every key of this kind and size shares (ASN.1 headers, lengths): those of an unrelated key.</summary>
    private HashSet<string> Structure(AsymmetricAlgorithm key)
    {
        var kind = key is ECDsa ec ? "EC " + ec.ExportParameters(false).Curve.Oid.Value : "RSA " + key.KeySize;
        if (!_structure.TryGetValue(kind, out var windows))
        {
            using var unrelated = key is ECDsa e ? (AsymmetricAlgorithm)ECDsa.Create(e.ExportParameters(false).Curve) : RSA.Create(key.KeySize);
            windows = KeyForms(unrelated).SelectMany(f => Windows(TextForms(f.bytes))).ToHashSet(StringComparer.Ordinal);
            _structure[kind] = windows;
        }

        return windows;
    }

    private static AsymmetricAlgorithm ReadKey(string pem)
    {
        if (pem.Contains("EC PRIVATE KEY", StringComparison.Ordinal))
        {
            var ec = ECDsa.Create();
            ec.ImportFromPem(pem);
            return ec;
        }

        try
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return rsa;
        }
        catch (CryptographicException)
        {
            var ec = ECDsa.Create();
            ec.ImportFromPem(pem);
            return ec;
        }
    }

    /// <summary>The key's encodings and private numbers as bytes.</summary>
    private static IEnumerable<(string form, byte[] bytes)> KeyForms(AsymmetricAlgorithm key)
    {
        yield return ("PKCS#8", key.ExportPkcs8PrivateKey());
        switch (key)
        {
            case RSA rsa:
                yield return ("PKCS#1", rsa.ExportRSAPrivateKey());
                yield return ("PKCS#1 PEM, base64", Encoding.ASCII.GetBytes(rsa.ExportRSAPrivateKeyPem()));
                var p = rsa.ExportParameters(true);
                foreach (var (name, value) in new[] { ("d", p.D!), ("p", p.P!), ("q", p.Q!), ("dp", p.DP!), ("dq", p.DQ!), ("qinv", p.InverseQ!) })
                {
                    yield return ("RSA " + name, value);
                }

                break;
            case ECDsa ec:
                yield return ("SEC1", ec.ExportECPrivateKey());
                yield return ("SEC1 PEM, base64", Encoding.ASCII.GetBytes(ec.ExportECPrivateKeyPem()));
                yield return ("EC d", ec.ExportParameters(true).D!);
                break;
        }

        // The PEM texts a key is usually written as, base64'd again (as in a Secret's data).
        yield return ("PKCS#8 PEM, base64", Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem()));
    }

    private static byte[] PublicPoint(ECDsa ec)
    {
        var q = ec.ExportParameters(false).Q;
        return q.X!.Concat(q.Y!).ToArray();
    }

    private static IEnumerable<string> TextForms(byte[] bytes) =>
        Base64Forms(bytes).Concat(new[] { Convert.ToHexString(bytes), Convert.ToHexStringLower(bytes) });

    /// <summary>
    /// Base64 and base64url of <paramref name="bytes"/> as they appear inside the encoding of a longer text at each of the
    /// three byte alignments: the characters that also depend on neighbouring bytes are cut off.
    /// </summary>
    private static IEnumerable<string> Base64Forms(byte[] bytes)
    {
        for (var shift = 0; shift < 3; shift++)
        {
            var encoded = Convert.ToBase64String(new byte[shift].Concat(bytes).ToArray()).TrimEnd('=');
            var skip = (shift * 8 + 5) / 6;
            var inner = encoded.Length > skip + 4 ? encoded[skip..^4] : string.Empty;
            yield return inner;
            yield return inner.Replace('+', '-').Replace('/', '_');
        }
    }

    private static IEnumerable<string> Windows(IEnumerable<string> texts)
    {
        foreach (var text in texts)
        {
            for (var i = 0; i + Window <= text.Length; i++)
            {
                yield return text.Substring(i, Window);
            }
        }
    }
}
