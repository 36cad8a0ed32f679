using OssmMultiCluster.Model;

namespace OssmMultiCluster.Pki;

/// <summary>
/// New-MeshIntermediateCA over a whole pipeline: each cluster's request is checked as it arrives and its issuance
/// started at once (keys are the slow part, so they are generated concurrently), and the CAs are output in the order
/// asked for. One cluster's bad input is its error; a root that cannot issue stops everything.
/// </summary>
internal sealed class IntermediateIssuance
{
    private readonly List<(string cluster, Task<MeshCertificateAuthority> ca)> _pending = new();
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly CertificateAuthorityService _service = new();
    private readonly MeshCertificateAuthority _root;
    private readonly IntermediateCAOptions _options;
    private readonly CancellationToken _cancellation;

    /// <summary>Throws a <see cref="MeshException"/> when <paramref name="root"/> cannot issue what <paramref name="options"/> ask for.</summary>
    public IntermediateIssuance(MeshCertificateAuthority root, IntermediateCAOptions options, CancellationToken cancellation)
    {
        options.Key?.Validate();
        _service.ValidateIssuer(root, options);
        _root = root;
        _options = options;
        _cancellation = cancellation;
    }

    /// <summary>Starts issuing the CA of <paramref name="cluster"/> (bound to <paramref name="meshCluster"/> when given), or reports why not.</summary>
    public void Add(string cluster, MeshCluster? meshCluster, Action<MeshException> reject, Action<string> verbose)
    {
        try
        {
            // The root was checked once, when the issuance began.
            CertificateAuthorityService.ValidateRequest(_root, cluster, _options);
            if (!_seen.Add(cluster))
            {
                throw new MeshException("DuplicateClusterName", MeshErrorKind.InvalidArgument,
                    $"Cluster '{cluster}' was given more than once; each cluster gets one intermediate CA.", cluster,
                    "Give every cluster once, with a distinct name.");
            }
        }
        catch (MeshException error)
        {
            reject(error);
            return;
        }

        verbose($"Issuing the intermediate CA of cluster '{cluster}'.");
        var issued = _service.CreateIntermediateAsync(_root, cluster, _options, _cancellation);
        _pending.Add((cluster, meshCluster is null ? issued : BindAsync(issued, meshCluster)));
    }

    /// <summary>Outputs every CA started, in order, as each is ready; one that fails is its cluster's error.</summary>
    public async Task WriteAllAsync(IMeshHost host)
    {
        foreach (var (cluster, ca) in _pending)
        {
            var activity = $"Issuing the intermediate CA of cluster '{cluster}'";
            host.WriteProgress(activity, string.Empty);
            try
            {
                host.WriteObject(await ca.WaitAsync(host.Cancellation).ConfigureAwait(false));
            }
            catch (MeshException error)
            {
                host.WriteError(error);
            }
            catch (System.Security.Cryptography.CryptographicException error)
            {
                host.WriteError(new MeshException("CertificateIssueFailed", MeshErrorKind.InvalidOperation,
                    $"Issuing the intermediate CA of cluster '{cluster}' failed: {error.Message}", cluster,
                    "Check the root CA (Import-MeshCA validates it) and try again.", error));
            }
            finally
            {
                host.WriteProgress(activity, string.Empty, completed: true);
            }
        }
    }

    private static async Task<MeshCertificateAuthority> BindAsync(Task<MeshCertificateAuthority> issued, MeshCluster cluster) =>
        (await issued.ConfigureAwait(false)).For(cluster);
}
