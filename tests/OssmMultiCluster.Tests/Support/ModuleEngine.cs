using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace OssmMultiCluster.Tests.Support;

/// <summary>
/// Hosts the real PowerShell engine (System.Management.Automation 7.6) with the built module folder imported,
/// the way a user's session has it, and runs scripts in it, capturing every stream.
/// </summary>
/// <remarks>
/// This process also holds a copy of OssmMultiCluster.dll in the default load context (the unit tests reference it),
/// which a user's session never has. PowerShell caches type-name lookups process-wide, so a script here may resolve
/// [OssmMultiCluster.Model.X] to that copy: engine tests test object types by PSObject.TypeNames, not with -is.
/// </remarks>
public static class ModuleEngine
{
    public static string ModuleManifest => Path.Combine(RepoRoot, "out", "OssmMultiCluster", "OssmMultiCluster.psd1");

    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>Runs <paramref name="script"/> in a fresh runspace with the module imported.</summary>
    public static ScriptRun Run(string script, IDictionary<string, object?>? variables = null, bool importModule = true)
    {
        using var runspace = OpenRunspace(variables, importModule);
        using var ps = PowerShell.Create(runspace);
        ps.AddScript(script);
        var progress = CaptureProgress(ps);
        Collection<PSObject> output = new();
        RuntimeException? terminating = null;
        try
        {
            output = ps.Invoke();
        }
        catch (RuntimeException ex)
        {
            terminating = ex;
        }

return Collect(ps, output, terminating, progress);
    }

    /// <summary>A fresh runspace with the module imported (unless not wanted) and <paramref name="variables"/> set.</summary>
    public static Runspace OpenRunspace(IDictionary<string, object?>? variables = null, bool importModule = true)
    {
        var state = InitialSessionState.CreateDefault2();
        if (importModule)
        {
            state.ImportPSModule(ModuleManifest);
        }

        var runspace = RunspaceFactory.CreateRunspace(state);
        runspace.Open();
        foreach (var (name, value) in variables ?? new Dictionary<string, object?>())
        {
            runspace.SessionStateProxy.SetVariable(name, value);
        }

        return runspace;
    }

    /// <summary>
    /// Progress records as "activity|status operation|record type", each as it was when written (cmdlets update one
    /// ProgressRecord as they go). Call before invoking <paramref name="ps"/>.
    /// </summary>
    public static List<string> CaptureProgress(PowerShell ps)
    {
        var progress = new List<string>();
        ps.Streams.Progress.DataAdded += (_, e) =>
        {
            var record = ps.Streams.Progress[e.Index];
            lock (progress)
            {
                progress.Add($"{record.Activity}|{record.StatusDescription}{(record.CurrentOperation is null ? string.Empty : " " + record.CurrentOperation)}|{record.RecordType}");
            }
        };
        return progress;
    }

    /// <summary>What <paramref name="ps"/> produced, stream by stream, once it has finished.</summary>
    public static ScriptRun Collect(PowerShell ps, IEnumerable<PSObject> output, RuntimeException? terminating, IReadOnlyList<string>? progress = null) => new()
    {
        Output = output.ToList(),
        Errors = ps.Streams.Error.ToList(),
        Warnings = ps.Streams.Warning.Select(w => w.Message).ToList(),
        Verbose = ps.Streams.Verbose.Select(v => v.Message).ToList(),
        Debug = ps.Streams.Debug.Select(d => d.Message).ToList(),
        Information = ps.Streams.Information.Select(i => i.MessageData?.ToString() ?? string.Empty).ToList(),
        Progress = progress ?? ps.Streams.Progress.Select(p => $"{p.Activity}|{p.StatusDescription}|{p.RecordType}").ToList(),
        Terminating = terminating,
    };

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OssmMultiCluster.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("OssmMultiCluster.sln not found above " + AppContext.BaseDirectory);
    }
}
