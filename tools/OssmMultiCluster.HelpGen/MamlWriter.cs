using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace OssmMultiCluster.HelpGen;

/// <summary>
/// Writes MAML, the XML Get-Help reads for binary cmdlets (&lt;assembly&gt;.dll-Help.xml), in the shape platyPS gives it:
/// text from the help pages, parameter facts from the cmdlets.
/// </summary>
public static class MamlWriter
{
    private static readonly XNamespace Msh = "http://msh";
    private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    public static string Write(IEnumerable<(CommandPage Page, CmdletMetadata Cmdlet)> commands)
    {
        var document = new XDocument(new XDeclaration("1.0", "utf-8", null),
            new XElement(Msh + "helpItems", new XAttribute("schema", "maml"), commands.Select(c => CommandElement(c.Page, c.Cmdlet))));
        var settings = new XmlWriterSettings { Indent = true, IndentChars = "  ", NewLineChars = "\n", Encoding = new UTF8Encoding(false) };
        using var stream = new MemoryStream();
        using (var writer = XmlWriter.Create(stream, settings))
        {
            document.Save(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static XElement CommandElement(CommandPage page, CmdletMetadata cmdlet) =>
        new(Command + "command",
            new XAttribute(XNamespace.Xmlns + "maml", Maml),
            new XAttribute(XNamespace.Xmlns + "command", Command),
            new XAttribute(XNamespace.Xmlns + "dev", Dev),
            new XElement(Command + "details",
                new XElement(Command + "name", cmdlet.Name),
                new XElement(Command + "verb", cmdlet.Verb),
                new XElement(Command + "noun", cmdlet.Noun),
                Description(new[] { page.Synopsis })),
            Description(page.Description),
            new XElement(Command + "syntax", cmdlet.ParameterSets.Select(set =>
                new XElement(Command + "syntaxItem",
                    new XElement(Maml + "name", cmdlet.Name),
                    set.Parameters.Select(p => ParameterElement(p.Parameter, Describe(page, p.Parameter), p.Mandatory, p.Position,
                        PipelineInput(new[] { p }), inSyntax: true))))),
            new XElement(Command + "parameters", page.Parameters.Select(documented =>
            {
                var parameter = cmdlet.Parameters.Single(p => p.Name == documented.Name);
                var uses = cmdlet.Uses(parameter).ToList();
                return ParameterElement(parameter, documented.Description, uses.All(u => u.Mandatory), uses[0].Position,
                    PipelineInput(uses), inSyntax: false);
            })),
            new XElement(Command + "inputTypes", page.Inputs.Select(t => TypeElement(Command + "inputType", t))),
            new XElement(Command + "returnValues", page.Outputs.Select(t => TypeElement(Command + "returnValue", t))),
            page.Notes.Count == 0 ? null : new XElement(Maml + "alertSet", new XElement(Maml + "alert", Paras(page.Notes))),
            new XElement(Command + "examples", page.Examples.Select(example =>
                new XElement(Command + "example",
                    // Get-Help prints the title as is; the rule of dashes is how PowerShell's own help sets examples apart.
                    new XElement(Maml + "title", $"---------- {example.Title} ----------"),
                    new XElement(Dev + "code", example.Code),
                    // The empty paragraph is the blank line Get-Help otherwise omits before the next example's title.
                    new XElement(Dev + "remarks", Paras(example.Remarks.Append(string.Empty)))))),
            new XElement(Command + "relatedLinks", page.RelatedLinks.Select(link =>
                new XElement(Maml + "navigationLink",
                    new XElement(Maml + "linkText", link.Text),
                    new XElement(Maml + "uri", link.Uri)))));

    private static IReadOnlyList<string> Describe(CommandPage page, CmdletParameter parameter) =>
        page.Parameters.Single(p => p.Name == parameter.Name).Description;

    private static XElement ParameterElement(CmdletParameter parameter, IReadOnlyList<string> description, bool required, int? position,
        string pipelineInput, bool inSyntax)
    {
        var type = TypeNames.Unwrap(parameter.Type);
        var isArray = type.IsArray;
        XElement? value = null;
        if (inSyntax && type.IsEnum)
        {
            // Get-Help shows a value group as {RSA | ECDSA} in the syntax.
            value = new XElement(Command + "parameterValueGroup", Enum.GetNames(type).Select(name =>
                new XElement(Command + "parameterValue", new XAttribute("required", "false"), new XAttribute("variableLength", "false"), name)));
        }
        else if (!parameter.IsSwitch || !inSyntax)
        {
            value = new XElement(Command + "parameterValue",
                new XAttribute("required", Bool(!parameter.IsSwitch)),
                new XAttribute("variableLength", Bool(isArray)),
                TypeNames.Short(type));
        }

        return new XElement(Command + "parameter",
            new XAttribute("required", Bool(required)),
            new XAttribute("variableLength", Bool(isArray)),
            new XAttribute("globbing", Bool(parameter.SupportsWildcards)),
            new XAttribute("pipelineInput", pipelineInput),
            new XAttribute("position", position?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "named"),
            new XAttribute("aliases", parameter.Aliases.Count == 0 ? "none" : string.Join(", ", parameter.Aliases)),
            new XElement(Maml + "name", parameter.Name),
            Description(description),
            value,
            new XElement(Dev + "type", new XElement(Maml + "name", TypeNames.Full(type)), new XElement(Maml + "uri")),
            new XElement(Dev + "defaultValue", parameter.DefaultValue));
    }

    private static string PipelineInput(IEnumerable<SetParameter> uses)
    {
        var list = uses.ToList();
        var ways = new[] { ("ByValue", list.Any(u => u.ByValue)), ("ByPropertyName", list.Any(u => u.ByPropertyName)) }
            .Where(w => w.Item2).Select(w => w.Item1).ToList();
        return ways.Count == 0 ? "False" : $"True ({string.Join(", ", ways)})";
    }

    private static XElement TypeElement(XName name, HelpType type) =>
        new(name,
            new XElement(Dev + "type", new XElement(Maml + "name", type.TypeName)),
            Description(type.Description));

    private static XElement Description(IEnumerable<string> paragraphs) => new(Maml + "description", Paras(paragraphs));

    private static IEnumerable<XElement> Paras(IEnumerable<string> paragraphs) => paragraphs.Select(p => new XElement(Maml + "para", p));

    private static string Bool(bool value) => value ? "true" : "false";
}
