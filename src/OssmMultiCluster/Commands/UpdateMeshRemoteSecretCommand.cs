using System.Management.Automation;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Rotates the reader tokens of the mesh's remote secrets: issues new tokens on each source cluster, updates every
/// secret that carries the old one, restarts istiod where they are read, then revokes the old tokens.
/// </summary>
[Cmdlet(VerbsData.Update, "MeshRemoteSecret", SupportsShouldProcess = true)]
[OutputType(typeof(MeshResourceResult))]
public sealed class UpdateMeshRemoteSecretCommand : MeshClusterCmdlet
{
    /// <summary>The clusters whose tokens to rotate (by name); default all that another cluster reads (not a primary whose only peers are its remotes).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string[]? Source { get; set; }

    [Parameter]
    public MeshTokenType TokenType { get; set; } = MeshTokenType.Secret;

    [Parameter]
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>API server URLs by cluster name, as for Connect-MeshCluster.</summary>
    [Parameter]
    [ValidateNotNull]
    public System.Collections.Hashtable? Server { get; set; }

    /// <summary>Do not restart istiod (it then keeps using the old tokens until restarted, and they are revoked).</summary>
    [Parameter]
    public SwitchParameter NoRestart { get; set; }

    /// <summary>How long to wait for the token controller to issue a service-account token (-TokenType Secret).</summary>
    [Parameter]
    [ValidateTimeout]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    private protected override void End()
    {
        ClusterSet.Validate(Clusters, minimum: 2);

        // Primary-remote: a remote reads no cluster, so without -Source only the secrets some other cluster reads are rotated.
        var remotes = new HashSet<MeshCluster>();
        if (Source is null)
        {
            ForEachCluster("Finding remotes", Clusters.Select(c => (c.Name, (Func<CancellationToken, Task<(MeshCluster, bool)>>)(async ct =>
                (c, await RemoteControlPlane.IsRemoteClusterAsync(c, Namespace, ct).ConfigureAwait(false))))).ToList(),
                found =>
                {
                    if (found.Item2)
                    {
                        remotes.Add(found.Item1);
                    }
                });
        }

        var sources = Clusters.Where(c => Source is null ? Clusters.Any(t => t != c && !remotes.Contains(t)) : Source.Contains(c.Name))
            .Where(c => ShouldProcess($"cluster {c.Name}", $"Issue a new reader token, update its remote secret in the other clusters{(NoRestart ? string.Empty : ", restart their istiod")}, revoke the old token"))
            .ToList();
        if (sources.Count == 0)
        {
            return;
        }

        var options = new RemoteSecretOptions { Namespace = Namespace, TokenType = TokenType, TokenLifetime = TokenLifetime, TokenTimeout = Timeout };
        var rotated = new List<MeshRemoteSecret>();
        ForEachCluster("Issuing new tokens",
            sources.Select(c => (c.Name, (Func<CancellationToken, Task<MeshRemoteSecret>>)(ct =>
                RemoteSecrets.RenderAsync(c, options with { Server = Server?[c.Name]?.ToString() }, ct, rotate: true)))).ToList(),
            secret =>
            {
                foreach (var warning in secret.Warnings)
                {
                    WriteWarning(warning);
                }

                rotated.Add(secret);
            });

        // What the remote secrets about to be replaced carry: only those tokens may be revoked afterwards.
        var carried = new List<(string source, string fingerprint)>();
        var sourceNames = rotated.Select(s => s.SourceCluster).ToList();
        ForEachCluster("Reading the remote secrets to replace",
            Clusters.Select(c => (c.Name, (Func<CancellationToken, Task<IReadOnlyList<(string, string)>>>)(ct => TokenRotation.CarriedTokensAsync(c, sourceNames, Namespace, ct)))).ToList(),
            carried.AddRange);

        var failedTargets = new HashSet<string>(Clusters.Select(c => c.Name));
        ForEachCluster("Updating remote secrets",
            Clusters.Select(c => (c.Name, (Func<CancellationToken, Task<(string, InstallOutcome)>>)(async ct =>
                (c.Name, await TokenRotation.UpdateTargetAsync(c, rotated, Namespace, !NoRestart, ct).ConfigureAwait(false))))).ToList(),
            done =>
            {
                failedTargets.Remove(done.Item1);
                WriteOutcome(done.Item2);
            });

        if (failedTargets.Count > 0)
        {
            WriteWarning($"Old tokens were not revoked: the remote secrets on {string.Join(", ", failedTargets)} could not be updated. Run Update-MeshRemoteSecret again when they are reachable.");
            return;
        }

        ForEachCluster("Revoking old tokens",
            rotated.Select(s => (s.SourceCluster, (Func<CancellationToken, Task<InstallOutcome>>)(ct => TokenRotation.RevokeAsync(s,
                carried.Where(c => c.source == s.SourceCluster).Select(c => c.fingerprint).ToHashSet(StringComparer.Ordinal), Namespace, ct)))).ToList(),
            WriteOutcome);
    }
}
