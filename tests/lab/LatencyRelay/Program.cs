using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

// A user-space stand-in for a network link with latency, for the loopback lab (the kernel here has no netem):
//
//   LatencyRelay --listen 127.0.0.1:<port> --target 127.0.0.1:<port> --delay-ms <one-way ms>
//
// Every connection made to --listen is relayed to --target. Each chunk read in either direction is written out once
// its arrival time plus the one-way delay has passed, so a round trip costs twice the delay and chunks already on
// the way are not held back by the ones behind them (pipelining is kept, as on a real link). Bytes pass untouched:
// TLS runs end to end between the client and the server. Loopback only.
var options = Options.Parse(args);
var listener = new TcpListener(options.Listen);
listener.Start(512);
Console.WriteLine($"relaying {options.Listen} -> {options.Target} with {options.Delay.TotalMilliseconds} ms each way");
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
try
{
    while (!stop.IsCancellationRequested)
    {
        var client = await listener.AcceptSocketAsync(stop.Token);
        _ = Relay.RunAsync(client, options, stop.Token);
    }
}
catch (OperationCanceledException)
{
}

internal sealed record Options(IPEndPoint Listen, IPEndPoint Target, TimeSpan Delay)
{
    public static Options Parse(string[] args)
    {
        string? listen = null, target = null, delay = null;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--listen": listen = args[i + 1]; break;
                case "--target": target = args[i + 1]; break;
                case "--delay-ms": delay = args[i + 1]; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        if (listen is null || target is null || delay is null || !double.TryParse(delay, out var ms) || ms < 0)
        {
            throw new ArgumentException("usage: LatencyRelay --listen <ip:port> --target <ip:port> --delay-ms <one-way ms>");
        }

        var endpoints = new[] { IPEndPoint.Parse(listen), IPEndPoint.Parse(target) };
        if (endpoints.Any(e => !IPAddress.IsLoopback(e.Address)))
        {
            throw new ArgumentException("the relay is for the loopback lab: both addresses must be loopback");
        }

        return new Options(endpoints[0], endpoints[1], TimeSpan.FromMilliseconds(ms));
    }
}

internal static class Relay
{
    private const int ChunkSize = 64 * 1024;

    public static async Task RunAsync(Socket client, Options options, CancellationToken stop)
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var _ = client;
        client.NoDelay = true;
        using var broken = CancellationTokenSource.CreateLinkedTokenSource(stop);
        try
        {
            // The connection's own handshake crosses the link too: one round trip before the first byte can flow.
            await Task.Delay(options.Delay * 2, broken.Token);
            await server.ConnectAsync(options.Target, broken.Token);
            await Task.WhenAll(PumpAsync(client, server, options.Delay, broken), PumpAsync(server, client, options.Delay, broken));
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            broken.Cancel();
        }
    }

    /// <summary>Reads chunks from <paramref name="from"/> and writes each to <paramref name="to"/> when its delay has passed.</summary>
    private static async Task PumpAsync(Socket from, Socket to, TimeSpan delay, CancellationTokenSource broken)
    {
        var inFlight = Channel.CreateUnbounded<(byte[]? Chunk, int Length, long Due)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var writer = WriteAsync(inFlight.Reader, to, broken);
        try
        {
            while (true)
            {
                var buffer = new byte[ChunkSize];
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, broken.Token);
                var due = Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency);
                inFlight.Writer.TryWrite((read == 0 ? null : buffer, read, due));
                if (read == 0)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The other direction, or the peer, ended the connection: what is queued is dropped with it.
            broken.Cancel();
        }
        finally
        {
            inFlight.Writer.TryComplete();
        }

        await writer;
    }

    private static async Task WriteAsync(ChannelReader<(byte[]? Chunk, int Length, long Due)> inFlight, Socket to, CancellationTokenSource broken)
    {
        try
        {
            await foreach (var (chunk, length, due) in inFlight.ReadAllAsync(broken.Token))
            {
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, broken.Token);
                }

                if (chunk is null)
                {
                    // The sender closed its side: so does the relay, once the close has crossed the link.
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                await to.SendAsync(chunk.AsMemory(0, length), SocketFlags.None, broken.Token);
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            broken.Cancel();
        }
    }
}
