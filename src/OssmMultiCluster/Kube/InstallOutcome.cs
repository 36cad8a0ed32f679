using OssmMultiCluster.Model;

namespace OssmMultiCluster.Kube;

/// <summary>
/// What working on one cluster did, what the user must be told about it, and what failed while the rest went on
/// (a mesh-networks update that could not be made while the remote secrets were installed).
/// </summary>
internal sealed record InstallOutcome(IReadOnlyList<MeshResourceResult> Results, IReadOnlyList<string> Warnings)
{
    public IReadOnlyList<MeshException> Errors { get; init; } = Array.Empty<MeshException>();

    /// <summary>The warnings, then one per object whose fields -Force took from another field manager.</summary>
    public IEnumerable<string> AllWarnings => Warnings.Concat(Results.Where(r => r.OwnershipTaken is not null).Select(taken =>
        $"Cluster '{taken.Cluster}': -Force took ownership of fields of {taken.Describe()} " +
        $"from another field manager, and overwrote their values: {taken.OwnershipTaken}"));

    public static InstallOutcome Of(IReadOnlyList<MeshResourceResult> results) => new(results, Array.Empty<string>());
}
