using System.Text;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh.Status;

/// <summary>
/// The ca-rotation check of Get-MeshStatus: while any cluster's root-cert.pem holds more than one root, a move to a new
/// root is under way (Update-MeshCACertificate writes the new root last), and each cluster is told which step it is at
/// and what to run next. A cluster that does not trust a root another cluster signs with is an error: their workloads
/// reject each other's certificates. No rotation under way, no check.
/// </summary>
internal static class CARotationCheck
{
    public const string Name = "ca-rotation";

    public static MeshStatusCheck? For(ClusterState state, IReadOnlyList<ClusterState> reachable)
    {
        var parsed = reachable.Select(s => (s.Cluster.Name, CA: Parse(s))).Where(p => p.CA is not null).ToList();
        var bundles = parsed.Where(p => p.CA!.Roots.Count > 1).ToList();
        var mine = parsed.FirstOrDefault(p => p.Name == state.Cluster.Name).CA;
        if (bundles.Count == 0 || mine is null)
        {
            return null;
        }

        var name = state.Cluster.Name;
        var newRoots = bundles.Select(b => b.CA!.Roots[^1]).DistinctBy(r => r.Thumbprint).ToList();
        if (newRoots.Count > 1)
        {
            return new(name, Name, MeshCheckStatus.Error,
                $"The clusters' root bundles disagree on the new root (last in root-cert.pem): {string.Join(", ", bundles.Select(b => $"{b.Name} {CARotation.Short(b.CA!.Roots[^1])}"))}. " +
                "Rerun Update-MeshCACertificate -Step TrustBoth with the one new root on every cluster.");
        }

        var newRoot = newRoots[0];
        var untrusted = parsed.Where(p => p.Name != name && p.CA!.SigningRoot is { } r && !mine.Trusts(r))
            .Select(p => $"'{p.Name}' signs from root {CARotation.Short(p.CA!.SigningRoot!)}").ToList();
        var phase = mine.PhaseFor(newRoot);
        var (status, detail) = phase switch
        {
            MeshCARotationPhase.NotStarted => (MeshCheckStatus.Warning,
                $"Not started (step 0 of 3): does not trust the new root yet. Next: Update-MeshCACertificate -Step {MeshCARotationStep.TrustBoth}."),
            MeshCARotationPhase.TrustsBoth => (MeshCheckStatus.Warning,
                $"At step {MeshCARotationStep.TrustBoth} (1 of 3): trusts both roots, signs from the old root. Next, once every cluster trusts both: -Step {MeshCARotationStep.IssueFromNewRoot}."),
            MeshCARotationPhase.IssuesFromNewRoot => (MeshCheckStatus.Warning,
                $"At step {MeshCARotationStep.IssueFromNewRoot} (2 of 3): signs from the new root, still trusts the old one. Next, once every cluster signs from the new root and the workloads have new certificates: -Step {MeshCARotationStep.RemoveOldRoot}."),
            _ => (MeshCheckStatus.OK,
                $"At step {MeshCARotationStep.RemoveOldRoot} (3 of 3): trusts the new root alone; done here, the other clusters follow."),
        };
        detail = $"Rotation to root {CARotation.Short(newRoot)}. {detail}";
        return untrusted.Count == 0
            ? new(name, Name, status, detail)
            : new(name, Name, MeshCheckStatus.Error,
                $"{detail} It does not trust roots other clusters sign with ({string.Join(", ", untrusted)}): workloads across them reject each other's certificates.");
    }

    private static PlugInCAState? Parse(ClusterState state)
    {
        if (state.CaCerts is null)
        {
            return null;
        }

        try
        {
            return PlugInCAState.Parse(state.Cluster.Name, state.CaCerts.ToDictionary(kv => kv.Key, kv => Encoding.ASCII.GetBytes(kv.Value)), "cacerts");
        }
        catch (MeshException)
        {
            // The trust check reports an unreadable plug-in CA.
            return null;
        }
    }
}
