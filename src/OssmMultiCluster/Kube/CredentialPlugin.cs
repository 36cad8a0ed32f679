using System.ComponentModel;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using k8s.Authentication;
using k8s.KubeConfigModels;

namespace OssmMultiCluster.Kube;

/// <summary>What a kubeconfig's exec credential plugin answered: a bearer token, or a client certificate and key (PEM).</summary>
internal sealed record ExecCredential(string? Token, string? ClientCertificatePem, string? ClientKeyPem, DateTimeOffset? Expires);

/// <summary>
/// Runs a kubeconfig's exec credential plugin (an SSO login, a cloud CLI) with a deadline. KubernetesClient would read
/// the plugin's output until it exits, so one that never exits (a prompt nobody answers, a hung CLI) would hold the
/// caller forever; here the plugin and everything it started is killed when the deadline passes. Errors name the
/// context and the command, never the plugin's output or arguments: those can carry credentials.
/// </summary>
internal static class CredentialPlugin
{
    /// <summary>How long a plugin may take unless the user says otherwise: an SSO round trip, well under a minute.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    private static readonly string[] ApiVersions = { "client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1" };

    /// <param name="baseDirectory">Where a relative command path (one with a slash) is resolved, as kubectl does: the kubeconfig's folder.</param>
    public static async Task<ExecCredential> RunAsync(ExternalExecution exec, string context, string? baseDirectory, TimeSpan timeout, CancellationToken cancellation)
    {
        var command = exec.Command ?? string.Empty;
        if (string.IsNullOrWhiteSpace(command) || !ApiVersions.Contains(exec.ApiVersion))
        {
            throw Invalid(context, command, string.IsNullOrWhiteSpace(command) ? "names no command" : $"asks for apiVersion '{exec.ApiVersion}', which is not one of {string.Join(", ", ApiVersions)}");
        }

        using var process = new Process { StartInfo = StartInfo(exec, command, baseDirectory) };
        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException or FileNotFoundException)
        {
            throw new MeshException("CredentialPluginNotFound", MeshErrorKind.ObjectNotFound,
                $"The credential plugin of context '{context}' ('{command}') could not be started: {ex.Message}", context,
                exec.InstallHint is { Length: > 0 } hint ? $"Install it: {hint.Split('\n')[0]}" : "Install the command, or put it on PATH, then run Get-MeshCluster again.");
        }

        // A plugin that reads its standard input (a prompt) reads its end at once: nobody can answer here.
        process.StandardInput.Close();

        // The plugin's standard error is for its user (prompts, progress): read so it can never fill up, and dropped.
        var output = process.StandardOutput.ReadToEndAsync(cancellation);
        var errors = process.StandardError.ReadToEndAsync(cancellation);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout);
        try
        {
            await Task.WhenAll(output, errors, process.WaitForExitAsync(deadline.Token)).WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            cancellation.ThrowIfCancellationRequested();
            throw new MeshException("CredentialPluginTimeout", MeshErrorKind.OperationTimeout,
                $"The credential plugin of context '{context}' ('{command}') did not finish within {timeout.TotalSeconds:0.#} s; it was stopped.", context,
                "Run the command yourself to see what it waits for (a login prompt, an expired session of a cloud CLI) and log in first, " +
                "or give it more time with Get-MeshCluster -CredentialTimeout.");
        }

        if (process.ExitCode != 0)
        {
            throw new MeshException("CredentialPluginFailed", MeshErrorKind.PermissionDenied,
                $"The credential plugin of context '{context}' ('{command}') failed with exit code {process.ExitCode}.", context,
                "Run the command yourself to see its message (its output is not shown here: it can hold credentials), log in again, then run Get-MeshCluster again.");
        }

        return Parse(await output.ConfigureAwait(false), exec.ApiVersion, context, command);
    }

    private static ProcessStartInfo StartInfo(ExternalExecution exec, string command, string? baseDirectory)
    {
        var file = command.Contains('/') && !Path.IsPathRooted(command) && baseDirectory is not null ? Path.GetFullPath(command, baseDirectory) : command;
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in exec.Arguments ?? new List<string>())
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var variable in exec.EnvironmentVariables ?? new List<Dictionary<string, string>>())
        {
            if (variable.TryGetValue("name", out var name) && variable.TryGetValue("value", out var value))
            {
                start.Environment[name] = value;
            }
        }

        // Nobody can answer a prompt here: the plugin is told so, as kubectl tells it when stdin is not a terminal.
        start.Environment["KUBERNETES_EXEC_INFO"] = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["apiVersion"] = exec.ApiVersion,
            ["kind"] = "ExecCredential",
            ["spec"] = new Dictionary<string, bool> { ["interactive"] = false },
        });
        return start;
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It ended on its own meanwhile.
        }
    }

    private static ExecCredential Parse(string output, string apiVersion, string context, string command)
    {
        try
        {
            using var document = JsonDocument.Parse(output);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("apiVersion", out var version) || version.GetString() != apiVersion)
            {
                throw Invalid(context, command, $"did not answer an ExecCredential of apiVersion '{apiVersion}'");
            }

            if (!root.TryGetProperty("status", out var status) || status.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(context, command, "answered an ExecCredential without a status");
            }

            var token = Text(status, "token");
            var certificate = Text(status, "clientCertificateData");
            var key = Text(status, "clientKeyData");
            if (token is null && (certificate is null || key is null))
            {
                throw Invalid(context, command, "answered neither a token nor a client certificate and key");
            }

            DateTimeOffset? expires = Text(status, "expirationTimestamp") is { } stamp && DateTimeOffset.TryParse(stamp, out var when) ? when : null;
            return new ExecCredential(token, certificate, key, expires);
        }
        catch (JsonException)
        {
            throw Invalid(context, command, "did not answer JSON");
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : null;

    private static MeshException Invalid(string context, string command, string what) =>
        new("CredentialPluginInvalid", MeshErrorKind.InvalidData,
            $"The credential plugin of context '{context}' ('{command}') {what}.", context,
            "Check the context's user entry ('kubectl config view --minify --context <context>'): the exec section's command and apiVersion.");
}

/// <summary>
/// A bearer token from an exec credential plugin, asked for again (with the same deadline) when the plugin said it expires.
/// </summary>
internal sealed class CredentialPluginTokenProvider : ITokenProvider
{
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private readonly ExternalExecution _exec;
    private readonly string _context;
    private readonly string? _baseDirectory;
    private readonly TimeSpan _timeout;
    private ExecCredential _credential;

    public CredentialPluginTokenProvider(ExecCredential credential, ExternalExecution exec, string context, string? baseDirectory, TimeSpan timeout)
    {
        _credential = credential;
        _exec = exec;
        _context = context;
        _baseDirectory = baseDirectory;
        _timeout = timeout;
    }

    public async Task<AuthenticationHeaderValue> GetAuthenticationHeaderAsync(CancellationToken cancellationToken)
    {
        if (Expired(_credential))
        {
            await _refreshing.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (Expired(_credential))
                {
                    _credential = await CredentialPlugin.RunAsync(_exec, _context, _baseDirectory, _timeout, cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                _refreshing.Release();
            }
        }

        return new AuthenticationHeaderValue("Bearer", _credential.Token);
    }

    private static bool Expired(ExecCredential credential) =>
        credential.Token is null || (credential.Expires is { } expires && expires - DateTimeOffset.UtcNow < TimeSpan.FromSeconds(10));
}
