using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;

namespace OssmMultiCluster.Kube;

/// <summary>
/// Sits under every Kubernetes client the module makes: retries what a busy or restarting API server (or the load
/// balancer in front of it) answers transiently, and tells <see cref="ApiLog"/> about every call. Retried, with
/// exponential backoff and jitter, at most <see cref="RetryPolicy.MaxAttempts"/> times in all: HTTP 429, 500, 502, 503,
/// 504 (honouring Retry-After up to a cap), and connections refused, reset or dropped before an answer. Never retried:
/// every other status (400, 401, 403, 404, 409, 422 ... are the server's final word) and TLS failures.
/// A call that is not idempotent (POST: a TokenRequest, a create, a review) is retried only when the failure proves the
/// server never acted on it: 429 (refused before processing), and a connection that could not be made; a 5xx or a
/// connection lost after the request went out may have followed its processing, and repeating it could act twice.
/// </summary>
/// <remarks>
/// The log lines name the cluster, the method, the path and the status; never headers or bodies, so tokens and keys
/// cannot reach them (paths and queries carry only object names and apply options).
/// </remarks>
internal sealed class ApiCallHandler : DelegatingHandler
{
    private readonly string _cluster;
    private readonly RetryPolicy _policy;
    private readonly TimeSpan _timeout;

    /// <param name="timeout">The deadline of one call, its retries included; past it the call fails with a
    /// <see cref="TimeoutException"/> inside a <see cref="TaskCanceledException"/> (ClusterTimeout). Default: none.</param>
    public ApiCallHandler(string cluster, RetryPolicy? policy = null, TimeSpan? timeout = null)
    {
        _cluster = cluster;
        _policy = policy ?? RetryPolicy.Default;
        _timeout = timeout ?? Timeout.InfiniteTimeSpan;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (_timeout == Timeout.InfiniteTimeSpan)
        {
            return await SendWithRetriesAsync(request, cancellationToken).ConfigureAwait(false);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_timeout);
        try
        {
            return await SendWithRetriesAsync(request, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested && deadline.IsCancellationRequested)
        {
            ApiLog.Write($"{_cluster}: {request.Method} {request.RequestUri?.PathAndQuery} got no answer within {_timeout.TotalSeconds:0.#} s");
            throw new TaskCanceledException($"No answer within {_timeout.TotalSeconds:0.#} s (the request timeout).", new TimeoutException(ex.Message));
        }
    }

    private async Task<HttpResponseMessage> SendWithRetriesAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // HTTP/2 where the API server offers it (ALPN; HTTP/1.1 otherwise): every call to a cluster, concurrent ones
        // too, then shares one connection, and a cluster far away pays its TCP and TLS handshakes once.
        // Not a WebSocket's request (pod exec): its HTTP/1.1 upgrade has no HTTP/2 form on these servers.
        if (request.RequestUri?.Scheme == Uri.UriSchemeHttps && request.Version < HttpVersion.Version20
            && request.Method != HttpMethod.Connect && !request.Headers.Contains("Upgrade") && !request.Headers.Contains("Sec-WebSocket-Key"))
        {
            request.Version = HttpVersion.Version20;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionOrLower;
        }

        var call = $"{request.Method} {request.RequestUri?.PathAndQuery}";
        for (var attempt = 1; ; attempt++)
        {
            var clock = Stopwatch.StartNew();
            HttpResponseMessage response;
            try
            {
                response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsDroppedConnection(ex) && !cancellationToken.IsCancellationRequested)
            {
                if (!IsIdempotent(request.Method) && !NeverSent(ex))
                {
                    ApiLog.Write($"{_cluster}: {call} failed: {Reason(ex)} (not retried: a {request.Method} may have been acted on)");
                    throw;
                }

                if (attempt >= _policy.MaxAttempts)
                {
                    ApiLog.Write($"{_cluster}: {call} failed: {Reason(ex)} (attempt {attempt} of {_policy.MaxAttempts}, giving up)");
                    throw;
                }

                var wait = _policy.Backoff(attempt);
                ApiLog.Write($"{_cluster}: {call} failed: {Reason(ex)}; retrying in {wait.TotalMilliseconds:0} ms (attempt {attempt} of {_policy.MaxAttempts})");
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var status = (int)response.StatusCode;
            var retryable = IsTransient(response.StatusCode) && (IsIdempotent(request.Method) || response.StatusCode == HttpStatusCode.TooManyRequests);
            if (retryable && attempt < _policy.MaxAttempts)
            {
                var wait = _policy.RetryAfter(response.Headers.RetryAfter, attempt);
                ApiLog.Write($"{_cluster}: {call} -> {status} {response.ReasonPhrase} ({clock.ElapsedMilliseconds} ms); retrying in {wait.TotalMilliseconds:0} ms (attempt {attempt} of {_policy.MaxAttempts})");
                response.Dispose();
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                continue;
            }

            ApiLog.Write($"{_cluster}: {call} -> {status} {response.ReasonPhrase} ({clock.ElapsedMilliseconds} ms{(attempt > 1 ? $", attempt {attempt}" : string.Empty)})");
            return response;
        }
    }

    /// <summary>Methods whose repetition leaves the server as one call does (PATCH here is server-side apply or a merge patch).</summary>
    public static bool IsIdempotent(HttpMethod method) =>
        method == HttpMethod.Get || method == HttpMethod.Head || method == HttpMethod.Options || method == HttpMethod.Put
        || method == HttpMethod.Delete || method == HttpMethod.Patch;

    /// <summary>
    /// The request never reached the server: the connection (TCP or TLS) could not be made, or was reset as it was made
    /// (a bare SocketException). A connection lost while the request or its answer was in flight is not such a failure.
    /// </summary>
    public static bool NeverSent(Exception ex) => ex switch
    {
        SocketException => true,
        HttpRequestException request => request.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError
            || request.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused },
        _ => false,
    };

    /// <summary>Answers worth asking again: the server was busy, restarting, or a proxy could not reach it.</summary>
    public static bool IsTransient(HttpStatusCode status) => status is HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError
        or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    /// <summary>
    /// The connection failed before an answer came (refused, reset, closed early); a TLS failure is not one. Usually an
    /// HttpRequestException; a connection reset just after it was made can also surface as a bare SocketException.
    /// </summary>
    public static bool IsDroppedConnection(Exception ex)
    {
        if (ex is SocketException or IOException)
        {
            return true;
        }

        if (ex is not HttpRequestException request)
        {
            return false;
        }

        for (Exception? inner = ex; inner is not null; inner = inner.InnerException)
        {
            if (inner is AuthenticationException)
            {
                return false;
            }
        }

        return request.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.ResponseEnded
            || request.InnerException is IOException or SocketException;
    }

    private static string Reason(Exception ex)
    {
        var inner = ex;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        return inner.Message.Split('\n')[0];
    }
}

/// <summary>How often and how patiently <see cref="ApiCallHandler"/> retries.</summary>
internal sealed record RetryPolicy(int MaxAttempts, TimeSpan BaseDelay, TimeSpan MaxDelay)
{
    /// <summary>Four attempts, 250 ms doubling (with jitter), no single wait over 5 s: under 2 s of waiting in the usual case.</summary>
    public static RetryPolicy Default { get; } = new(4, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));

    /// <summary>Exponential backoff with full jitter on the upper half: between half and all of base·2^(attempt−1).</summary>
    public TimeSpan Backoff(int attempt)
    {
        var ceiling = Math.Min(MaxDelay.TotalMilliseconds, BaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));
        return TimeSpan.FromMilliseconds(ceiling / 2 + (Random.Shared.NextDouble() * ceiling / 2));
    }

    /// <summary>The server's Retry-After when it gives one (capped at <see cref="MaxDelay"/>), else <see cref="Backoff"/>.</summary>
    public TimeSpan RetryAfter(System.Net.Http.Headers.RetryConditionHeaderValue? header, int attempt)
    {
        var asked = header?.Delta ?? (header?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        if (asked is { } delay && delay >= TimeSpan.Zero)
        {
            return delay < MaxDelay ? delay : MaxDelay;
        }

        return Backoff(attempt);
    }
}

/// <summary>
/// Where <see cref="ApiCallHandler"/> reports API calls: a sink that flows with the async work it was set for, so each
/// cmdlet hears about its own calls (it writes them as verbose messages from its pipeline thread).
/// </summary>
internal static class ApiLog
{
    private static readonly AsyncLocal<Action<string>?> Sink = new();

    /// <summary>The sink for the current async flow; null when nobody listens.</summary>
    public static Action<string>? Current
    {
        get => Sink.Value;
        set => Sink.Value = value;
    }

    public static void Write(string line) => Sink.Value?.Invoke(line);
}
