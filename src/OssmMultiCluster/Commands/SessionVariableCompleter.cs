using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using OssmMultiCluster.Model;

namespace OssmMultiCluster.Commands;

/// <summary>
/// Completes a parameter that takes the module's objects with the session's variables that hold such objects
/// (<c>$clusters</c>, <c>$west</c>, <c>$root</c>): those objects cannot be typed in, only passed by variable.
/// A parameter that takes one object is offered each element of a collection (<c>$clusters[1]</c>).
/// </summary>
internal abstract class SessionVariableCompleter : IArgumentCompleter
{
    /// <summary>Whether the parameter takes a single object rather than an array.</summary>
    protected abstract bool Single { get; }

    /// <summary>Whether <paramref name="item"/> is an object the parameter takes.</summary>
    protected abstract bool Accepts(object item);

    /// <summary>How an accepted object is named in the tooltip.</summary>
    protected abstract string Describe(object item);

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        if (wordToComplete.Length > 0 && wordToComplete[0] != '$')
        {
            return Enumerable.Empty<CompletionResult>();
        }

        var results = new List<CompletionResult>();
        foreach (var variable in SessionVariables.All().OrderBy(v => v.Name, StringComparer.OrdinalIgnoreCase))
        {
            var items = Items(variable.Value);
            if (items is null)
            {
                continue;
            }

            var reference = SessionVariables.Reference(variable.Name);
            if (!Single || items.Count == 1 && !items.IsCollection)
            {
                results.Add(Result(reference, string.Join(", ", items.Objects.Select(Describe))));
                continue;
            }

            results.AddRange(items.Objects.Select((item, i) => Result($"{reference}[{i}]", Describe(item))));
        }

        return results.Where(r => r.CompletionText.StartsWith(wordToComplete, StringComparison.OrdinalIgnoreCase));
    }

    private static CompletionResult Result(string text, string tooltip) => new(text, text, CompletionResultType.Variable, tooltip);

    /// <summary>The objects a variable holds, when all of them are accepted; null otherwise.</summary>
    private Held? Items(object? value)
    {
        value = SessionVariables.Unwrap(value);
        if (value is null || value is string)
        {
            return null;
        }

        if (Accepts(value))
        {
            return new Held(new[] { value }, IsCollection: false);
        }

        if (value is not IEnumerable collection)
        {
            return null;
        }

        var objects = collection.Cast<object?>().Select(SessionVariables.Unwrap).ToList();
        return objects.Count > 0 && objects.All(o => o is not null && Accepts(o)) ? new Held(objects!, IsCollection: true) : null;
    }

    private sealed record Held(IReadOnlyList<object> Objects, bool IsCollection)
    {
        public int Count => Objects.Count;
    }
}

/// <summary>The session's variables holding MeshCluster objects, for parameters that take several.</summary>
internal sealed class MeshClusterCompleter : SessionVariableCompleter
{
    protected override bool Single => false;

    protected override bool Accepts(object item) => item is MeshCluster;

    protected override string Describe(object item) => ((MeshCluster)item).Name;
}

/// <summary>The session's MeshCluster objects one by one, for parameters that take one cluster.</summary>
internal sealed class SingleMeshClusterCompleter : SessionVariableCompleter
{
    protected override bool Single => true;

    protected override bool Accepts(object item) => item is MeshCluster;

    protected override string Describe(object item) => ((MeshCluster)item).Name;
}

/// <summary>The session's root CAs (with their key, so they can sign), for -RootCA.</summary>
internal sealed class RootCACompleter : SessionVariableCompleter
{
    protected override bool Single => true;

    protected override bool Accepts(object item) => item is MeshCertificateAuthority { Kind: MeshCAKind.Root, HasPrivateKey: true };

    protected override string Describe(object item) => item.ToString() ?? string.Empty;
}

/// <summary>The session's variables holding CAs, for parameters that take several.</summary>
internal sealed class CertificateAuthorityCompleter : SessionVariableCompleter
{
    protected override bool Single => false;

    protected override bool Accepts(object item) => item is MeshCertificateAuthority;

    protected override string Describe(object item) => item.ToString() ?? string.Empty;
}

/// <summary>Reads the variables of the session a completion runs in.</summary>
internal static class SessionVariables
{
    /// <summary>The variables visible where the completion was asked for (a nested pipeline in the same runspace).</summary>
    public static IReadOnlyList<PSVariable> All()
    {
        if (Runspace.DefaultRunspace is null)
        {
            return Array.Empty<PSVariable>();
        }

        using var ps = PowerShell.Create(RunspaceMode.CurrentRunspace);
        ps.AddCommand("Microsoft.PowerShell.Utility\\Get-Variable");
        try
        {
            return ps.Invoke().Select(o => o.BaseObject).OfType<PSVariable>().ToList();
        }
        catch (RuntimeException)
        {
            // A session without Get-Variable (a restricted one) gets no completions, not an error.
            return Array.Empty<PSVariable>();
        }
    }

    /// <summary>The MeshCluster objects <paramref name="value"/> holds: one, a collection of them, or none.</summary>
    public static IReadOnlyList<MeshCluster> Clusters(object? value) => Unwrap(value) switch
    {
        MeshCluster one => new[] { one },
        string => Array.Empty<MeshCluster>(),
        IEnumerable many => many.Cast<object?>().Select(Unwrap).OfType<MeshCluster>().ToList(),
        _ => Array.Empty<MeshCluster>(),
    };

    public static object? Unwrap(object? value) => value is PSObject pso ? pso.BaseObject : value;

    /// <summary>How a variable is written in a script: $name, or ${name} when the name needs braces.</summary>
    public static string Reference(string name) =>
        name.All(c => char.IsLetterOrDigit(c) || c == '_') ? "$" + name : "${" + name.Replace("}", "`}", StringComparison.Ordinal) + "}";
}
