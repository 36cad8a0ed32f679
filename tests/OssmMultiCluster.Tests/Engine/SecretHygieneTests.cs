using System.Collections;
using System.Management.Automation;
using System.Reflection;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Engine;

/// <summary>
/// The whole pipeline on two lab clusters, every cmdlet with -Verbose and -Debug, bad input included: no private key
/// and no token of the run appears in anything the module wrote to the pipeline, any stream, the format views, the
/// objects' properties or an export made with -ExcludeSecrets.
/// </summary>
[Collection("lab")]
public sealed partial class SecretHygieneTests
{
    private const string Ns = "mesh-secrets";
    private readonly LabFixture _lab;

    public SecretHygieneTests(LabFixture lab) => _lab = lab;

    private const string Pipeline = """
        $ErrorActionPreference = 'Continue'
        # -Debug also makes warnings ask whether to continue, which this host cannot answer: -WarningAction Continue.
        $PSDefaultParameterValues = @{
            '*-Mesh*:Verbose' = $true; '*-Mesh*:Debug' = $true; '*-Mesh*:WarningAction' = 'Continue'; '*-Mesh*:Confirm' = $false }
        $seen = [System.Collections.Generic.List[object]]::new()
        filter Keep { $seen.Add($_); $_ }
        Write-Debug 'debug stream captured' -Debug

        $root = New-MeshRootCA -KeySize 2048 -PregenerateKeys 1 | Keep
        $clusters = Get-MeshCluster -Kubeconfig $west, $east -Test | Keep
        $cas = $clusters | New-MeshIntermediateCA -RootCA $root -KeySize 2048 -ControlPlaneNamespace $ns | Keep
        $null = @($root) + @($cas) | Export-MeshCA -Path $cadir | Keep
        $null = Import-MeshCA -Path $cadir | Keep
        $null = $cas | Install-MeshCACertificate -Namespace $ns | Keep
        $null = $clusters | Install-MeshControlPlane -MeshId mesh-secrets -Namespace $ns | Keep
        $null = $clusters | Install-MeshEastWestGateway -Namespace $ns -Wait -Timeout 00:01:00 | Keep
        $null = Connect-MeshCluster -Cluster $clusters -Namespace $ns -CreateServiceAccount | Keep
        $vault.Snapshot()
        $null = New-MeshRemoteSecret -Cluster $clusters[0] -Namespace $ns -TokenType Bound -TokenLifetime 01:00:00 | Keep
        $null = $clusters | Wait-MeshGateway -Namespace $ns | Keep
        $null = $clusters | Get-MeshStatus -Namespace $ns | Keep

        # GitOps exports: without the secrets (scanned), and with them (asked for: the scanner must find them there).
        $null = $cas | Install-MeshCACertificate -Namespace $ns -OutputPath $gitops -ExcludeSecrets | Keep
        $null = $clusters | Install-MeshControlPlane -MeshId mesh-secrets -Namespace $ns -OutputPath $gitops -ExcludeSecrets | Keep
        $null = $clusters | Install-MeshEastWestGateway -Namespace $ns -OutputPath $gitops -ExcludeSecrets | Keep
        $null = Connect-MeshCluster -Cluster $clusters -Namespace $ns -OutputPath $gitops -ExcludeSecrets | Keep
        $null = $cas | Install-MeshCACertificate -Namespace $ns -OutputPath $withSecrets | Keep
        $null = Connect-MeshCluster -Cluster $clusters -Namespace $ns -OutputPath $withSecrets | Keep
        $vault.Snapshot()

        # Rotation (with a stand-in istiod Deployment to restart), status, leaving.
        $null = & kubectl --kubeconfig $east -n $ns create deployment istiod-basic --image=registry.example/istiod:lab
        $null = & kubectl --kubeconfig $east -n $ns label deployment istiod-basic app=istiod --overwrite
        $null = Update-MeshRemoteSecret -Cluster $clusters -Namespace $ns | Keep
        $vault.Snapshot()
        $null = $clusters | Get-MeshStatus -Namespace $ns | Keep
        $null = Disconnect-MeshCluster -Cluster $clusters[1] -From $clusters[0] -Namespace $ns | Keep

        # Bad input: files holding secrets where other files belong, bad and unauthorised credentials, misuse.
        $null = Get-MeshCluster -Kubeconfig "$cadir/west/ca-key.pem" | Keep
        $null = Get-MeshCluster -Kubeconfig $tokenFile | Keep
        $null = Get-MeshCluster -Kubeconfig $west -Context no-such-context | Keep
        $null = Get-MeshCluster -Kubeconfig $wrongToken -Test | Keep
        $null = Get-MeshCluster -Kubeconfig $nobody | Get-MeshStatus -Namespace $ns | Keep
        $null = Get-MeshCluster -Kubeconfig $nobody | Install-MeshControlPlane -MeshId mesh-secrets -Namespace $ns | Keep
        $null = Import-MeshCA -CertificatePath "$cadir/west/ca-key.pem" | Keep
        $null = Import-MeshCA -CertificatePath "$cadir/west/ca-cert.pem" -KeyPath "$cadir/east/ca-key.pem" -RootCertificatePath "$cadir/root/root-cert.pem" | Keep
        $null = Import-MeshCA -CertificatePath "$cadir/west/ca-key.pem" -KeyPath "$cadir/west/ca-cert.pem" | Keep
        $null = Import-MeshCA -Path $cadir | Where-Object Kind -eq Intermediate | Install-MeshCACertificate -Namespace $ns | Keep
        $other = $clusters[0] | New-MeshIntermediateCA -RootCA $root -KeySize 2048 -ControlPlaneNamespace $ns | Keep
        $null = $other | Export-MeshCA -Path $cadir | Keep
        $null = $other | Install-MeshCACertificate -Namespace $ns | Keep
        $null = Connect-MeshCluster -Cluster $clusters[0] -Namespace $ns | Keep
        $null = New-MeshRemoteSecret -Cluster $clusters -Namespace $ns -Server https://api.example.test:6443 | Keep

        # Everything through the module's views, and the errors through PowerShell's.
        $seen | Out-String -Width 400
        $seen | Format-List -Property * | Out-String -Width 400
        $seen | Format-Table -Property * | Out-String -Width 400
        $seen | ForEach-Object { $_.ToString() }
        $seen | ConvertTo-Json -Depth 3 -WarningAction SilentlyContinue
        $errors = @($Error)
        $errors | Out-String -Width 400
        $errors | Format-List -Property * -Force | Out-String -Width 400
        $errors | Get-Error | Out-String -Width 400
        , $seen
        """;

    [Fact]
    public void No_key_or_token_of_a_whole_run_appears_in_any_output_stream_view_property_or_export_without_secrets()
    {
        using var dir = new TempDir();
        var vault = new RunSecrets(_lab, "west", "east");
        File.WriteAllText(dir["token"], vault.AdminToken("west") + "\n");
        var wrongToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        vault.Scanner.AddToken("made-up token", wrongToken);
        File.WriteAllText(dir["wrong.kubeconfig"], TokenLine().Replace(File.ReadAllText(_lab.Kubeconfigs["west"]), "${1}" + wrongToken));

        var run = ModuleEngine.Run(Pipeline, _lab.Variables(("ns", Ns), ("vault", vault), ("cadir", dir["cacerts"]), ("gitops", dir["gitops"]),
            ("withSecrets", dir["with-secrets"]), ("tokenFile", dir["token"]), ("wrongToken", dir["wrong.kubeconfig"]),
            ("nobody", _lab.NobodyKubeconfig("west"))));
        vault.Snapshot();

        // The run did what it should: the pipeline worked, each bad input failed, every stream was captured.
        Assert.Null(run.Terminating);
        var objects = ((IEnumerable)run.Output[^1].BaseObject).Cast<object>().Select(PSObject.AsPSObject).ToList();
        var types = objects.Select(o => o.TypeNames[0]).ToHashSet();
        foreach (var type in new[] { "MeshCertificateAuthority", "MeshCluster", "MeshExportedFile", "MeshResourceResult", "MeshManifestFile",
                     "MeshRemoteSecret", "MeshGatewayAddress", "MeshStatusCheck" })
        {
            Assert.True(types.Contains("OssmMultiCluster.Model." + type), $"no {type} in the output; errors: " +
                string.Join(" | ", run.Errors.Select(e => e.FullyQualifiedErrorId + ": " + e.Exception.Message)));
        }

        var expectedErrors = new[] { "KubeconfigInvalid", "ContextNotFound", "ClusterUnauthorized", "ClusterForbidden", "PemMalformed", "KeyMismatch",
            "ClusterUnknown", "ExportFileExists", "CARotationRefused", "TooFewClusters", "ServerForSeveralClusters" };
        var errorIds = run.ErrorIds.Select(id => id.Split(',')[0]).ToHashSet();
        Assert.True(expectedErrors.All(errorIds.Contains), "errors: " + string.Join(", ", errorIds));
        Assert.Contains("debug stream captured", run.Debug);
        Assert.NotEmpty(run.Verbose);
        Assert.NotEmpty(run.Warnings);
        Assert.NotEmpty(run.Progress);

        // The secrets of the run: every key (the export, the objects, the clusters' cacerts) and every token.
        vault.AddExport(dir["cacerts"]);
        foreach (var ca in objects.Where(o => o.TypeNames[0] == "OssmMultiCluster.Model.MeshCertificateAuthority"))
        {
            vault.AddAuthority(ca.BaseObject);
        }

        foreach (var secret in objects.Where(o => o.TypeNames[0] == "OssmMultiCluster.Model.MeshRemoteSecret"))
        {
            vault.AddRemoteSecret(secret.BaseObject);
        }

        Assert.True(vault.Scanner.KeyCount >= 4, $"{vault.Scanner.KeyCount} keys collected");
        Assert.True(vault.Scanner.TokenCount >= 10, $"{vault.Scanner.TokenCount} tokens collected");
        Assert.Contains(vault.Scanner.Names, n => n.StartsWith("token:bound token", StringComparison.Ordinal));

        // Not vacuous: the same scanner finds the secrets where they were asked for.
        Assert.NotEmpty(vault.Scanner.Scan("root-key.pem", File.ReadAllText(dir["cacerts/root/root-key.pem"])));
        var withSecrets = Tree(dir["with-secrets"]);
        Assert.Contains(withSecrets, f => f.path.EndsWith("secret-cacerts.yaml", StringComparison.Ordinal)
                                          && vault.Scanner.Scan(f.path, f.text).Any(s => s.Contains("private key")));
        Assert.Contains(withSecrets, f => f.path.Contains("secret-istio-remote-secret-", StringComparison.Ordinal)
                                          && vault.Scanner.Scan(f.path, f.text).Any(s => s.Contains("token")));

        // Where secrets were asked for, only the files meant for them hold them, and those are 0600.
        foreach (var (path, text) in Tree(dir["cacerts"]).Concat(withSecrets))
        {
            var holdsSecret = Path.GetFileName(path).EndsWith("-key.pem", StringComparison.Ordinal) || Path.GetFileName(path).StartsWith("secret-", StringComparison.Ordinal);
            Assert.True(holdsSecret == vault.Scanner.Scan(path, text).Count > 0, path);
            Assert.Equal(holdsSecret ? UnixFileMode.UserRead | UnixFileMode.UserWrite : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                File.GetUnixFileMode(path));
        }

        // Everything the module wrote, as text.
        var scanned = new List<(string where, string text)>();
        scanned.AddRange(run.Output.Select((o, i) => ($"output #{i}", o.ToString())));
        scanned.AddRange(objects.Select((o, i) => ($"object #{i} {o.TypeNames[0]}", Describe(o))));
        scanned.AddRange(run.Errors.Select(e => ($"error {e.FullyQualifiedErrorId}", DescribeError(e))));
        scanned.AddRange(run.Warnings.Select(w => ("warning", w)));
        scanned.AddRange(run.Verbose.Select(v => ("verbose", v)));
        scanned.AddRange(run.Debug.Select(d => ("debug", d)));
        scanned.AddRange(run.Information.Select(i => ("information", i)));
        scanned.AddRange(run.Progress.Select(p => ("progress", p)));
        var excluded = Tree(dir["gitops"]);
        Assert.Contains(excluded, f => f.path.EndsWith("servicemeshcontrolplane-basic.yaml", StringComparison.Ordinal));
        Assert.DoesNotContain(excluded, f => Path.GetFileName(f.path).StartsWith("secret-", StringComparison.Ordinal));
        scanned.AddRange(excluded);

        var leaks = scanned.SelectMany(s => vault.Scanner.Scan(s.where, s.text)).ToList();
        Assert.True(leaks.Count == 0, $"{leaks.Count} secret(s) found:\n" + string.Join("\n", leaks.Take(20)));
    }

    private static List<(string path, string text)> Tree(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(f => (f, File.ReadAllText(f))).ToList();

    /// <summary>ToString and every property value, two levels down; byte arrays also as base64 and hex.</summary>
    private static string Describe(PSObject root)
    {
        var text = new StringBuilder();
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        void Walk(object? value, int depth)
        {
            switch (value)
            {
                case null:
                    return;
                case PSObject pso when pso.BaseObject is not PSCustomObject:
                    value = pso.BaseObject;
                    break;
            }

            if (value is byte[] bytes)
            {
                text.AppendLine(Convert.ToBase64String(bytes)).AppendLine(Convert.ToHexString(bytes));
                return;
            }

            text.AppendLine(value.ToString());
            if (depth >= 3 || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum || !visited.Add(value))
            {
                return;
            }

            if (value is IEnumerable items)
            {
                foreach (var item in items.Cast<object?>().Take(50))
                {
                    Walk(item, depth + 1);
                }

                return;
            }

            foreach (var property in PSObject.AsPSObject(value).Properties)
            {
                object? propertyValue;
                try
                {
                    propertyValue = property.Value;
                }
                catch (Exception ex) when (ex is GetValueException or PSInvalidOperationException or TargetInvocationException or CryptographicException)
                {
                    continue;
                }

                text.Append(property.Name).Append(": ");
                Walk(propertyValue, depth + 1);
            }
        }

        Walk(root, 0);
        return text.ToString();
    }

    private static string DescribeError(ErrorRecord error)
    {
        var text = new StringBuilder()
            .AppendLine(error.ToString())
            .AppendLine(error.ErrorDetails?.Message)
            .AppendLine(error.ErrorDetails?.RecommendedAction)
            .AppendLine(error.CategoryInfo.ToString())
            .AppendLine(error.TargetObject?.ToString())
            .AppendLine(error.ScriptStackTrace)
            .AppendLine(error.InvocationInfo?.PositionMessage);
        for (var ex = error.Exception; ex is not null; ex = ex.InnerException)
        {
            text.AppendLine(ex.ToString());
        }

        return text.ToString();
    }

    [GeneratedRegex(@"(?m)^(\s*""?token""?:\s*""?)[^\s""]+")]
    private static partial Regex TokenLine();

    /// <summary>
    /// The secrets of the lab clusters a run touches, read with kubectl (the script calls Snapshot between steps, since
    /// rotation revokes tokens), plus those only the module's objects hold (a bound token, a CA's key).
    /// </summary>
    public sealed class RunSecrets
    {
        private readonly LabFixture _lab;
        private readonly string[] _clusters;
        private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

        public RunSecrets(LabFixture lab, params string[] clusters)
        {
            _lab = lab;
            _clusters = clusters;
            Snapshot();
        }

        public SecretScanner Scanner { get; } = new();

        public string AdminToken(string cluster) => Tokens(File.ReadAllText(_lab.Kubeconfigs[cluster])).Single();

        /// <summary>Every token and key on the clusters now: kubeconfig tokens, token Secrets, keys and kubeconfigs in Secrets.</summary>
        public void Snapshot()
        {
            foreach (var cluster in _clusters)
            {
                foreach (var (name, kubeconfig) in new[] { ("admin", _lab.Kubeconfigs[cluster]), ("nobody", _lab.NobodyKubeconfig(cluster)) })
                {
                    foreach (var token in Tokens(File.ReadAllText(kubeconfig)))
                    {
                        Token($"{cluster} {name} kubeconfig", token);
                    }
                }

                foreach (var secret in JsonNode.Parse(_lab.Kubectl(cluster, "get", "secrets", "--all-namespaces", "-o", "json"))!["items"]!.AsArray())
                {
                    var name = $"{cluster}:{secret!["metadata"]!["namespace"]}/{secret["metadata"]!["name"]}";
                    foreach (var (key, value) in secret["data"]?.AsObject() ?? new JsonObject())
                    {
                        var text = Encoding.UTF8.GetString(Convert.FromBase64String((string)value!));
                        if (key == "token" && (string?)secret["type"] == "kubernetes.io/service-account-token")
                        {
                            Token(name, text);
                        }
                        else if (text.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
                        {
                            Key($"{name} {key}", text);
                        }
                        else if (text.Contains("token:", StringComparison.Ordinal))
                        {
                            foreach (var token in Tokens(text))
                            {
                                Token($"{name} {key} kubeconfig", token);
                            }
                        }
                    }
                }
            }
        }

        /// <summary>The keys of an Export-MeshCA folder; its certificates are public.</summary>
        public void AddExport(string folder)
        {
            foreach (var file in Directory.EnumerateFiles(folder, "*.pem", SearchOption.AllDirectories))
            {
                var text = File.ReadAllText(file);
                if (text.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
                {
                    Key(Path.GetRelativePath(folder, file), text);
                    continue;
                }

                var certificates = new X509Certificate2Collection();
                certificates.ImportFromPem(text);
                foreach (var certificate in certificates)
                {
                    Scanner.AddPublic(certificate.RawData);
                }
            }
        }

        /// <summary>A CA object's key (held internally: the module's own load context, so by reflection).</summary>
        public void AddAuthority(object ca)
        {
            if (ca.GetType().GetProperty("PrivateKey", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(ca) is AsymmetricAlgorithm key)
            {
                Key("CA object " + ca, key.ExportPkcs8PrivateKeyPem());
            }

            Scanner.AddPublic(((X509Certificate2)ca.GetType().GetProperty("Certificate")!.GetValue(ca)!).RawData);
        }

        /// <summary>The token in a remote secret object's kubeconfig (a bound token exists nowhere else).</summary>
        public void AddRemoteSecret(object remoteSecret)
        {
            var secret = remoteSecret.GetType().GetProperty("Secret", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(remoteSecret)!;
            var tokenType = remoteSecret.GetType().GetProperty("TokenType")!.GetValue(remoteSecret)!.ToString();
            foreach (DictionaryEntry entry in (IDictionary)secret.GetType().GetProperty("Data")!.GetValue(secret)!)
            {
                foreach (var token in Tokens(Encoding.UTF8.GetString((byte[])entry.Value!)))
                {
                    Token($"{tokenType!.ToLowerInvariant()} token of remote secret {remoteSecret}", token);
                }
            }
        }

        private void Token(string name, string token)
        {
            if (_seen.Add(token))
            {
                Scanner.AddToken(name, token);
            }
        }

        private void Key(string name, string pem)
        {
            if (_seen.Add(pem.Trim()))
            {
                Scanner.AddPrivateKeyPem(name, pem);
            }
        }

        private static IEnumerable<string> Tokens(string kubeconfig) =>
            TokenLine().Matches(kubeconfig).Select(m => m.Value[m.Groups[1].Length..]);
    }
}
