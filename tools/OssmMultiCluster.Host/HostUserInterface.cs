using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;

namespace OssmMultiCluster.Host;

/// <summary>
/// Routes the host streams the way a CI log wants them: output and Write-Host on stdout, every
/// diagnostic (errors, warnings, verbose, debug, progress) on stderr. Anything that would wait
/// for a user fails immediately instead of hanging a pipeline job.
/// </summary>
internal sealed class HostUserInterface : PSHostUserInterface
{
    private readonly HostRawUserInterface _rawUI = new();
    private readonly bool _stdoutIsTerminal = !Console.IsOutputRedirected;
    private readonly bool _stderrIsTerminal = !Console.IsErrorRedirected;

    // Last activity and status seen per progress record, so a log only gets a line when they change.
    private readonly Dictionary<(long SourceId, int ActivityId), string> _progress = new();

    public bool ErrorWritten { get; private set; }

    public override PSHostRawUserInterface RawUI => _rawUI;

    // PowerShell styles its output regardless; escapes are stripped per stream below (as the
    // pwsh console does) unless that stream is a terminal or $PSStyle.OutputRendering is Ansi.
    public override bool SupportsVirtualTerminal => _stdoutIsTerminal;

    public static HostException NonInteractive(string action) => new(
        $"ossm-run is non-interactive and cannot {action}. Scripts must not prompt: pass every value as a parameter and use -Confirm:$false.");

    public override void Write(string value) => Console.Out.Write(GetOutputString(value, _stdoutIsTerminal));

    public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value)
    {
        string colour = Colour(foregroundColor, PSStyle.MapForegroundColorToEscapeSequence)
            + Colour(backgroundColor, PSStyle.MapBackgroundColorToEscapeSequence);
        Write(colour.Length == 0 ? value : colour + value + PSStyle.Instance.Reset);
    }

    public override void WriteLine(string value) => Console.Out.WriteLine(GetOutputString(value, _stdoutIsTerminal));

    public override void WriteErrorLine(string value)
    {
        ErrorWritten = true;
        WriteStderrLine(value);
    }

    public override void WriteWarningLine(string message) =>
        WriteStderrLine(PSStyle.Instance.Formatting.Warning + "WARNING: " + message + PSStyle.Instance.Reset);

    public override void WriteVerboseLine(string message) =>
        WriteStderrLine(PSStyle.Instance.Formatting.Verbose + "VERBOSE: " + message + PSStyle.Instance.Reset);

    public override void WriteDebugLine(string message) =>
        WriteStderrLine(PSStyle.Instance.Formatting.Debug + "DEBUG: " + message + PSStyle.Instance.Reset);

    public override void WriteProgress(long sourceId, ProgressRecord record)
    {
        var key = (sourceId, record.ActivityId);
        string line;
        lock (_progress)
        {
            if (record.RecordType == ProgressRecordType.Completed)
            {
                // A completion for a record never shown (e.g. a bare -Completed) is noise.
                if (!_progress.Remove(key))
                {
                    return;
                }

                line = $"{record.Activity}: completed";
            }
            else
            {
                string state = $"{record.Activity}: {record.StatusDescription}";
                bool changed = !_progress.TryGetValue(key, out string? previous) || previous != state;
                _progress[key] = state;
                if (!changed && !_stderrIsTerminal)
                {
                    return;
                }

                line = state
                    + (record.PercentComplete >= 0 ? $" ({record.PercentComplete}%)" : string.Empty)
                    + (string.IsNullOrEmpty(record.CurrentOperation) ? string.Empty : $" - {record.CurrentOperation}");
            }
        }

        WriteStderrLine(line);
    }

    public override string ReadLine() => throw NonInteractive("read input (Read-Host)");

    public override SecureString ReadLineAsSecureString() => throw NonInteractive("read a secure string (Read-Host -AsSecureString)");

    public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions) =>
        throw NonInteractive($"prompt for {string.Join(", ", descriptions.Select(d => d.Name))}");

    public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice) =>
        throw NonInteractive($"answer the prompt \"{OneLine(caption, message)}\"");

    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) =>
        throw NonInteractive("prompt for a credential");

    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName,
        PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) =>
        throw NonInteractive("prompt for a credential");

    private static string OneLine(params string?[] parts) =>
        string.Join(' ', parts.SelectMany(p => (p ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));

    private void WriteStderrLine(string value) => Console.Error.WriteLine(GetOutputString(value, _stderrIsTerminal));

    // The terminal-default sentinel (-1) has no escape sequence.
    private static string Colour(ConsoleColor colour, Func<ConsoleColor, string> map) =>
        Enum.IsDefined(colour) ? map(colour) : string.Empty;
}
