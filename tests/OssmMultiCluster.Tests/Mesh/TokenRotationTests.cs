using k8s.Models;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Mesh;
using OssmMultiCluster.Model;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Mesh;

/// <summary>Update-MeshRemoteSecret's sequence against scripted cluster calls: which sources rotate, and when old tokens are revoked.</summary>
public sealed class TokenRotationTests
{
    private static readonly MeshCluster West = TestClusters.Offline("west", "west-network");
    private static readonly MeshCluster East = TestClusters.Offline("east", "east-network");
    private static readonly MeshCluster Remote = TestClusters.Offline("remote", "remote-network");

    private static TokenRotationRequest Request(IReadOnlyList<string>? sources = null) =>
        new(sources, new RemoteSecretOptions(), new Dictionary<string, string> { ["east"] = "https://east.example:6443" }, Restart: true);

    [Fact]
    public async Task Every_target_updated_then_only_the_carried_tokens_are_revoked()
    {
        var host = new RecordingHost();
        var calls = new ScriptedCalls();
        await TokenRotation.RunAsync(host, new[] { West, East }, Request(), calls);

        Assert.Equal(new[] { "carried east", "carried west", "issue east https://east.example:6443", "issue west", "remote? east", "remote? west",
            "revoke east sha-of-east", "revoke west sha-of-west", "update east", "update west" }, Sorted(calls.Log));
        var phases = calls.Log.Select(l => l.Split(' ')[0]).Distinct().ToList();
        Assert.Equal(new[] { "remote?", "issue", "carried", "update", "revoke" }, phases);
        Assert.Equal(new[]
        {
            "cluster west|Issue a new reader token, update its remote secret in the other clusters, restart their istiod, revoke the old token",
            "cluster east|Issue a new reader token, update its remote secret in the other clusters, restart their istiod, revoke the old token",
        }, host.Of("shouldprocess"));
        Assert.Empty(host.Of("error"));
        Assert.DoesNotContain(host.Of("warning"), w => w.StartsWith("Old tokens were not revoked", StringComparison.Ordinal));
    }

    [Fact]
    public async Task No_token_is_revoked_while_a_target_failed()
    {
        var host = new RecordingHost();
        var calls = new ScriptedCalls { FailingTarget = "east" };
        await TokenRotation.RunAsync(host, new[] { West, East }, Request(), calls);

        Assert.DoesNotContain(calls.Log, l => l.StartsWith("revoke", StringComparison.Ordinal));
        Assert.Equal(new[] { "Down: east is down" }, host.Of("error"));
        Assert.Equal("Old tokens were not revoked: the remote secrets on east could not be updated. Run Update-MeshRemoteSecret again when they are reachable.",
            host.Of("warning").Last());
        Assert.DoesNotContain(host.Lines, l => l.StartsWith("progress: Revoking old tokens", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_Source_a_primary_whose_only_peer_is_a_remote_keeps_its_token()
    {
        var host = new RecordingHost();
        var calls = new ScriptedCalls { Remotes = { "remote" } };
        await TokenRotation.RunAsync(host, new[] { West, Remote }, Request(), calls);

        Assert.Equal(new[] { "cluster remote" }, host.Of("shouldprocess").Select(q => q.Split('|')[0]));
        Assert.Contains("issue remote", calls.Log);
        Assert.DoesNotContain("issue west", calls.Log);
    }

    [Fact]
    public async Task Nothing_is_issued_when_no_source_is_confirmed_and_Source_picks_by_name()
    {
        var host = new RecordingHost { Answer = _ => false };
        var calls = new ScriptedCalls();
        await TokenRotation.RunAsync(host, new[] { West, East }, Request(sources: new[] { "east" }), calls);

        Assert.Equal(new[] { "cluster east" }, host.Of("shouldprocess").Select(q => q.Split('|')[0]));
        Assert.Empty(calls.Log);
    }

    [Fact]
    public async Task Fewer_than_two_clusters_are_refused_before_any_call()
    {
        var calls = new ScriptedCalls();
        var error = await Assert.ThrowsAsync<MeshException>(() => TokenRotation.RunAsync(new RecordingHost(), new[] { West }, Request(), calls));
        Assert.Equal("TooFewClusters", error.ErrorId);
        Assert.Empty(calls.Log);
    }

    private static List<string> Sorted(IEnumerable<string> log) => log.Order(StringComparer.Ordinal).ToList();

    /// <summary>Cluster calls that record what was asked; a target named <see cref="FailingTarget"/> fails its update.</summary>
    private sealed class ScriptedCalls : ITokenRotationCalls
    {
        private readonly List<string> _log = new();

        public HashSet<string> Remotes { get; } = new();

        public string? FailingTarget { get; init; }

        public IReadOnlyList<string> Log
        {
            get
            {
                lock (_log)
                {
                    return _log.ToList();
                }
            }
        }

        public Task<bool> IsRemoteAsync(MeshCluster cluster, string ns, CancellationToken cancellation)
        {
            Add($"remote? {cluster.Name}");
            return Task.FromResult(Remotes.Contains(cluster.Name));
        }

        public Task<MeshRemoteSecret> IssueAsync(MeshCluster source, RemoteSecretOptions options, CancellationToken cancellation)
        {
            Add($"issue {source.Name}{(options.Server is null ? string.Empty : " " + options.Server)}");
            var secret = new V1Secret { Metadata = new V1ObjectMeta { Name = RemoteSecrets.SecretName(source.Name) } };
            return Task.FromResult(new MeshRemoteSecret(source, options.Server ?? "https://" + source.Name, options.ServiceAccount, options.TokenType, null, secret,
                Array.Empty<string>()));
        }

        public Task<IReadOnlyList<(string source, string fingerprint)>> CarriedTokensAsync(MeshCluster target, IEnumerable<string> sources, string ns,
            CancellationToken cancellation)
        {
            Add($"carried {target.Name}");
            IReadOnlyList<(string, string)> carried = sources.Where(s => s != target.Name).Select(s => (s, $"sha-of-{s}")).ToList();
            return Task.FromResult(carried);
        }

        public Task<InstallOutcome> UpdateTargetAsync(MeshCluster target, IReadOnlyList<MeshRemoteSecret> rotated, string ns, bool restart, CancellationToken cancellation)
        {
            Add($"update {target.Name}");
            return target.Name == FailingTarget
                ? Task.FromException<InstallOutcome>(new MeshException("Down", MeshErrorKind.ConnectionError, $"{target.Name} is down", target.Name, "Start it."))
                : Task.FromResult(InstallOutcome.Of(Array.Empty<MeshResourceResult>()));
        }

        public Task<InstallOutcome> RevokeAsync(MeshRemoteSecret rotated, IReadOnlySet<string> carriedFingerprints, string ns, CancellationToken cancellation)
        {
            Add($"revoke {rotated.SourceCluster} {string.Join(",", carriedFingerprints)}");
            return Task.FromResult(InstallOutcome.Of(Array.Empty<MeshResourceResult>()));
        }

        private void Add(string line)
        {
            lock (_log)
            {
                _log.Add(line);
            }
        }
    }
}
