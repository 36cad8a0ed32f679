using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Authentication;
using OssmMultiCluster.Kube;

namespace OssmMultiCluster.Tests.Kube;

/// <summary>
/// The retry rules of <see cref="ApiCallHandler"/>, against <see cref="ScriptedApiServer"/>: a stand-in for an API
/// server (or the load balancer in front of it) that answers from a script. Named as a stand-in because the lab's real
/// API servers cannot be made to answer 429 or 502 on demand; the lab-backed FaultTests cover what they can (a real 503,
/// dropped connections, 403).
/// </summary>
public sealed class ApiCallHandlerTests
{
    private static readonly RetryPolicy Quick = new(4, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(20));

    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    public async Task Transient_answers_are_retried_until_the_server_answers(HttpStatusCode transient)
    {
        var server = new ScriptedApiServer(Answer(transient), Answer(transient), Answer(HttpStatusCode.OK));
        var (response, log) = await Send(server, HttpMethod.Patch);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, server.Requests);
        Assert.Equal(2, log.Count(l => l.Contains("retrying", StringComparison.Ordinal)));
        Assert.Contains(log, l => l.StartsWith("west: PATCH /api/v1/namespaces/istio-system/secrets/cacerts -> 200", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest)]
    [InlineData(HttpStatusCode.Unauthorized)]
    [InlineData(HttpStatusCode.Forbidden)]
    [InlineData(HttpStatusCode.NotFound)]
    [InlineData(HttpStatusCode.Conflict)]
    [InlineData(HttpStatusCode.UnprocessableEntity)]
    [InlineData(HttpStatusCode.NotImplemented)]
    public async Task Permanent_answers_are_returned_at_once(HttpStatusCode permanent)
    {
        var server = new ScriptedApiServer(Answer(permanent), Answer(HttpStatusCode.OK));
        var (response, log) = await Send(server, HttpMethod.Get);
        Assert.Equal(permanent, response.StatusCode);
        Assert.Equal(1, server.Requests);
        Assert.DoesNotContain(log, l => l.Contains("retrying", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Retries_are_bounded_and_the_last_answer_is_returned()
    {
        var server = new ScriptedApiServer(Enumerable.Range(0, 10).Select(_ => Answer(HttpStatusCode.ServiceUnavailable)).ToArray());
        var (response, log) = await Send(server, HttpMethod.Get);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(Quick.MaxAttempts, server.Requests);
        Assert.Equal(Quick.MaxAttempts - 1, log.Count(l => l.Contains("retrying", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Dropped_connections_are_retried_and_the_last_failure_is_thrown()
    {
        var reset = new HttpRequestException("An error occurred while sending the request.",
            new IOException("Unable to read data from the transport connection: Connection reset by peer.", new SocketException((int)SocketError.ConnectionReset)));
        var recovers = new ScriptedApiServer(Fail(reset), Fail(reset), Answer(HttpStatusCode.OK));
        var (response, _) = await Send(recovers, HttpMethod.Get);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, recovers.Requests);

        var never = new ScriptedApiServer(Enumerable.Range(0, 10).Select(_ => Fail(reset)).ToArray());
        var thrown = await Assert.ThrowsAsync<HttpRequestException>(() => Send(never, HttpMethod.Get));
        Assert.Same(reset, thrown);
        Assert.Equal(Quick.MaxAttempts, never.Requests);
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    public async Task A_POST_the_server_may_have_acted_on_is_not_repeated(HttpStatusCode transient)
    {
        var server = new ScriptedApiServer(Answer(transient), Answer(HttpStatusCode.Created));
        var (response, log) = await Send(server, HttpMethod.Post);
        Assert.Equal(transient, response.StatusCode);
        Assert.Equal(1, server.Requests);
        Assert.DoesNotContain(log, l => l.Contains("retrying", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_POST_refused_before_processing_is_retried()
    {
        var limited = new ScriptedApiServer(Answer(HttpStatusCode.TooManyRequests), Answer(HttpStatusCode.Created));
        Assert.Equal(HttpStatusCode.Created, (await Send(limited, HttpMethod.Post)).response.StatusCode);
        Assert.Equal(2, limited.Requests);

        var refused = new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (127.0.0.1:6443)", new SocketException((int)SocketError.ConnectionRefused));
        var notListening = new ScriptedApiServer(Fail(refused), Answer(HttpStatusCode.Created));
        Assert.Equal(HttpStatusCode.Created, (await Send(notListening, HttpMethod.Post)).response.StatusCode);
        Assert.Equal(2, notListening.Requests);
    }

    [Fact]
    public async Task A_POST_whose_connection_dropped_in_flight_is_not_repeated()
    {
        var reset = new HttpRequestException(HttpRequestError.ResponseEnded, "The response ended prematurely.",
            new IOException("Unable to read data from the transport connection: Connection reset by peer.", new SocketException((int)SocketError.ConnectionReset)));
        var server = new ScriptedApiServer(Fail(reset), Answer(HttpStatusCode.Created));
        var thrown = await Assert.ThrowsAsync<HttpRequestException>(() => Send(server, HttpMethod.Post));
        Assert.Same(reset, thrown);
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public async Task A_TLS_failure_is_not_retried()
    {
        var tls = new HttpRequestException("The SSL connection could not be established, see inner exception.",
            new AuthenticationException("The remote certificate was rejected by the provided RemoteCertificateValidationCallback."));
        var server = new ScriptedApiServer(Fail(tls), Answer(HttpStatusCode.OK));
        await Assert.ThrowsAsync<HttpRequestException>(() => Send(server, HttpMethod.Get));
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public void Retry_after_is_honoured_up_to_the_cap_and_backoff_grows()
    {
        var policy = new RetryPolicy(4, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2));
        Assert.Equal(TimeSpan.FromSeconds(1), policy.RetryAfter(new RetryConditionHeaderValue(TimeSpan.FromSeconds(1)), 1));
        Assert.Equal(TimeSpan.FromSeconds(2), policy.RetryAfter(new RetryConditionHeaderValue(TimeSpan.FromSeconds(30)), 1));
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var ceiling = 100 * Math.Pow(2, attempt - 1);
            var wait = policy.RetryAfter(null, attempt).TotalMilliseconds;
            Assert.InRange(wait, ceiling / 2, ceiling);
        }

        Assert.InRange(policy.Backoff(10).TotalMilliseconds, 1000, 2000);
    }

    [Fact]
    public async Task The_log_names_the_call_but_never_headers_or_bodies()
    {
        const string token = "sha256~very-secret-token-value";
        var server = new ScriptedApiServer(Answer(HttpStatusCode.TooManyRequests), Answer(HttpStatusCode.OK));
        var log = new List<string>();
        using var invoker = new HttpMessageInvoker(new ApiCallHandler("west", Quick) { InnerHandler = server });
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://127.0.0.1:6443/api/v1/namespaces/istio-system/serviceaccounts/reader/token")
        {
            Content = new StringContent("{\"kind\":\"TokenRequest\",\"secret\":\"" + token + "\"}"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        ApiLog.Current = log.Add;
        try
        {
            using var response = await invoker.SendAsync(request, CancellationToken.None);
        }
        finally
        {
            ApiLog.Current = null;
        }

        Assert.Equal(2, log.Count);
        Assert.All(log, l => Assert.StartsWith("west: POST /api/v1/namespaces/istio-system/serviceaccounts/reader/token -> ", l, StringComparison.Ordinal));
        Assert.All(log, l => Assert.DoesNotContain("secret-token", l, StringComparison.Ordinal));
        Assert.Equal(2, server.Bodies.Count(b => b.Contains(token, StringComparison.Ordinal)));
    }

    private static async Task<(HttpResponseMessage response, List<string> log)> Send(ScriptedApiServer server, HttpMethod method)
    {
        var log = new List<string>();
        using var invoker = new HttpMessageInvoker(new ApiCallHandler("west", Quick) { InnerHandler = server });
        using var request = new HttpRequestMessage(method, "https://127.0.0.1:6443/api/v1/namespaces/istio-system/secrets/cacerts");
        ApiLog.Current = log.Add;
        try
        {
            return (await invoker.SendAsync(request, CancellationToken.None), log);
        }
        finally
        {
            ApiLog.Current = null;
        }
    }

    private static Func<HttpResponseMessage> Answer(HttpStatusCode status) => () => new HttpResponseMessage(status);

    private static Func<HttpResponseMessage> Fail(Exception ex) => () => throw ex;

    /// <summary>A stand-in API server: answers each request with the next scripted answer (or failure).</summary>
    private sealed class ScriptedApiServer : HttpMessageHandler
    {
        private readonly Queue<Func<HttpResponseMessage>> _answers;

        public ScriptedApiServer(params Func<HttpResponseMessage>[] answers) => _answers = new Queue<Func<HttpResponseMessage>>(answers);

        public int Requests { get; private set; }

        public List<string> Bodies { get; } = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests++;
            Bodies.Add(request.Content is null ? string.Empty : await request.Content.ReadAsStringAsync(cancellationToken));
            return _answers.Dequeue()();
        }
    }
}
