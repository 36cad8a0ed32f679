using System.Security.Cryptography;

namespace OssmMultiCluster.Pki;

/// <summary>
/// Keys generated ahead of need. Creating a root CA is almost always followed by one intermediate per cluster,
/// and RSA key generation dominates the PKI's time; so the root's key and the intermediates' keys are generated
/// concurrently, none waiting for another, and each request takes whichever prepared key finishes first.
/// RSA generation time varies several-fold with the luck of the prime search; taking the first finished of one
/// more key than needed cuts the wait for the slowest (see bench/pki.ps1). A pool belongs to the root CA it was made
/// with (<see cref="Model.MeshCertificateAuthority.IssuingKeys"/>), not to the process: keys never taken stay in that
/// object's memory only, and are never written anywhere.
/// </summary>
internal sealed class KeyPool
{
    private readonly object _sync = new();
    private readonly Dictionary<KeySpec, List<Task<AsymmetricAlgorithm>>> _pending = new();


    public KeyGeneratorBackend Backend { get; set; } = KeyGeneratorBackend.Platform;

    /// <summary>What generates a key; tests wrap the real generator to see which thread it runs on.</summary>
    internal Func<KeySpec, KeyGeneratorBackend, AsymmetricAlgorithm> Generator { get; init; } = KeyGenerator.Generate;

    /// <summary>Starts generating <paramref name="count"/> keys of <paramref name="spec"/> in the background.</summary>
    public void Prepare(KeySpec spec, int count)
    {
        spec.Validate();
        var backend = Backend;
        lock (_sync)
        {
            if (!_pending.TryGetValue(spec, out var list))
            {
                _pending[spec] = list = new List<Task<AsymmetricAlgorithm>>();
            }

            for (var i = 0; i < count; i++)
            {
                list.Add(Generate(spec, backend, CancellationToken.None));
            }
        }
    }

    /// <summary>A key of <paramref name="spec"/>: the first prepared one to finish, or a new one if none is prepared.</summary>
    public async Task<AsymmetricAlgorithm> TakeAsync(KeySpec spec, CancellationToken cancellation = default)
    {
        spec.Validate();
        while (true)
        {
            Task<AsymmetricAlgorithm>[] candidates;
            lock (_sync)
            {
                candidates = _pending.TryGetValue(spec, out var list) ? list.ToArray() : Array.Empty<Task<AsymmetricAlgorithm>>();
            }

            if (candidates.Length == 0)
            {
                var backend = Backend;
                return await Generate(spec, backend, cancellation).ConfigureAwait(false);
            }

            var first = await Task.WhenAny(candidates).WaitAsync(cancellation).ConfigureAwait(false);
            lock (_sync)
            {
                // Another request may have taken it meanwhile; then look again.
                if (!_pending[spec].Remove(first) || !first.IsCompletedSuccessfully)
                {
                    continue;
                }
            }

            return first.Result;
        }
    }

    /// <summary>
    /// One key, on a thread of its own. An RSA 4096 key is seconds of CPU: on thread-pool threads, a few of them
    /// starved the pool, and the async I/O of whatever ran meanwhile (Get-MeshCluster reading kubeconfigs, the
    /// Kubernetes calls after step 5) waited up to 1.5 s for a thread (bench/end-to-end.ps1).
    /// </summary>
    private Task<AsymmetricAlgorithm> Generate(KeySpec spec, KeyGeneratorBackend backend, CancellationToken cancellation) =>
        Task.Factory.StartNew(() => Generator(spec, backend), cancellation, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>How many prepared keys of <paramref name="spec"/> are waiting to be taken, finished or not.</summary>
    public int PreparedCount(KeySpec spec)
    {
        lock (_sync)
        {
            return _pending.TryGetValue(spec, out var list) ? list.Count : 0;
        }
    }

    /// <summary>
    /// Drops every prepared key; the task ends when those still being generated are done and all are disposed.
    /// Benchmarks use it so that no run starts with keys, or background work, left by another.
    /// </summary>
    public async Task DiscardAsync()
    {
        Task<AsymmetricAlgorithm>[] dropped;
        lock (_sync)
        {
            dropped = _pending.Values.SelectMany(list => list).ToArray();
            _pending.Clear();
        }

        foreach (var task in dropped)
        {
            try
            {
                (await task.ConfigureAwait(false)).Dispose();
            }
            catch (MeshException)
            {
                // A key that failed to generate has nothing to dispose.
            }
        }
    }
}
