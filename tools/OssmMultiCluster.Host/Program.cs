using System.Diagnostics.CodeAnalysis;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Management.Automation.Runspaces;
using System.Reflection;
using Microsoft.PowerShell;

namespace OssmMultiCluster.Host;

internal static class Program
{
    private const int ExitSuccess = 0;
    private const int ExitFailure = 1;
    private const int ExitUsage = 2;
    private const int ExitInterrupted = 130;

    private const string ModulePathVariable = "OSSM_MODULE_PATH";
    private static readonly string ModuleRelativePath = Path.Combine("out", "OssmMultiCluster", "OssmMultiCluster.psd1");

    private const string Usage = """
        Usage:
          ossm-run [--module <path.psd1> | --no-module] <script.ps1> [script arguments...]
          ossm-run [--module <path.psd1> | --no-module] -c|--command "<PowerShell text>"
          ossm-run -h|--help

        Runs a PowerShell script with the OssmMultiCluster module imported, like `pwsh -File`,
        on a machine that has only the .NET SDK.

        Options:
          --module <path>   Module manifest to import. Default: $OSSM_MODULE_PATH if set, else
                            out/OssmMultiCluster/OssmMultiCluster.psd1 found by walking up from
                            the ossm-run directory, then from the current directory.
          --no-module       Import no module.
          -c, --command     Run the given PowerShell text instead of a script file.
          -h, --help        Show this help.

        Script arguments bind as with `pwsh -File`: -Name value, -Name:value and -Switch are
        named parameters (-Switch:$false turns a switch off); anything else is positional.
        Options are only recognised before the script path.

        Output goes to stdout, errors/warnings/verbose/debug/progress to stderr. The host is
        non-interactive: Read-Host and confirmation prompts fail (use -Confirm:$false).

        Exit codes: 0 success; 1 an error record was written or the script threw; N the script
        ran `exit N`; 2 usage error, module not found or not importable; 130 interrupted.

        """;

    public static int Main(string[] args)
    {
        if (!Options.TryParse(args, out Options? options, out string? error))
        {
            return UsageError(error + Environment.NewLine + "Run 'ossm-run --help' for usage.");
        }

        if (options.Help)
        {
            Console.Out.Write(Usage);
            return ExitSuccess;
        }

        string? modulePath = null;
        if (!options.NoModule && !TryResolveModule(options.ModulePath, out modulePath, out error))
        {
            return UsageError(error);
        }

        if (options.CommandText is not null)
        {
            return Run(new Command(options.CommandText, isScript: true, useLocalScope: false), isScriptFile: false, modulePath);
        }

        string scriptPath = Path.GetFullPath(options.ScriptPath!);
        if (!File.Exists(scriptPath))
        {
            return UsageError($"script '{scriptPath}' not found.");
        }

        // Anything else would be started as a native program, which is never what was meant.
        if (!scriptPath.EndsWith(".ps1", StringComparison.OrdinalIgnoreCase))
        {
            return UsageError($"'{scriptPath}' is not a PowerShell script (.ps1).");
        }

        return Run(ScriptCommand(scriptPath, options.ScriptArgs), isScriptFile: true, modulePath);
    }

    private static int Run(Command first, bool isScriptFile, string? modulePath)
    {
        var host = new ScriptHost();
        InitialSessionState iss = InitialSessionState.CreateDefault2();

        // Scripts run by path, which Windows' default policy refuses; Unix has no policy to set.
        if (OperatingSystem.IsWindows())
        {
            iss.ExecutionPolicy = ExecutionPolicy.Bypass;
        }

        using Runspace runspace = RunspaceFactory.CreateRunspace(host, iss);
        runspace.Open();
        if (modulePath is not null && !TryImportModule(runspace, host.UI, modulePath))
        {
            return ExitUsage;
        }

        using PowerShell ps = PowerShell.Create(runspace);

        // As in the pwsh console: errors travel with the output into Out-Default, so they are
        // rendered by the error views, in order with the output around them.
        first.MergeMyResults(PipelineResultTypes.Error, PipelineResultTypes.Output);
        ps.Commands.AddCommand(first);
        ps.AddCommand(new CmdletInfo("Out-OssmRunDefault", typeof(OutDefaultCommand)));

        int stopRequested = 0;
        void OnCancel(object? sender, ConsoleCancelEventArgs e)
        {
            // A second Ctrl+C is not cancelled, so it kills a script whose cleanup hangs.
            if (Interlocked.Exchange(ref stopRequested, 1) == 0)
            {
                e.Cancel = true;
                ps.BeginStop(null, null);
            }
        }

        if (isScriptFile)
        {
            PropagateScriptExit(runspace);
        }

        Console.CancelKeyPress += OnCancel;
        try
        {
            ps.Invoke();
        }
        catch (Exception e) when (e is IContainsErrorRecord)
        {
            // After Ctrl+C this is just the PipelineStoppedException; the exit code says it all.
            if (Volatile.Read(ref stopRequested) == 0)
            {
                WriteTerminatingError(host.UI, e);
            }
        }
        finally
        {
            Console.CancelKeyPress -= OnCancel;
        }

        // Only errors written outside the script (e.g. by Out-Default itself) land here.
        foreach (ErrorRecord record in ps.Streams.Error)
        {
            WriteErrorRecord(host.UI, record);
        }

        if (Volatile.Read(ref stopRequested) == 1)
        {
            return ExitInterrupted;
        }

        if (host.ShouldExitCode is int exitCode)
        {
            return exitCode;
        }

        return host.ErrorWritten ? ExitFailure : ExitSuccess;
    }

    // Imported by a pipeline of its own rather than through InitialSessionState, whose failures
    // (e.g. the module's script throwing) escape Runspace.Open as unhandled exceptions.
    private static bool TryImportModule(Runspace runspace, PSHostUserInterface ui, string modulePath)
    {
        using PowerShell ps = PowerShell.Create(runspace);
        ps.AddCommand("Import-Module").AddParameter("Name", modulePath).AddParameter("ErrorAction", ActionPreference.Stop);
        try
        {
            ps.Invoke();
            return true;
        }
        catch (RuntimeException e)
        {
            ui.WriteErrorLine($"ossm-run: could not import module '{modulePath}':");
            WriteTerminatingError(ui, e);
            return false;
        }
    }

    private static Command ScriptCommand(string scriptPath, IReadOnlyList<string> args)
    {
        var command = new Command(scriptPath, isScript: false, useLocalScope: true);
        string? pendingName = null;
        foreach (string arg in args)
        {
            // Binding follows `pwsh -File`, so a script behaves the same under either host.
            if (pendingName is not null)
            {
                command.Parameters.Add(pendingName, arg);
                pendingName = null;
            }
            else if (arg.Length > 1 && arg[0] == '-')
            {
                int colon = arg.IndexOf(':');
                if (colon < 0)
                {
                    command.Parameters.Add(new CommandParameter(arg));
                }
                else if (colon == arg.Length - 1)
                {
                    pendingName = arg[..colon];
                }
                else
                {
                    command.Parameters.Add(arg[..colon], BoolOrString(arg[(colon + 1)..]));
                }
            }
            else
            {
                command.Parameters.Add(null, arg);
            }
        }

        // A trailing "-Name:" is left for the binder to report as a missing argument.
        if (pendingName is not null)
        {
            command.Parameters.Add(new CommandParameter(pendingName));
        }

        return command;
    }

    private static object BoolOrString(string value) =>
        bool.TryParse(value.StartsWith('$') ? value[1..] : value, out bool flag) ? flag : value;

    /// <summary>
    /// Makes <c>exit N</c> in the script end the run with code N, as <c>pwsh -File</c> does.
    /// </summary>
    /// <remarks>
    /// A script invoked by path swallows its own <c>exit</c> and only sets $LASTEXITCODE, which
    /// a native command also sets, so the two cannot be told apart afterwards. pwsh raises this
    /// engine flag (no public API exposes it) so the exit reaches <see cref="ScriptHost.SetShouldExit"/>;
    /// the engine clears it again once the top-level script starts, so nested scripts keep their
    /// usual <c>exit</c> behaviour.
    /// </remarks>
    private static void PropagateScriptExit(Runspace runspace)
    {
        const BindingFlags Internal = BindingFlags.Instance | BindingFlags.NonPublic;
        object? context = typeof(Runspace).GetProperty("ExecutionContext", Internal)?.GetValue(runspace);
        PropertyInfo? flag = context?.GetType().GetProperty("ScriptCommandProcessorShouldRethrowExit", Internal);
        if (flag is null)
        {
            throw new InvalidOperationException(
                "This PowerShell SDK no longer has ExecutionContext.ScriptCommandProcessorShouldRethrowExit; ossm-run cannot honour 'exit N'.");
        }

        flag.SetValue(context, true);
    }

    private static bool TryResolveModule(string? explicitPath, [NotNullWhen(true)] out string? path, [NotNullWhen(false)] out string? error)
    {
        string? requested = explicitPath ?? Environment.GetEnvironmentVariable(ModulePathVariable);
        if (!string.IsNullOrEmpty(requested))
        {
            path = Path.GetFullPath(requested);
            error = File.Exists(path) ? null : $"module manifest '{path}' (from {(explicitPath is null ? ModulePathVariable : "--module")}) not found.";
            return error is null;
        }

        path = FindUpwards(AppContext.BaseDirectory) ?? FindUpwards(Environment.CurrentDirectory);
        error = path is not null ? null :
            $"OssmMultiCluster module not found: no {ModuleRelativePath} above '{AppContext.BaseDirectory}' or '{Environment.CurrentDirectory}'. "
            + $"Build the module first, or pass --module <path.psd1>, set {ModulePathVariable}, or use --no-module.";
        return path is not null;
    }

    private static string? FindUpwards(string start)
    {
        for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, ModuleRelativePath);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static void WriteErrorRecord(PSHostUserInterface ui, ErrorRecord record)
    {
        string? command = record.InvocationInfo?.MyCommand?.Name;
        ui.WriteErrorLine(string.IsNullOrEmpty(command) ? record.ToString() : $"{command}: {record}");
        ui.WriteErrorLine($"ErrorId: {record.FullyQualifiedErrorId}");
    }

    private static void WriteTerminatingError(PSHostUserInterface ui, Exception exception)
    {
        ErrorRecord? record = (exception as IContainsErrorRecord)?.ErrorRecord;
        ui.WriteErrorLine(record?.ToString() ?? exception.Message);
        if (record is null)
        {
            return;
        }

        ui.WriteErrorLine($"ErrorId: {record.FullyQualifiedErrorId}");

        // A parse error's message already lists every position.
        string? position = exception is ParseException ? null : record.InvocationInfo?.PositionMessage;
        if (!string.IsNullOrEmpty(position))
        {
            ui.WriteErrorLine(position);
        }
    }

    private static int UsageError(string message)
    {
        Console.Error.WriteLine($"ossm-run: {message}");
        return ExitUsage;
    }

    private sealed record Options(bool Help, bool NoModule, string? ModulePath, string? CommandText, string? ScriptPath, IReadOnlyList<string> ScriptArgs)
    {
        public static bool TryParse(string[] args, [NotNullWhen(true)] out Options? options, [NotNullWhen(false)] out string? error)
        {
            options = null;
            bool help = false;
            bool noModule = false;
            string? modulePath = null;
            string? commandText = null;
            int i = 0;
            while (i < args.Length && args[i].Length > 1 && args[i][0] == '-')
            {
                string option = args[i++];
                if (option == "--")
                {
                    break;
                }

                switch (option)
                {
                    case "-h" or "-?" or "--help":
                        help = true;
                        break;
                    case "--no-module":
                        noModule = true;
                        break;
                    case "--module" or "-c" or "--command":
                        if (i == args.Length)
                        {
                            error = $"{option} needs a value.";
                            return false;
                        }

                        if (option == "--module")
                        {
                            modulePath = args[i++];
                        }
                        else
                        {
                            commandText = args[i++];
                        }

                        break;
                    default:
                        error = $"unknown option '{option}'.";
                        return false;
                }
            }

            string[] rest = args[i..];
            error = help ? null
                : noModule && modulePath is not null ? "--module and --no-module cannot be combined."
                : commandText is not null && rest.Length > 0 ? "nothing may follow --command's text; put values inside the command."
                : commandText is null && rest.Length == 0 ? "no script given."
                : null;
            if (error is not null)
            {
                return false;
            }

            options = commandText is not null || help
                ? new Options(help, noModule, modulePath, commandText, null, [])
                : new Options(help, noModule, modulePath, null, rest[0], rest[1..]);
            return true;
        }
    }
}
