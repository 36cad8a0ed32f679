using System.Text.Json.Nodes;

namespace OssmMultiCluster.Kube;

/// <summary>
/// Whether an object on a cluster is the module's to delete: one of its field managers applied it (or it carries the
/// module's managed-by label), and no one else set anything in it beyond metadata and status. Controllers writing
/// status, revision annotations or finalizers do not make an object theirs; kubectl creating it, or editing its spec,
/// does.
/// </summary>
public static class Ownership
{
    /// <summary>Every field manager of the module starts with this (ossm-multicluster, -connect, -restart).</summary>
    public const string ManagerPrefix = ResourceApplier.FieldManager;

    public const string ManagedByLabel = "app.kubernetes.io/managed-by";

    /// <summary>
    /// Null when the object is the module's; otherwise why it is not, naming the other field managers (never values).
    /// </summary>
    /// <param name="obj">The object as the API server returns it (JSON), managedFields included.</param>
    public static string? WhyNotOurs(JsonNode obj)
    {
        var metadata = obj["metadata"] as JsonObject;
        var labelled = metadata?["labels"]?[ManagedByLabel]?.GetValue<string>() == ManagerPrefix;
        var entries = (metadata?["managedFields"] as JsonArray)?.OfType<JsonObject>().ToList() ?? new List<JsonObject>();
        var ours = entries.Any(e => IsOurs(e["manager"]?.GetValue<string>()));
        var others = entries
            .Where(e => !IsOurs(e["manager"]?.GetValue<string>()) && SetsContent(e))
            .Select(e => e["manager"]?.GetValue<string>() ?? "(unnamed)")
            .Distinct(StringComparer.Ordinal)
            .OrderBy(m => m, StringComparer.Ordinal)
            .ToList();

        if (!ours && !labelled)
        {
            return others.Count > 0
                ? $"not created by the module: managed by {string.Join(", ", others)}"
                : "not created by the module: no field manager of the module and no module label";
        }

        return others.Count > 0 ? $"also managed by {string.Join(", ", others)}" : null;
    }

    public static bool IsOurs(string? manager) =>
        manager is not null && (manager == ManagerPrefix || manager.StartsWith(ManagerPrefix + "-", StringComparison.Ordinal));

    /// <summary>Whether a managedFields entry owns anything besides metadata and status (spec, data, rules, ...).</summary>
    private static bool SetsContent(JsonObject entry)
    {
        if (entry["subresource"]?.GetValue<string>() is { Length: > 0 })
        {
            return false;
        }

        return entry["fieldsV1"] is JsonObject fields && fields.Any(f => f.Key != "f:metadata" && f.Key != "f:status" && f.Key != ".");
    }
}
