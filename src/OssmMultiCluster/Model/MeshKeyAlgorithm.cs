namespace OssmMultiCluster.Model;

/// <summary>The algorithm of a CA key.</summary>
public enum MeshKeyAlgorithm
{
    RSA,
    ECDSA,
}
