using System.Collections.Specialized;
using System.Globalization;
using System.Text.RegularExpressions;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Mesh.Connectivity;

/// <summary>
/// The walkthrough's connectivity checks (curl from the sleep pod, steps 15 to 17) as objects: builds the curl
/// command, runs it through an <see cref="IPodExec"/>, reads status, time and who served each request from curl's
/// output, and gives the verdict.
/// </summary>
internal sealed class ConnectivityTester
{
    /// <summary>helloworld's reply, "Hello version: v2, instance: helloworld-v2-…": the version is who served it.</summary>
    public const string DefaultServedByPattern = @"Hello version: ([^,\s]+)";

    private static readonly Regex Trailer = new(@"^(\d{3}) (\d+(?:[.,]\d+)?)\s*$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <summary>Time for the exec round trip on top of curl's own --max-time.</summary>
    private static readonly TimeSpan ExecAllowance = TimeSpan.FromSeconds(30);

    private readonly IPodExec _exec;
    private readonly Regex _servedBy;

    public ConnectivityTester(IPodExec exec, string? pattern = null)
    {
        _exec = exec;
        _servedBy = ServedByRegex(pattern);
    }

    /// <summary>The regex that reads who served a response; an invalid -Pattern is an InvalidArgument error.</summary>
    public static Regex ServedByRegex(string? pattern)
    {
        try
        {
            return new Regex(pattern ?? DefaultServedByPattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException ex)
        {
            throw new MeshException("PatternInvalid", MeshErrorKind.InvalidArgument, $"-Pattern '{pattern}' is not a valid regular expression: {ex.Message}",
                pattern, "Give a .NET regular expression whose first capture group is the server's name, e.g. 'served by: (\\S+)'.", ex);
        }
    }

    /// <summary>The URL curl is given: http:// added when no scheme is given, as the walkthrough's "productpage.bookinfo:9080/productpage".</summary>
    public static string NormalizeUrl(string url)
    {
        var trimmed = url.Trim();
        if (trimmed.Length == 0 || trimmed.StartsWith('-') || trimmed.Any(char.IsWhiteSpace) || trimmed.Any(char.IsControl))
        {
            throw new MeshException("UrlInvalid", MeshErrorKind.InvalidArgument, $"-Url '{url}' is not a URL curl can be given.", url,
                "Give host[:port]/path, as the walkthrough does: productpage.bookinfo:9080/productpage.");
        }

        var withScheme = trimmed.Contains("://", StringComparison.Ordinal) ? trimmed : "http://" + trimmed;
        if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new MeshException("UrlInvalid", MeshErrorKind.InvalidArgument, $"-Url '{url}' is not an http or https URL.", url,
                "Give host[:port]/path, as the walkthrough does: productpage.bookinfo:9080/productpage.");
        }

        return withScheme;
    }

    /// <summary>
    /// curl as argv (no shell in between): body on stdout, then a last line "&lt;status&gt; &lt;seconds&gt;", errors on stderr.
    /// </summary>
    public static IReadOnlyList<string> CurlCommand(string url, TimeSpan timeout) => new[]
    {
        "curl", "-sS", "-o", "-", "-w", @"\n%{http_code} %{time_total}",
        "--max-time", Math.Max(1, Math.Ceiling(timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture),
        NormalizeUrl(url),
    };

    /// <summary>
    /// Sends request number <paramref name="index"/>. A request that gets no answer is a probe with StatusCode 0 and
    /// curl's error in Detail; only a client without curl (CurlMissing) is an error.
    /// </summary>
    public async Task<MeshConnectivityProbe> ProbeAsync(MeshCluster cluster, ClientPod pod, string url, int index, TimeSpan timeout, CancellationToken cancellation)
    {
        var command = CurlCommand(url, timeout);
        var podName = $"{pod.Namespace}/{pod.Name}";
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        limit.CancelAfter(timeout + ExecAllowance);
        PodExecResult result;
        try
        {
            result = await _exec.ExecAsync(cluster, pod.Namespace, pod.Name, pod.Container, command, limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            return new MeshConnectivityProbe(cluster.Name, podName, url, index, 0, 0, null,
                $"no answer from the pod within {(timeout + ExecAllowance).TotalSeconds:0} s");
        }

        if (result.ExitCode is 126 or 127 || result.Stderr.Contains("executable file not found", StringComparison.OrdinalIgnoreCase))
        {
            throw new MeshException("CurlMissing", MeshErrorKind.NotInstalled,
                $"Container '{pod.Container}' of pod {podName} on cluster '{cluster.Name}' cannot run curl: {FirstLine(result.Stderr) ?? $"exit code {result.ExitCode}"}",
                cluster.Name,
                "Use a client with curl in its image, such as the walkthrough's sleep sample, or name its container with -Container.");
        }

        var stdout = result.Stdout.Replace("\r\n", "\n", StringComparison.Ordinal);
        var cut = stdout.LastIndexOf('\n');
        var match = Trailer.Match(cut < 0 ? stdout : stdout[(cut + 1)..]);
        var body = cut < 0 ? string.Empty : stdout[..cut];
        if (!match.Success)
        {
            return new MeshConnectivityProbe(cluster.Name, podName, url, index, 0, 0, null,
                FirstLine(result.Stderr) ?? $"curl exit code {result.ExitCode} and no status line in its output");
        }

        var seconds = double.Parse(match.Groups[2].Value.Replace(',', '.'), NumberStyles.Float, CultureInfo.InvariantCulture);
        var timeMs = Math.Round(seconds * 1000, 1);
        if (result.ExitCode != 0)
        {
            return new MeshConnectivityProbe(cluster.Name, podName, url, index, 0, timeMs, null,
                FirstLine(result.Stderr) ?? $"curl exit code {result.ExitCode}");
        }

        var status = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return new MeshConnectivityProbe(cluster.Name, podName, url, index, status, timeMs, ServedBy(body), null);
    }

    /// <summary>Sends <paramref name="count"/> requests one after the other and gives every probe and the verdict.</summary>
    public async Task<(IReadOnlyList<MeshConnectivityProbe> probes, MeshConnectivityResult result)> RunAsync(MeshCluster cluster, ClientPod pod, string url,
        int count, int minClusters, TimeSpan timeout, CancellationToken cancellation)
    {
        var probes = new List<MeshConnectivityProbe>();
        for (var i = 1; i <= count; i++)
        {
            probes.Add(await ProbeAsync(cluster, pod, url, i, timeout, cancellation).ConfigureAwait(false));
        }

        return (probes, Summarize(cluster.Name, url, probes, minClusters));
    }

    /// <summary>
    /// The verdict: passed when every request got a 2xx answer and at least <paramref name="minClusters"/> distinct
    /// servers answered; the detail says what failed or how requests were spread.
    /// </summary>
    public static MeshConnectivityResult Summarize(string from, string url, IReadOnlyList<MeshConnectivityProbe> probes, int minClusters)
    {
        var succeeded = probes.Count(p => p.Succeeded);
        var distribution = new OrderedDictionary(StringComparer.Ordinal);
        foreach (var group in probes.Where(p => p.Succeeded && p.ServedBy is not null).GroupBy(p => p.ServedBy!).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            distribution.Add(group.Key, group.Count());
        }

        var unknown = probes.Count(p => p.Succeeded && p.ServedBy is null);
        var parts = new List<string>();
        var failed = probes.Where(p => !p.Succeeded).ToList();
        if (failed.Count > 0)
        {
            var why = failed.GroupBy(p => p.StatusCode == 0 ? p.Detail ?? "no response" : $"HTTP {p.StatusCode}")
                .Select(g => g.Count() == 1 ? g.Key : $"{g.Key} (×{g.Count()})");
            parts.Add($"{failed.Count} of {probes.Count} requests failed: {string.Join("; ", why)}");
        }
        else
        {
            parts.Add($"{succeeded} of {probes.Count} requests succeeded");
        }

        if (distribution.Count > 0)
        {
            parts.Add("served by " + string.Join(", ", distribution.Cast<System.Collections.DictionaryEntry>().Select(e => $"{e.Key}={e.Value}")));
        }

        if (unknown > 0)
        {
            parts.Add($"{unknown} response(s) did not say who served them (see -Pattern)");
        }

        if (distribution.Count < minClusters)
        {
            parts.Add($"{distribution.Count} distinct server(s), fewer than -MinClusters {minClusters}: requests do not reach the other clusters " +
                      "(check Connect-MeshCluster, Wait-MeshGateway and that the service is deployed there), or lower -MinClusters");
        }

        var passed = probes.Count > 0 && failed.Count == 0 && distribution.Count >= minClusters;
        return new MeshConnectivityResult(from, url, probes.Count, succeeded, distribution, minClusters, passed, string.Join("; ", parts) + ".");
    }

    private string? ServedBy(string body)
    {
        try
        {
            var match = _servedBy.Match(body);
            if (!match.Success)
            {
                return null;
            }

            var value = (match.Groups.Count > 1 ? match.Groups[1].Value : match.Value).Trim();
            return value.Length == 0 ? null : value;
        }
        catch (RegexMatchTimeoutException)
        {
            return null;
        }
    }

    private static string? FirstLine(string text) =>
        text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0);
}
