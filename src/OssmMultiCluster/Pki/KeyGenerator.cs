using OssmMultiCluster.Model;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;

namespace OssmMultiCluster.Pki;

/// <summary>Where a key's randomness and prime search come from.</summary>
internal enum KeyGeneratorBackend
{
    /// <summary>.NET's RSA/ECDsa, backed by the platform's OpenSSL on Linux (CNG on Windows).</summary>
    Platform,

    /// <summary>BouncyCastle's managed generators.</summary>
    BouncyCastle,
}

/// <summary>
/// Generates CA keys. The platform backend is the default: measured on this project's machines it generates
/// RSA 4096 keys several times faster than BouncyCastle (see bench/pki and the README's performance section).
/// </summary>
internal static class KeyGenerator
{
    public static AsymmetricAlgorithm Generate(KeySpec spec, KeyGeneratorBackend backend = KeyGeneratorBackend.Platform)
    {
        spec.Validate();
        return backend == KeyGeneratorBackend.Platform ? GeneratePlatform(spec) : GenerateBouncyCastle(spec);
    }

    private static AsymmetricAlgorithm GeneratePlatform(KeySpec spec)
    {
        AsymmetricAlgorithm key = spec.Algorithm == MeshKeyAlgorithm.RSA ? RSA.Create(spec.Size) : ECDsa.Create(CurveFor(spec.Size));

        // .NET generates the key lazily, on first use; use it now so the work happens on this (background) thread.
        _ = key.ExportSubjectPublicKeyInfo();
        return key;
    }

    private static AsymmetricAlgorithm GenerateBouncyCastle(KeySpec spec)
    {
        IAsymmetricCipherKeyPairGenerator generator;
        if (spec.Algorithm == MeshKeyAlgorithm.RSA)
        {
            generator = new RsaKeyPairGenerator();
            generator.Init(new RsaKeyGenerationParameters(BigInteger.ValueOf(65537), new SecureRandom(), spec.Size, 100));
        }
        else
        {
            generator = new ECKeyPairGenerator("ECDSA");
            generator.Init(new KeyGenerationParameters(new SecureRandom(), spec.Size));
        }

        var pair = generator.GenerateKeyPair();
        var pkcs8 = PrivateKeyInfoFactory.CreatePrivateKeyInfo(pair.Private).GetDerEncoded();
        AsymmetricAlgorithm key = spec.Algorithm == MeshKeyAlgorithm.RSA ? RSA.Create() : ECDsa.Create();
        key.ImportPkcs8PrivateKey(pkcs8, out _);
        CryptographicOperations.ZeroMemory(pkcs8);
        return key;
    }

    internal static ECCurve CurveFor(int size) => size switch
    {
        256 => ECCurve.NamedCurves.nistP256,
        384 => ECCurve.NamedCurves.nistP384,
        _ => ECCurve.NamedCurves.nistP521,
    };
}
