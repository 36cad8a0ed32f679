using System.Security.Cryptography;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Pki;

/// <summary>The algorithm and size of a CA key.</summary>
internal readonly record struct KeySpec(MeshKeyAlgorithm Algorithm, int Size)
{
    public const int MinimumRsaBits = 2048;
    public static readonly int[] EcdsaCurveSizes = { 256, 384, 521 };

    public static KeySpec DefaultRsa => new(MeshKeyAlgorithm.RSA, 4096);

    /// <summary>The default size for an algorithm when the user names only the algorithm.</summary>
    public static int DefaultSize(MeshKeyAlgorithm algorithm) => algorithm == MeshKeyAlgorithm.RSA ? 4096 : 256;

    /// <summary>Rejects sizes istiod or sound practice would reject.</summary>
    public void Validate()
    {
        if (Algorithm == MeshKeyAlgorithm.RSA && Size < MinimumRsaBits)
        {
            throw new MeshException("KeySizeTooSmall", MeshErrorKind.InvalidArgument,
                $"RSA key size {Size} is below the minimum of {MinimumRsaBits} bits.", Size,
                "Use -KeySize 2048, 3072 or 4096 (the walkthrough uses 4096).");
        }

        if (Algorithm == MeshKeyAlgorithm.RSA && Size % 8 != 0)
        {
            throw new MeshException("KeySizeInvalid", MeshErrorKind.InvalidArgument,
                $"RSA key size {Size} is not a whole number of bytes.", Size, "Use -KeySize 2048, 3072 or 4096.");
        }

        if (Algorithm == MeshKeyAlgorithm.ECDSA && !EcdsaCurveSizes.Contains(Size))
        {
            throw new MeshException("KeySizeInvalid", MeshErrorKind.InvalidArgument,
                $"ECDSA key size {Size} names no supported curve.", Size,
                "Use -KeySize 256 (P-256), 384 (P-384) or 521 (P-521).");
        }
    }

    internal HashAlgorithmName SignatureHash => Algorithm == MeshKeyAlgorithm.ECDSA && Size > 256
        ? (Size == 384 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA512)
        : HashAlgorithmName.SHA256;

    public override string ToString() => Algorithm == MeshKeyAlgorithm.RSA ? $"RSA {Size}" : $"ECDSA P-{Size}";
}
