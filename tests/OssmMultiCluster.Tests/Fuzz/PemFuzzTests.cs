using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using OssmMultiCluster.Model;
using OssmMultiCluster.Pki;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Fuzz;

/// <summary>
/// Fuzzes the module's PEM input (PemFiles, CAImportService): random bytes, random PEM-like text, and mutations of the
/// valid files of <see cref="PemCorpus"/> at the text, header and DER level. Each input must import, or fail with a
/// MeshException that repeats no key material, within <see cref="FuzzRunner.HangBound"/>.
/// </summary>
public sealed partial class PemFuzzTests : IClassFixture<PemCorpus>, IDisposable
{
    private const int Cases = 1000;
    private static readonly string[] Labels =
    {
        "CERTIFICATE", "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "PUBLIC KEY", "DSA PRIVATE KEY",
        "CERTIFICATE REQUEST", "X509 CRL", "TRUSTED CERTIFICATE", "PKCS7", "OPENSSH PRIVATE KEY", "EC PARAMETERS", "", "certificate",
    };

    private static readonly string[] Vocabulary = Labels.SelectMany(l => new[] { $"-----BEGIN {l}-----", $"-----END {l}-----" })
        .Concat(new[] { "Proc-Type: 4,ENCRYPTED", "DEK-Info: AES-256-CBC,", "DEK-Info: DES-EDE3-CBC,", "MII", "MIIE", "-----", "BEGIN", "=" }).ToArray();

    private static readonly string[] EncryptionHeaders =
    {
        "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00112233445566778899AABBCCDDEEFF\n\n",
        "Proc-Type: 4,ENCRYPTED\nDEK-Info: DES-EDE3-CBC,0011223344556677\n\n",
        "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,XYZ\n\n",
        "Proc-Type: 4,ENCRYPTED\nDEK-Info: RC2-CBC,00112233445566778899AABBCCDDEEFF\n\n",
        "Proc-Type: 4,ENCRYPTED\nDEK-Info: NOSUCH-CIPHER,00\n\n",
        "Proc-Type: 4,ENCRYPTED\n\n",
        "DEK-Info: AES-128-CBC,\n\n",
    };

    private readonly PemCorpus _corpus;
    private readonly Xunit.Abstractions.ITestOutputHelper _output;
    private readonly TempDir _dir = new();

    public PemFuzzTests(PemCorpus corpus, Xunit.Abstractions.ITestOutputHelper output) => (_corpus, _output) = (corpus, output);

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Fuzz_the_cacerts_secret_check() => FuzzRunner.Run(nameof(Fuzz_the_cacerts_secret_check), 1_000_000, Cases, random =>
    {
        var files = new Dictionary<string, string>
        {
            ["ca-cert.pem"] = _corpus.Certificates["ca-cert.pem"],
            ["cert-chain.pem"] = _corpus.Certificates["cert-chain.pem"],
            ["root-cert.pem"] = _corpus.Certificates["root-cert.pem"],
        };
        var slot = random.Pick(files.Keys.ToList());
        var (bytes, how) = Input(random, random.Next(4) == 0 ? random.Pick(_corpus.All.ToList()) : files[slot]);
        files[slot] = Encoding.UTF8.GetString(bytes);
        var withChain = random.Next(4) != 0;
        return new FuzzInput($"{slot}: {how}", _corpus.Secrets, () =>
            CAImportService.CheckPlugInCA(files["ca-cert.pem"], withChain ? files["cert-chain.pem"] : null, files["root-cert.pem"], "secret cacerts"));
    }, _output);

    [Fact]
    public void Fuzz_private_key_files() => FuzzRunner.Run(nameof(Fuzz_private_key_files), 2_000_000, Cases, random =>
    {
        var seed = random.Pick(_corpus.Keys.Keys.ToList());
        var (bytes, how) = Input(random, _corpus.Keys[seed]);
        var path = _dir["key.pem"];
        File.WriteAllBytes(path, bytes);
        var password = random.Next(3) == 0 ? string.Empty : PemCorpus.Password;
        return new FuzzInput($"{seed}: {how}{(password.Length == 0 ? ", no password" : string.Empty)}", _corpus.Secrets, () =>
        {
            using var key = PemFiles.ReadPrivateKey(path, password);
            Touch(key);
        });
    }, _output);

    [Fact]
    public void Fuzz_importing_explicit_files() => FuzzRunner.Run(nameof(Fuzz_importing_explicit_files), 3_000_000, Cases, random =>
    {
        var root = random.Next(3) == 0;
        var files = root
            ? new Dictionary<string, string> { ["cert.pem"] = "root-cert.pem", ["key.pem"] = random.Pick(new[] { "root-key.pem", "root-key-pkcs1.pem", "root-key-pbkdf2.pem", "root-key-legacy.pem" }) }
            : new Dictionary<string, string>
            {
                ["cert.pem"] = "ca-cert.pem", ["key.pem"] = random.Pick(new[] { "ca-key.pem", "ca-key-pkcs8.pem", "ca-key-scrypt.pem" }),
                ["chain.pem"] = "cert-chain.pem", ["root.pem"] = "root-cert.pem",
            };
        var how = WriteWithOneMutated(random, _dir.Path, files);
        string? Optional(string name) => files.ContainsKey(name) && random.Next(4) != 0 ? _dir[name] : null;
        var (key, chain, rootCert) = (Optional("key.pem"), Optional("chain.pem"), Optional("root.pem"));
        var cluster = random.Next(4) == 0 ? "west" : null;
        return new FuzzInput(how, _corpus.Secrets, () =>
            Touch(new CAImportService().ImportFiles(_dir["cert.pem"], key, chain, rootCert, cluster, PemCorpus.Password)));
    }, _output);

    [Fact]
    public void Fuzz_importing_a_layout() => FuzzRunner.Run(nameof(Fuzz_importing_a_layout), 4_000_000, Cases, random =>
    {
        var layout = _dir["layout"];
        if (Directory.Exists(layout))
        {
            Directory.Delete(layout, recursive: true);
        }

        Directory.CreateDirectory(Path.Combine(layout, "root"));
        Directory.CreateDirectory(Path.Combine(layout, "west"));
        var files = new Dictionary<string, string>
        {
            ["root/root-cert.pem"] = "root-cert.pem", ["root/root-key.pem"] = "root-key.pem",
            ["west/ca-cert.pem"] = "ca-cert.pem", ["west/ca-key.pem"] = "ca-key.pem", ["west/cert-chain.pem"] = "cert-chain.pem", ["west/root-cert.pem"] = "root-cert.pem",
        };
        var how = WriteWithOneMutated(random, layout, files);
        var password = random.Next(2) == 0 ? PemCorpus.Password : string.Empty;
        return new FuzzInput(how, _corpus.Secrets, () =>
        {
            foreach (var result in new CAImportService().ImportLayout(layout, password))
            {
                if (result.Error is { } error)
                {
                    // ImportLayout reports each folder's failure instead of throwing: check it the way the runner checks a throw.
                    throw error;
                }

                Touch(result.Authority!);
            }
        });
    }, _output);

    /// <summary>Writes the corpus files named by <paramref name="files"/> (target → corpus file), one of them mutated.</summary>
    private string WriteWithOneMutated(Random random, string directory, Dictionary<string, string> files)
    {
        var victim = random.Pick(files.Keys.ToList());
        var how = string.Empty;
        foreach (var (target, source) in files)
        {
            var text = _corpus.Certificates.GetValueOrDefault(source) ?? _corpus.Keys[source];
            var bytes = Encoding.UTF8.GetBytes(text);
            if (target == victim)
            {
                (bytes, how) = Input(random, random.Next(5) == 0 ? random.Pick(_corpus.All.ToList()) : text);
            }

            File.WriteAllBytes(Path.Combine(directory, target), bytes);
        }

        return $"{victim}: {how}";
    }

    /// <summary>One fuzzed input: random, or one to three mutations of <paramref name="seed"/>.</summary>
    private (byte[] bytes, string how) Input(Random random, string seed)
    {
        switch (random.Next(20))
        {
            case 0:
                return (TextMutations.RandomBytes(random, 4096), "random bytes");
            case 1:
                return (Encoding.UTF8.GetBytes(TextMutations.RandomText(random, 60, Vocabulary)), "random PEM-like text");
            case 2:
                return (Encoding.UTF8.GetBytes(seed + random.Pick(_corpus.All.ToList())), "two files concatenated");
        }

        var text = seed;
        var steps = new List<string>();
        for (var i = random.Next(1, 4); i > 0; i--)
        {
            string how;
            (text, how) = random.Next(10) switch
            {
                < 4 => TextMutations.Mutate(random, text),
                < 8 => MutateDer(random, text),
                _ => MutateHeader(random, text),
            };
            steps.Add(how);
        }

        return (Encoding.UTF8.GetBytes(text), string.Join(", then ", steps));
    }

    /// <summary>Decodes one PEM block, mutates its DER, and encodes it back under the same label and headers.</summary>
    private static (string, string) MutateDer(Random random, string text)
    {
        var blocks = Block().Matches(text);
        if (blocks.Count == 0)
        {
            return (text, "no PEM block for DER mutation");
        }

        var block = blocks[random.Next(blocks.Count)];
        var lines = block.Groups["body"].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var headers = lines.TakeWhile(l => l.Contains(':')).ToList();
        byte[] der;
        try
        {
            der = Convert.FromBase64String(string.Concat(lines.Skip(headers.Count)));
        }
        catch (FormatException)
        {
            return (text, "block not base64, no DER mutation");
        }

        var (mutated, how) = DerMutations.Mutate(random, der);
        var base64 = Convert.ToBase64String(mutated);
        var body = string.Concat(headers.Select(h => h + "\n")) + (headers.Count > 0 ? "\n" : string.Empty)
            + string.Concat(base64.Chunk(64).Select(c => new string(c) + "\n"));
        var label = block.Groups["label"].Value;
        return (text[..block.Index] + $"-----BEGIN {label}-----\n{body}-----END {label}-----" + text[(block.Index + block.Length)..], $"{label}: {how}");
    }

    private static (string, string) MutateHeader(Random random, string text)
    {
        var blocks = Block().Matches(text);
        if (blocks.Count == 0)
        {
            return (text, "no PEM block for header mutation");
        }

        var block = blocks[random.Next(blocks.Count)];
        var label = block.Groups["label"].Value;
        var other = random.Pick(Labels);
        var body = block.Groups["body"].Value;
        var (replacement, how) = random.Next(5) switch
        {
            0 => ($"-----BEGIN {other}-----{body}-----END {other}-----", $"label {label} -> {other}"),
            1 => ($"-----BEGIN {other}-----{body}-----END {label}-----", $"BEGIN label {label} -> {other} (END unchanged)"),
            2 => ($"-----BEGIN {label}-----{body}", "END line removed"),
            3 => ($"-----BEGIN {label}-----\n{random.Pick(EncryptionHeaders)}{body.TrimStart('\n')}-----END {label}-----", "encryption headers added"),
            _ => ($"-----BEGIN {label}-----{Regex.Replace(body, "^(Proc-Type|DEK-Info):.*\n", string.Empty, RegexOptions.Multiline)}-----END {label}-----",
                "encryption headers removed"),
        };
        return (text[..block.Index] + replacement + text[(block.Index + block.Length)..], how);
    }

    /// <summary>Reads what a formatter or the next cmdlet would read, so a CA that imports is also usable.</summary>
    private static void Touch(MeshCertificateAuthority ca)
    {
        _ = (ca.Subject, ca.Issuer, ca.Fingerprint, ca.KeyAlgorithm, ca.NotAfter, ca.NotBefore, ca.SerialNumber, ca.ToString(), ca.Chain.Length, ca.HasPrivateKey);
    }

    private static void Touch(AsymmetricAlgorithm key) => _ = (key.KeySize, key switch
    {
        RSA rsa => rsa.ExportSubjectPublicKeyInfo(),
        ECDsa ec => ec.ExportSubjectPublicKeyInfo(),
        _ => Array.Empty<byte>(),
    });

    [GeneratedRegex("-----BEGIN (?<label>[^-\n]*)-----(?<body>.*?)-----END \\k<label>-----", RegexOptions.Singleline)]
    private static partial Regex Block();
}
