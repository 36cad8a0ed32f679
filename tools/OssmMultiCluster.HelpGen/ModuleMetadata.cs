using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Reflection;

namespace OssmMultiCluster.HelpGen;

/// <summary>A parameter as the cmdlet declares it, whatever the parameter set.</summary>
public sealed record CmdletParameter(string Name, Type Type, IReadOnlyList<string> Aliases, bool SupportsWildcards, string DefaultValue)
{
    public bool IsSwitch => Type == typeof(SwitchParameter);
}

/// <summary>A parameter's part in one parameter set.</summary>
public sealed record SetParameter(CmdletParameter Parameter, bool Mandatory, int? Position, bool ByValue, bool ByPropertyName);

/// <summary>A parameter set, its parameters in the order Get-Command -Syntax shows them.</summary>
public sealed record CmdletParameterSet(string Name, bool IsDefault, IReadOnlyList<SetParameter> Parameters, string Syntax);

/// <summary>What Get-Help's types, positions and pipeline input come from: the cmdlet as the engine sees it.</summary>
public sealed record CmdletMetadata(string Name, string Verb, string Noun, IReadOnlyList<CmdletParameterSet> ParameterSets,
    IReadOnlyList<CmdletParameter> Parameters, IReadOnlyList<string> OutputTypes)
{
    /// <summary>Full names of the types the pipeline binds by value; empty when nothing can be piped in.</summary>
    public IReadOnlyList<string> InputTypes => ParameterSets.SelectMany(s => s.Parameters).Where(p => p.ByValue)
        .Select(p => TypeNames.Full(TypeNames.Element(p.Parameter.Type))).Distinct().ToList();

    public IEnumerable<SetParameter> Uses(CmdletParameter parameter) =>
        ParameterSets.SelectMany(s => s.Parameters).Where(p => p.Parameter == parameter);
}

/// <summary>
/// Reads the cmdlets' metadata by importing the built module into a PowerShell engine, so help describes exactly
/// what Get-Command and parameter binding will see (parameter sets, positions, aliases, pipeline input).
/// </summary>
public static class ModuleMetadata
{
    public static IReadOnlyList<CmdletMetadata> Load(string moduleManifest)
    {
        if (!File.Exists(moduleManifest))
        {
            throw new FileNotFoundException($"Module manifest '{moduleManifest}' does not exist; build the module first (dotnet build).", moduleManifest);
        }

        var state = InitialSessionState.CreateDefault2();
        state.ImportPSModule(moduleManifest);
        using var runspace = RunspaceFactory.CreateRunspace(state);
        runspace.Open();
        using var ps = PowerShell.Create(runspace);
        var cmdlets = ps.AddCommand("Get-Command")
            .AddParameter("Module", Path.GetFileNameWithoutExtension(moduleManifest))
            .AddParameter("CommandType", CommandTypes.Cmdlet)
            .Invoke<CmdletInfo>();
        if (cmdlets.Count == 0)
        {
            throw new InvalidOperationException($"Importing '{moduleManifest}' gave no cmdlets. " + string.Join(" ", ps.Streams.Error));
        }

        return cmdlets.OrderBy(c => c.Name, StringComparer.Ordinal).Select(Describe).ToList();
    }

    private static CmdletMetadata Describe(CmdletInfo cmdlet)
    {
        var defaults = Defaults(cmdlet.ImplementingType);
        var parameters = new Dictionary<string, CmdletParameter>(StringComparer.Ordinal);
        CmdletParameter Parameter(CommandParameterInfo info)
        {
            if (!parameters.TryGetValue(info.Name, out var parameter))
            {
                parameter = new CmdletParameter(info.Name, info.ParameterType, info.Aliases.ToList(),
                    info.Attributes.OfType<SupportsWildcardsAttribute>().Any(), DefaultText(info, defaults));
                parameters[info.Name] = parameter;
            }

            return parameter;
        }

        var sets = cmdlet.ParameterSets.OrderBy(s => !s.IsDefault).Select(set => new CmdletParameterSet(
            set.Name,
            set.IsDefault,
            set.Parameters.Where(p => !Cmdlet.CommonParameters.Contains(p.Name))
                .Select(p => new SetParameter(Parameter(p), p.IsMandatory, p.Position == int.MinValue ? null : p.Position,
                    p.ValueFromPipeline, p.ValueFromPipelineByPropertyName))
                // The order of Get-Command -Syntax: positional by position, then mandatory named, then optional named.
                .OrderBy(p => p.Position is null).ThenBy(p => p.Position ?? 0).ThenBy(p => !p.Mandatory)
                .ToList(),
            $"{cmdlet.Name} {set}")).ToList();
        return new CmdletMetadata(cmdlet.Name, cmdlet.Verb, cmdlet.Noun, sets, parameters.Values.ToList(),
            cmdlet.OutputType.Select(t => t.Name).ToList());
    }

    /// <summary>The values a fresh cmdlet object holds before binding, which are the parameters' defaults.</summary>
    private static Dictionary<string, object?> Defaults(Type implementingType)
    {
        var instance = Activator.CreateInstance(implementingType)!;
        try
        {
            return implementingType.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.GetCustomAttributes<ParameterAttribute>().Any())
                .ToDictionary(p => p.Name, p => p.GetValue(instance), StringComparer.Ordinal);
        }
        finally
        {
            (instance as IDisposable)?.Dispose();
        }
    }

    /// <summary>Get-Help's "Default value": None where the default is empty or zero, since those mean "not given".</summary>
    private static string DefaultText(CommandParameterInfo parameter, Dictionary<string, object?> defaults)
    {
        var value = defaults.GetValueOrDefault(parameter.Name);
        return value switch
        {
            _ when parameter.ParameterType == typeof(SwitchParameter) => value is SwitchParameter { IsPresent: true } ? "True" : "False",
            null => "None",
            string text => text.Length == 0 ? "None" : text,
            Enum choice => choice.ToString(),
            IDictionary map => map.Count == 0 ? "None"
                : "@{ " + string.Join("; ", map.Cast<DictionaryEntry>().Select(e => $"'{e.Key}' = '{e.Value}'")) + " }",
            IEnumerable list => list.Cast<object>().Any() ? string.Join(", ", list.Cast<object>()) : "None",
            IConvertible number when value.GetType().IsPrimitive && number.ToDouble(CultureInfo.InvariantCulture) == 0 => "None",
            IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "None",
        };
    }
}

/// <summary>Type names as help shows them.</summary>
public static class TypeNames
{
    /// <summary>What a parameter of this type takes one of from the pipeline.</summary>
    public static Type Element(Type type) => Unwrap(type) is { IsArray: true } array ? array.GetElementType()! : Unwrap(type);

    /// <summary>The namespace-qualified name, e.g. System.String[].</summary>
    public static string Full(Type type) => Unwrap(type).FullName ?? Unwrap(type).Name;

    /// <summary>The short name Get-Help puts in syntax, e.g. String[] or MeshKeyAlgorithm (for MeshKeyAlgorithm?).</summary>
    public static string Short(Type type)
    {
        type = Unwrap(type);
        return type.IsArray ? Short(type.GetElementType()!) + "[]" : type.Name;
    }

    /// <summary>Nullable&lt;T&gt; binds and shows as T.</summary>
    public static Type Unwrap(Type type) => Nullable.GetUnderlyingType(type) ?? type;
}
