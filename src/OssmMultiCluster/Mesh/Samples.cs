using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using OssmMultiCluster.Kube;
using OssmMultiCluster.Model;
using YamlDotNet.RepresentationModel;

namespace OssmMultiCluster.Mesh;

/// <summary>
/// The walkthrough's sample applications (step 11 and 15): a namespace labelled for injection and the sample's
/// manifests, from upstream or from a local copy; and their removal, whole or one component (steps 18-19).
/// </summary>
internal static class Samples
{
    public const string InjectionLabel = "istio-injection";

    /// <summary>The upstream manifests the walkthrough applies (OSSM 2.6's maistra/istio samples).</summary>
    public static Uri DefaultUri(MeshSampleName sample) => new(sample switch
    {
        MeshSampleName.Bookinfo => "https://raw.githubusercontent.com/maistra/istio/maistra-2.6/samples/bookinfo/platform/kube/bookinfo.yaml",
        MeshSampleName.Sleep => "https://raw.githubusercontent.com/maistra/istio/maistra-2.6/samples/sleep/sleep.yaml",
        _ => "https://raw.githubusercontent.com/maistra/istio/maistra-2.6/samples/helloworld/helloworld.yaml",
    });

    /// <summary>
    /// A sample's manifest and where it came from: the local file <paramref name="path"/> when given, else downloaded
    /// from <paramref name="uri"/> or the sample's upstream URL.
    /// </summary>
    public static async Task<(string manifest, string source)> LoadAsync(MeshSampleName sample, string? path, Uri? uri, CancellationToken cancellation)
    {
        if (path is not null)
        {
            return File.Exists(path)
                ? (await File.ReadAllTextAsync(path, cancellation).ConfigureAwait(false), path)
                : throw new MeshException("SampleManifestNotFound", MeshErrorKind.ObjectNotFound,
                    $"Sample manifest '{path}' does not exist.", path, "Give -Path the sample's YAML file.");
        }

        var from = uri ?? DefaultUri(sample);
        return (await DownloadAsync(from, cancellation).ConfigureAwait(false), from.ToString());
    }

    private static async Task<string> DownloadAsync(Uri uri, CancellationToken cancellation)
    {
        // HttpClient verifies TLS against the system's trust store; nothing here turns that off.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        try
        {
            return await http.GetStringAsync(uri, cancellation).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new MeshException("SampleDownloadFailed", MeshErrorKind.ConnectionError, $"The sample manifest {uri} could not be downloaded: {ex.Message}", uri.ToString(),
                "Download it where you have access and pass the file with -Path (offline installs).", ex);
        }
    }

    /// <summary>
    /// The objects of a sample: its namespace (labelled istio-injection=enabled), then every document of the manifest,
    /// in <paramref name="ns"/>; for helloworld with a version, only that version's Deployment.
    /// </summary>
    public static IReadOnlyList<KubeObject> Objects(string manifest, string source, string ns, string? version)
    {
        try
        {
            return ObjectsOf(manifest, source, ns, version);
        }
        catch (Exception ex) when (ex is InvalidOperationException or InvalidCastException or ArgumentException or FormatException)
        {
            // A document whose fields have the wrong shape (apiVersion a list, metadata a string, ...).
            throw new MeshException("SampleManifestInvalid", MeshErrorKind.InvalidData,
                $"{source} is not a Kubernetes manifest the module can read: a field has the wrong shape ({ex.GetType().Name}).", source,
                "Pass a Kubernetes manifest (the sample's YAML) with -Path.", ex);
        }
    }

    private static IReadOnlyList<KubeObject> ObjectsOf(string manifest, string source, string ns, string? version)
    {
        var objects = new List<KubeObject>
        {
            KubeObject.Of(new V1Namespace
            {
                Metadata = new V1ObjectMeta { Name = ns, Labels = new Dictionary<string, string> { [InjectionLabel] = "enabled", [MeshObjects.ManagedByLabel] = MeshObjects.ManagedBy } },
            }),
        };
        foreach (var document in Documents(manifest, source))
        {
            var apiVersion = (string?)document["apiVersion"];
            var kindName = (string?)document["kind"];
            var name = (string?)document["metadata"]?["name"];
            if (apiVersion is null || kindName is null || name is null)
            {
                throw new MeshException("SampleManifestInvalid", MeshErrorKind.InvalidData,
                    $"A document in {source} lacks apiVersion, kind or metadata.name.", source, "Pass a Kubernetes manifest (the sample's YAML) with -Path.");
            }

            var version2 = (string?)document["metadata"]?["labels"]?["version"];
            if (version is not null && kindName == "Deployment" && version2 != version)
            {
                continue;
            }

            document["metadata"]!["namespace"] = ns;
            DefaultPortProtocols(document);
            var slash = apiVersion.IndexOf('/');
            var kind = KubeKind.Find(apiVersion, kindName) ?? new KubeKind(slash < 0 ? string.Empty : apiVersion[..slash], slash < 0 ? apiVersion : apiVersion[(slash + 1)..], kindName,
                kindName.ToLowerInvariant() + "s", Namespaced: true);
            objects.Add(new KubeObject(kind, ns, name, document));
        }

        return objects;
    }

    /// <summary>
    /// Spells out protocol TCP where a port list leaves it to the default: server-side apply on Kubernetes before 1.21
    /// refuses port lists whose key field (port + protocol) is missing. The meaning does not change.
    /// </summary>
    private static void DefaultPortProtocols(JsonObject document)
    {
        var portLists = new[] { document["spec"]?["ports"] }
            .Concat((document["spec"]?["template"]?["spec"]?["containers"] as JsonArray ?? new JsonArray()).Select(c => c?["ports"]));
        foreach (var port in portLists.OfType<JsonArray>().SelectMany(list => list).OfType<JsonObject>())
        {
            if (!port.ContainsKey("protocol"))
            {
                port["protocol"] = "TCP";
            }
        }
    }

    /// <summary>The components of a sample (its services, each with deployments labelled app=&lt;component&gt;).</summary>
    public static IReadOnlyList<string> Components(MeshSampleName sample) => sample switch
    {
        MeshSampleName.Bookinfo => new[] { "productpage", "details", "reviews", "ratings" },
        MeshSampleName.Sleep => new[] { "sleep" },
        _ => new[] { "helloworld" },
    };

    /// <summary>What removing a sample (or one of its components, e.g. productpage) deletes.</summary>
    public static async Task<InstallOutcome> RemoveAsync(MeshCluster cluster, string ns, string? component, CancellationToken cancellation)
    {
        var applier = new ResourceApplier(cluster);
        if (component is null)
        {
            return InstallOutcome.Of(new[] { await applier.DeleteAsync(KubeKind.Namespace, null, ns, cancellation).ConfigureAwait(false) });
        }

        var results = new List<MeshResourceResult> { await applier.DeleteAsync(KubeKind.Service, ns, component, cancellation).ConfigureAwait(false) };
        var deployments = await applier.ReadAsync((c, ct) => c.AppsV1.ListNamespacedDeploymentAsync(ns, labelSelector: $"app={component}", cancellationToken: ct),
            $"listing deployments of {component}", cancellation).ConfigureAwait(false);
        foreach (var deployment in deployments?.Items ?? new List<V1Deployment>())
        {
            results.Add(await applier.DeleteAsync(KubeKind.Deployment, ns, deployment.Metadata.Name, cancellation).ConfigureAwait(false));
        }

        return InstallOutcome.Of(results);
    }

    private static IEnumerable<JsonObject> Documents(string manifest, string source)
    {
        if (YamlGuard.Refusal(manifest, maxDepth: 64, allowAliases: false) is { } why)
        {
            throw new MeshException("SampleManifestInvalid", MeshErrorKind.InvalidData, $"{source} cannot be read: {why}.", source,
                "Pass the sample's YAML file with -Path (plain Kubernetes YAML, as upstream publishes it).");
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(manifest));
        }
        catch (YamlDotNet.Core.YamlException ex)
        {
            throw new MeshException("SampleManifestInvalid", MeshErrorKind.InvalidData, $"{source} is not valid YAML (line {ex.Start.Line}): {ex.Message}", source,
                "Pass the sample's YAML file with -Path.", ex);
        }

        return stream.Documents.Select(d => ToJson(d.RootNode)).OfType<JsonObject>().ToList();
    }

    /// <summary>YAML as JSON: plain scalars become numbers, booleans or null where YAML reads them so; quoted ones stay strings.</summary>
    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, ToJson(kv.Value)))),
        YamlSequenceNode list => new JsonArray(list.Children.Select(ToJson).ToArray()),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: var plain } => plain switch
        {
            null or "" or "~" or "null" => null,
            "true" or "false" => JsonValue.Create(plain == "true"),
            _ when long.TryParse(plain, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
            _ => JsonValue.Create(plain),
        },
        YamlScalarNode scalar => JsonValue.Create(scalar.Value),
        _ => null,
    };
}
