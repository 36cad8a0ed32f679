using System.Text.Json.Nodes;

namespace OssmMultiCluster.Kube;

/// <summary>
/// Whether an object on a cluster is the module's to delete: one of its field managers applied it (or it carries the
/// module's managed-by label), and no one else set anything in it beyond metadata and status. Controllers writing
/// status, revision annotations or finalizers do not make an object theirs; kubectl creating it, or editing its spec,
/// does.
/// </summary>
internal static class Ownership
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
        var others = ManagedFields(obj)
            .Where(e => !IsOurs(e["manager"]?.GetValue<string>()) && SetsContent(e))
            .Select(e => e["manager"]?.GetValue<string>() ?? "(unnamed)")
            .Distinct(StringComparer.Ordinal)
            .OrderBy(m => m, StringComparer.Ordinal)
            .ToList();

        if (!MadeByModule(obj))
        {
            return others.Count > 0
                ? $"not created by the module: managed by {string.Join(", ", others)}"
                : "not created by the module: no field manager of the module and no module label";
        }

        return others.Count > 0 ? $"also managed by {string.Join(", ", others)}" : null;
    }

    /// <summary>Whether one of the module's field managers applied the object, or it carries the module's label.</summary>
    public static bool MadeByModule(JsonNode obj) =>
        obj["metadata"]?["labels"]?[ManagedByLabel]?.GetValue<string>() == ManagerPrefix
        || ManagedFields(obj).Any(e => IsOurs(e["manager"]?.GetValue<string>()));

    private static List<JsonObject> ManagedFields(JsonNode obj) =>
        (obj["metadata"]?["managedFields"] as JsonArray)?.OfType<JsonObject>().ToList() ?? new List<JsonObject>();

    public static bool IsOurs(string? manager) =>
        manager is not null && (manager == ManagerPrefix || manager.StartsWith(ManagerPrefix + "-", StringComparison.Ordinal));

    /// <summary>What the token controller writes into a service-account token Secret it fills in.</summary>
    private static readonly HashSet<string> TokenControllerData = new(StringComparer.Ordinal) { ".", "f:token", "f:ca.crt", "f:namespace" };

    /// <summary>
    /// Whether a managedFields entry owns anything besides metadata and status (spec, data, rules, ...). The token
    /// controller's writes do not count: filling in a token Secret the module asked for (data token, ca.crt,
    /// namespace), and listing a service account's token Secrets in its secrets field (Kubernetes before 1.24).
    /// </summary>
    private static bool SetsContent(JsonObject entry)
    {
        if (entry["subresource"]?.GetValue<string>() is { Length: > 0 })
        {
            return false;
        }

        if (entry["fieldsV1"] is JsonObject tokenFields
            && (tokenFields["f:data"] is not JsonObject data || data.All(d => TokenControllerData.Contains(d.Key)))
            && tokenFields.All(f => f.Key is "f:data" or "f:secrets" or "f:metadata" or "."))
        {
            return false;
        }

        return entry["fieldsV1"] is JsonObject fields && fields.Any(f => f.Key != "f:metadata" && f.Key != "f:status" && f.Key != ".");
    }
}
