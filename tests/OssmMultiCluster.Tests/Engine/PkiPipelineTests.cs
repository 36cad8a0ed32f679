using System.Management.Automation;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Engine;

/// <summary>The PKI cmdlets as a user runs them: real pipelines in the real engine, checked with openssl.</summary>
public sealed class PkiPipelineTests
{
    private const string NewIntermediate = "OssmMultiCluster.Commands.NewMeshIntermediateCACommand";

    private static Dictionary<string, object?> Vars(params (string name, object? value)[] values) =>
        values.ToDictionary(v => v.name, v => v.value);

    [Fact]
    public void The_issue_pipeline_writes_a_layout_openssl_verifies()
    {
        using var dir = new TempDir();
        var run = ModuleEngine.Run("'west','east' | New-MeshIntermediateCA -RootCA (New-MeshRootCA) | Export-MeshCA -Path $d",
            Vars(("d", dir.Path)));
        run.AssertNoErrors();

        Assert.Equal(9, run.Output.Count);
        Assert.All(run.Output, o => Assert.Equal("OssmMultiCluster.Model.MeshExportedFile", o.TypeNames[0]));
        Assert.All(run.Output, o => Assert.Equal("Created", o.Properties["Action"].Value.ToString()));
        foreach (var cluster in new[] { "west", "east" })
        {
            Assert.Contains(": OK", OpenSsl.Ok(dir[cluster], "verify", "-CAfile", "root-cert.pem", "cert-chain.pem"));
            Assert.Contains(": OK", OpenSsl.Ok(dir[cluster], "verify", "-CAfile", "../root/root-cert.pem", "ca-cert.pem"));
            Assert.Contains("Public-Key: (4096 bit)", OpenSsl.Ok(dir[cluster], "x509", "-in", "ca-cert.pem", "-noout", "-text"));
            Assert.Equal($"subject=O = Istio, CN = Intermediate CA, L = {cluster}", OpenSsl.Field(dir[cluster], "ca-cert.pem", "-subject"));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dir[$"{cluster}/ca-key.pem"]));
        }

        Assert.True(File.Exists(dir["root/root-cert.pem"]));
        Assert.False(File.Exists(dir["root/root-key.pem"]), "the root key is written only when the root itself is exported");
    }

    [Fact]
    public void Exporting_the_root_too_writes_its_key_and_a_rerun_is_unchanged()
    {
        using var dir = new TempDir();
        var run = ModuleEngine.Run("""
            $root = New-MeshRootCA -KeySize 2048
            $cas = @($root) + @('west' | New-MeshIntermediateCA -RootCA $root)
            $first = $cas | Export-MeshCA -Path $d
            $again = $cas | Export-MeshCA -Path $d
            ($first | ForEach-Object Action) -join ','
            ($again | ForEach-Object Action | Sort-Object -Unique) -join ','
            """, Vars(("d", dir.Path)));
        run.AssertNoErrors();
        Assert.Equal("Created,Created,Created,Created,Created,Created", run.Output[0].ToString());
        Assert.Equal("Unchanged", run.Output[1].ToString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dir["root/root-key.pem"]));
    }

    [Fact]
    public void A_bad_cluster_name_is_an_error_record_and_the_other_clusters_are_still_served()
    {
        var run = ModuleEngine.Run("'west','West_1','east' | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048)");
        Assert.Null(run.Terminating);
        Assert.Equal(new[] { "west", "east" }, run.Output.Select(o => o.Properties["Cluster"].Value));
        var error = Assert.Single(run.Errors);
        Assert.Equal($"InvalidClusterName,{NewIntermediate}", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.Equal("West_1", error.TargetObject);
        Assert.Contains("West_1", error.ToString());
        Assert.False(string.IsNullOrEmpty(error.ErrorDetails.RecommendedAction));
    }

    [Theory]
    [InlineData("New-MeshRootCA -KeySize 1024", "KeySizeTooSmall,OssmMultiCluster.Commands.NewMeshRootCACommand")]
    [InlineData("New-MeshRootCA -KeyAlgorithm ECDSA -KeySize 300", "KeySizeInvalid,OssmMultiCluster.Commands.NewMeshRootCACommand")]
    [InlineData("'west' | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048 -ValidityDays 30) -ValidityDays 400", "IntermediateOutlivesRoot," + NewIntermediate)]
    [InlineData("$r = New-MeshRootCA -KeySize 2048; $i = 'west' | New-MeshIntermediateCA -RootCA $r; 'east' | New-MeshIntermediateCA -RootCA $i", "NotARootCA," + NewIntermediate)]
    [InlineData("'west' | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048) -KeySize 1024", "KeySizeTooSmall," + NewIntermediate)]
    public void Bad_input_stops_with_a_stable_error_id_and_no_output(string script, string errorId)
    {
        var run = ModuleEngine.Run(script);
        var error = Assert.Single(run.Errors);
        Assert.Equal(errorId, error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.Empty(run.Output);
        Assert.False(string.IsNullOrEmpty(error.ErrorDetails?.RecommendedAction));

        var stopped = ModuleEngine.Run("$ErrorActionPreference = 'Stop'; " + script);
        Assert.Equal(errorId, stopped.Terminating?.ErrorRecord.FullyQualifiedErrorId);
    }

    [Fact]
    public void WhatIf_writes_nothing()
    {
        using var dir = new TempDir();
        var run = ModuleEngine.Run("'west' | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048) | Export-MeshCA -Path $d -WhatIf",
            Vars(("d", dir["out"])));
        run.AssertNoErrors();
        Assert.Empty(run.Output);
        Assert.False(Directory.Exists(dir["out"]));
    }

    [Fact]
    public void Overwriting_another_CA_needs_Force_and_the_refusal_writes_nothing()
    {
        using var dir = new TempDir();
        var run = ModuleEngine.Run("""
            $null = 'west' | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048) | Export-MeshCA -Path $d
            $before = [IO.File]::ReadAllText("$d/west/ca-key.pem")
            $other = 'west','east' | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048)
            try { $other | Export-MeshCA -Path $d -ErrorAction Stop } catch { $_.FullyQualifiedErrorId; $_.CategoryInfo.Category.ToString() }
            [IO.File]::ReadAllText("$d/west/ca-key.pem") -eq $before
            [IO.Directory]::Exists("$d/east")
            ($other | Export-MeshCA -Path $d -Force | Where-Object Name -eq 'ca-key.pem' | ForEach-Object Action) -join ','
            """, Vars(("d", dir.Path)));
        Assert.Null(run.Terminating);
        Assert.Equal(new[] { "ExportFileExists,OssmMultiCluster.Commands.ExportMeshCACommand", "ResourceExists", "True", "False", "Overwritten,Created" },
            run.Output.Select(o => o.ToString()));
    }

    [Fact]
    public void Import_reads_the_layout_back_and_cluster_objects_bind_by_property_name()
    {
        using var dir = new TempDir();
        var run = ModuleEngine.Run("""
            $root = New-MeshRootCA -KeySize 2048 -PregenerateKeys 0
            $null = @($root) + @('west' | New-MeshIntermediateCA -RootCA $root) | Export-MeshCA -Path $d
            $imported = Import-MeshCA -Path $d
            ($imported | ForEach-Object { "$($_.Kind):$($_.Cluster):$($_.HasPrivateKey)" }) -join ','
            $imported[0].Fingerprint -eq $root.Fingerprint
            $byName = [pscustomobject]@{ Name = 'north' }, [pscustomobject]@{ Name = 'south' } | New-MeshIntermediateCA -RootCA $imported[0]
            ($byName | ForEach-Object Cluster) -join ','
            $explicit = Import-MeshCA -CertificatePath "$d/west/ca-cert.pem" -KeyPath "$d/west/ca-key.pem" -ChainPath "$d/west/cert-chain.pem"
            "$($explicit.Kind):$($explicit.Cluster)"
            Get-Item $d | Import-MeshCA | ForEach-Object Kind
            """, Vars(("d", dir.Path)));
        run.AssertNoErrors();
        Assert.Equal(new[] { "Root::True,Intermediate:west:True", "True", "north,south", "Intermediate:west", "Root", "Intermediate" },
            run.Output.Select(o => o.ToString()));
    }

    [Fact]
    public void Import_reports_a_broken_cluster_folder_and_still_imports_the_others()
    {
        using var dir = new TempDir();
        var run = ModuleEngine.Run("""
            $null = 'west','east' | New-MeshIntermediateCA -RootCA (New-MeshRootCA -KeySize 2048) | Export-MeshCA -Path $d
            Copy-Item "$d/east/ca-key.pem" "$d/west/ca-key.pem" -Force
            Import-MeshCA -Path $d
            """, Vars(("d", dir.Path)));
        Assert.Null(run.Terminating);
        Assert.Equal(new[] { "Root", "Intermediate" }, run.Output.Select(o => o.Properties["Kind"].Value.ToString()));
        var error = Assert.Single(run.Errors);
        Assert.Equal("KeyMismatch,OssmMultiCluster.Commands.ImportMeshCACommand", error.FullyQualifiedErrorId);
        Assert.EndsWith("west/ca-key.pem", error.TargetObject.ToString());
    }

    [Fact]
    public void Views_render_the_columns_a_user_scans_and_no_rendering_shows_a_key()
    {
        using var dir = new TempDir();
        var run = ModuleEngine.Run("""
            $root = New-MeshRootCA -KeySize 2048 -PregenerateKeys 0
            $west = 'west' | New-MeshIntermediateCA -RootCA $root -Verbose
            $files = @($root, $west) | Export-MeshCA -Path $d -Verbose
            $root, $west | Out-String -Width 200
            $files | Out-String -Width 200
            $root, $west | Format-List * | Out-String -Width 200
            $root, $west | ConvertTo-Json -Depth 3 -WarningAction SilentlyContinue
            $west.DaysRemaining
            """, Vars(("d", dir.Path)));
        run.AssertNoErrors();
        var table = run.Output[0].ToString();
        foreach (var column in new[] { "Kind", "Cluster", "Subject", "NotAfter", "Key", "Fingerprint", "O=Istio, CN=Intermediate CA, L=west", "RSA 2048" })
        {
            Assert.Contains(column, table);
        }

        Assert.Contains("Folder: west", run.Output[1].ToString());
        Assert.Contains("0600", run.Output[1].ToString());
        Assert.InRange(int.Parse(run.Output[^1].ToString()!), 3640, 3650);
        Assert.Contains(run.Verbose, v => v.Contains("west"));

        var everything = run.AllText;
        foreach (var keyFile in new[] { "root/root-key.pem", "west/ca-key.pem" })
        {
            foreach (var line in File.ReadAllLines(dir[keyFile]).Where(l => !l.StartsWith("-----", StringComparison.Ordinal)))
            {
                Assert.DoesNotContain(line, everything);
            }
        }

        Assert.DoesNotContain("PRIVATE KEY", everything);
    }
}
