using OssmMultiCluster.Model;

namespace OssmMultiCluster.Kube;

/// <summary>What installing on one cluster did, and what the user must be told about it.</summary>
public sealed record InstallOutcome(IReadOnlyList<MeshResourceResult> Results, IReadOnlyList<string> Warnings)
{
    public static InstallOutcome Of(IReadOnlyList<MeshResourceResult> results) => new(results, Array.Empty<string>());
}
