using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace OssmMultiCluster.Pki;

/// <summary>
/// Keys generated ahead of need. Creating a root CA is almost always followed by one intermediate per cluster,
/// and RSA key generation dominates the PKI's time; so the root's key and the intermediates' keys are generated
/// concurrently, none waiting for another. Keys that are never taken stay in this process's memory only and are
/// never written anywhere.
/// </summary>
public sealed class KeyPool
{
    private readonly ConcurrentDictionary<KeySpec, ConcurrentQueue<Task<AsymmetricAlgorithm>>> _pending = new();

    public static KeyPool Shared { get; } = new();

    public KeyGeneratorBackend Backend { get; set; } = KeyGeneratorBackend.Platform;

    /// <summary>Starts generating <paramref name="count"/> keys of <paramref name="spec"/> in the background.</summary>
    public void Prepare(KeySpec spec, int count)
    {
        spec.Validate();
        var queue = _pending.GetOrAdd(spec, _ => new ConcurrentQueue<Task<AsymmetricAlgorithm>>());
        var backend = Backend;
        for (var i = 0; i < count; i++)
        {
            queue.Enqueue(Task.Run(() => KeyGenerator.Generate(spec, backend)));
        }
    }

    /// <summary>A key of <paramref name="spec"/>: one prepared earlier if there is one, else a new one.</summary>
    public Task<AsymmetricAlgorithm> TakeAsync(KeySpec spec)
    {
        spec.Validate();
        if (_pending.TryGetValue(spec, out var queue))
        {
            while (queue.TryDequeue(out var prepared))
            {
                if (!prepared.IsFaulted && !prepared.IsCanceled)
                {
                    return prepared;
                }
            }
        }

        var backend = Backend;
        return Task.Run(() => KeyGenerator.Generate(spec, backend));
    }

    /// <summary>How many prepared keys of <paramref name="spec"/> are waiting to be taken.</summary>
    public int PreparedCount(KeySpec spec) => _pending.TryGetValue(spec, out var queue) ? queue.Count : 0;

    /// <summary>Drops and disposes every prepared key.</summary>
    public void Clear()
    {
        foreach (var queue in _pending.Values)
        {
            while (queue.TryDequeue(out var prepared))
            {
                prepared.ContinueWith(t => t.Result.Dispose(), TaskContinuationOptions.OnlyOnRanToCompletion);
            }
        }
    }
}
