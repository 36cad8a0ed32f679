namespace OssmMultiCluster.Model;

/// <summary>The steps of moving a mesh from one root CA to another, run one at a time on every cluster.</summary>
public enum MeshCARotationStep
{
    /// <summary>Every cluster trusts both roots: root-cert.pem holds the old root(s) and the new one; istiod still signs with the old intermediate.</summary>
    TrustBoth,

    /// <summary>Each cluster's istiod signs with an intermediate from the new root; root-cert.pem still holds both roots.</summary>
    IssueFromNewRoot,

    /// <summary>The old root goes: root-cert.pem holds the new root alone.</summary>
    RemoveOldRoot,
}

/// <summary>Where one cluster's plug-in CA stands in a move to a new root.</summary>
public enum MeshCARotationPhase
{
    /// <summary>The cluster does not trust the new root yet.</summary>
    NotStarted,

    /// <summary>Trusts both roots, signs with an intermediate from the old root (TrustBoth done).</summary>
    TrustsBoth,

    /// <summary>Trusts both roots, signs with an intermediate from the new root (IssueFromNewRoot done).</summary>
    IssuesFromNewRoot,

    /// <summary>Trusts the new root alone and signs from it (RemoveOldRoot done).</summary>
    Complete,
}
