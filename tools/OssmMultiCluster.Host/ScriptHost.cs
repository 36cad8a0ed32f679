using System.Globalization;
using System.Management.Automation.Host;

namespace OssmMultiCluster.Host;

/// <summary>
/// The PowerShell host behind ossm-run: a non-interactive console host that writes output to
/// stdout, diagnostics to stderr, and remembers the code passed to <c>exit</c>.
/// </summary>
internal sealed class ScriptHost : PSHost
{
    private readonly HostUserInterface _ui = new();

    // Captured once so every pipeline thread formats with the culture the process started with.
    private readonly CultureInfo _culture = CultureInfo.CurrentCulture;
    private readonly CultureInfo _uiCulture = CultureInfo.CurrentUICulture;

    public override string Name => "ossm-run";

    public override Version Version { get; } = typeof(ScriptHost).Assembly.GetName().Version ?? new Version(0, 0);

    public override Guid InstanceId { get; } = Guid.NewGuid();

    public override CultureInfo CurrentCulture => _culture;

    public override CultureInfo CurrentUICulture => _uiCulture;

    public override PSHostUserInterface UI => _ui;

    /// <summary>
    /// True once anything was written as an error. Out-Default renders error-stream records (but
    /// not error objects a script merely outputs) through <see cref="PSHostUserInterface.WriteErrorLine"/>,
    /// and so does ossm-run for terminating errors, which makes this the "did it fail" signal.
    /// </summary>
    public bool ErrorWritten => _ui.ErrorWritten;

    /// <summary>The code given to <c>exit</c>, or null when the script did not call it.</summary>
    public int? ShouldExitCode { get; private set; }

    public override void SetShouldExit(int exitCode) => ShouldExitCode = exitCode;

    public override void EnterNestedPrompt() => throw HostUserInterface.NonInteractive("enter a nested prompt");

    public override void ExitNestedPrompt() => throw HostUserInterface.NonInteractive("exit a nested prompt");

    // Native commands run with the inherited console; there is no console state to save or restore.
    public override void NotifyBeginApplication()
    {
    }

    public override void NotifyEndApplication()
    {
    }
}
