using OssmMultiCluster.Model;

namespace OssmMultiCluster.Kube;

/// <summary>
/// What working on one cluster did, what the user must be told about it, and what failed while the rest went on
/// (a mesh-networks update that could not be made while the remote secrets were installed).
/// </summary>
internal sealed record InstallOutcome(IReadOnlyList<MeshResourceResult> Results, IReadOnlyList<string> Warnings)
{
    public IReadOnlyList<MeshException> Errors { get; init; } = Array.Empty<MeshException>();

    public static InstallOutcome Of(IReadOnlyList<MeshResourceResult> results) => new(results, Array.Empty<string>());
}
