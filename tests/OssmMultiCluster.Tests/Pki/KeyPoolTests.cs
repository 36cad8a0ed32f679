using OssmMultiCluster.Model;
using System.Security.Cryptography;
using OssmMultiCluster.Pki;

namespace OssmMultiCluster.Tests.Pki;

public sealed class KeyPoolTests
{
    [Fact]
    public async Task A_root_prepares_keys_for_the_intermediates_and_they_are_taken_first()
    {
        var pool = new KeyPool();
        var spec = PkiTestData.Rsa2048;
        var root = await new CertificateAuthorityService(pool).CreateRootAsync(new RootCAOptions { Key = spec, PregenerateKeys = 2 });
        Assert.Equal(3, pool.PreparedCount(spec)); // two for the intermediates and one spare
        var first = await pool.TakeAsync(spec);
        Assert.Equal(2, pool.PreparedCount(spec));
        var second = await pool.TakeAsync(spec);
        var third = await pool.TakeAsync(spec);
        Assert.Equal(0, pool.PreparedCount(spec));
        Assert.Equal(2048, first.KeySize);
        Assert.Equal(3, new[] { first, second, third }.Select(k => ((RSA)k).ExportParameters(false).Modulus!).Select(Convert.ToHexString).Distinct().Count());
        Assert.False(PkiFormat.KeyMatches(root.Certificate, first));
    }

    [Fact]
    public async Task Concurrent_takers_each_get_a_different_key()
    {
        var pool = new KeyPool();
        pool.Prepare(PkiTestData.Rsa2048, 3);
        var keys = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => pool.TakeAsync(PkiTestData.Rsa2048)));
        Assert.Equal(5, keys.Select(k => Convert.ToHexString(k.ExportSubjectPublicKeyInfo())).Distinct().Count());
        Assert.Equal(0, pool.PreparedCount(PkiTestData.Rsa2048));
    }

    [Fact]
    public async Task Keys_are_generated_on_threads_of_their_own_not_the_thread_pools()
    {
        // Seconds of CPU per key on pool threads starved the pool, delaying the async I/O of other cmdlets.
        var onPool = new System.Collections.Concurrent.ConcurrentBag<bool>();
        var pool = new KeyPool
        {
            Generator = (spec, backend) =>
            {
                onPool.Add(Thread.CurrentThread.IsThreadPoolThread);
                return KeyGenerator.Generate(spec, backend);
            },
        };
        pool.Prepare(PkiTestData.Rsa2048, 2);
        var keys = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => pool.TakeAsync(PkiTestData.Rsa2048)));
        Assert.Equal(3, keys.Select(k => Convert.ToHexString(k.ExportSubjectPublicKeyInfo())).Distinct().Count());
        Assert.Equal(3, onPool.Count); // two prepared, one generated on demand
        Assert.DoesNotContain(true, onPool);
    }

    [Fact]
    public async Task Keys_of_another_spec_are_not_handed_out()
    {
        var pool = new KeyPool();
        pool.Prepare(PkiTestData.Rsa2048, 1);
        var ec = await pool.TakeAsync(new KeySpec(MeshKeyAlgorithm.ECDSA, 256));
        Assert.IsAssignableFrom<ECDsa>(ec);
        Assert.Equal(1, pool.PreparedCount(PkiTestData.Rsa2048));
    }

    [Theory]
    [InlineData(nameof(KeyGeneratorBackend.Platform))]
    [InlineData(nameof(KeyGeneratorBackend.BouncyCastle))]
    public async Task Both_backends_make_keys_that_sign_certificates_openssl_accepts(string backend)
    {
        var pool = new KeyPool { Backend = Enum.Parse<KeyGeneratorBackend>(backend) };
        var service = new CertificateAuthorityService(pool);
        var root = await service.CreateRootAsync(new RootCAOptions { Key = PkiTestData.Rsa2048 });
        var west = await service.CreateIntermediateAsync(root, "west", new IntermediateCAOptions());
        using var dir = new Support.TempDir();
        PkiTestData.WritePem(dir["root.pem"], PkiFormat.ToPem(root.Certificate));
        PkiTestData.WritePem(dir["west.pem"], PkiFormat.ToPem(west.Certificate));
        PkiTestData.WritePem(dir["west-key.pem"], PkiFormat.ToPem(west.PrivateKey!));
        Assert.Contains(": OK", Support.OpenSsl.Ok(dir.Path, "verify", "-CAfile", "root.pem", "west.pem"));
        var certModulus = Support.OpenSsl.Ok(dir.Path, "x509", "-in", "west.pem", "-noout", "-modulus");
        var keyModulus = Support.OpenSsl.Ok(dir.Path, "rsa", "-in", "west-key.pem", "-noout", "-modulus");
        Assert.Equal(certModulus, keyModulus);
    }
}
