using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace OssmTest;

/// <summary>
/// A TCP relay on loopback in front of a real lab API server that resets the first <c>drop</c> connections it accepts
/// (as a flaky load balancer or a restarting server does) and relays the rest byte for byte (TLS passes through: the
/// client still verifies the API server's own certificate). Fault.Tests.ps1 loads it with Add-Type.
/// </summary>
public sealed class DroppingProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Uri _target;
    private readonly CancellationTokenSource _stop = new();
    private int _toDrop;
    private int _accepted;

    public DroppingProxy(Uri target, int drop)
    {
        _target = target;
        _toDrop = drop;
        _listener.Start();
        _ = AcceptLoop();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Connections accepted so far, dropped ones included.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>A copy of <paramref name="kubeconfig"/> whose server is this relay (same CA, same credentials).</summary>
    public string Kubeconfig(string kubeconfig, string path)
    {
        var text = File.ReadAllText(kubeconfig).Replace($"server: {_target.GetLeftPart(UriPartial.Authority)}", $"server: https://127.0.0.1:{Port}", StringComparison.Ordinal);
        if (!text.Contains($"127.0.0.1:{Port}", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{kubeconfig} does not name the server {_target.GetLeftPart(UriPartial.Authority)}");
        }

        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            if (Interlocked.Decrement(ref _toDrop) >= 0)
            {
                client.Client.LingerState = new LingerOption(true, 0);
                client.Close();
                continue;
            }

            _ = Relay(client);
        }
    }

    private async Task Relay(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await server.ConnectAsync(_target.Host, _target.Port, _stop.Token);
                using var a = client.GetStream();
                using var b = server.GetStream();
                await Task.WhenAny(a.CopyToAsync(b, _stop.Token), b.CopyToAsync(a, _stop.Token));
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // One side went away: the relay of this connection ends.
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
