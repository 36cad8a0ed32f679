namespace OssmMultiCluster.Tests.Support;

/// <summary>
/// Steps 4 and 5 of the walkthrough (shared/reference/ossm-2.6-multi-primary-walkthrough.txt) as its authors wrote
/// them, with openssl: the reference our certificates are compared with. The key size is a parameter so tests can
/// use 2048 bits for speed; the configuration files are read from the walkthrough itself.
/// </summary>
public static class Walkthrough
{
    public static string RootConf => WalkthroughText.Heredoc("${root_ca_dir}/root-ca.conf");

    public static string IntermediateConf(string cluster) => WalkthroughText.Heredoc("${int_ca_dir}/intermediate.conf").Replace("$cluster", cluster);

    /// <summary>Runs steps 4 and 5 in <paramref name="directory"/>, producing cacerts/root and cacerts/&lt;cluster&gt;.</summary>
    public static string CreateCacerts(string directory, int bits, params string[] clusters)
    {
        var cacerts = Path.Combine(directory, "cacerts");
        var root = Path.Combine(cacerts, "root");
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "root-ca.conf"), RootConf);
        OpenSsl.Ok(root, "genrsa", "-out", "root-key.pem", bits.ToString());
        OpenSsl.Ok(root, "req", "-sha256", "-new", "-key", "root-key.pem", "-config", "root-ca.conf", "-out", "root-cert.csr");
        OpenSsl.Ok(root, "x509", "-req", "-sha256", "-days", "3650", "-signkey", "root-key.pem", "-extensions", "req_ext",
            "-extfile", "root-ca.conf", "-in", "root-cert.csr", "-out", "root-cert.pem");
        foreach (var cluster in clusters)
        {
            var dir = Path.Combine(cacerts, cluster);
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "intermediate.conf"), IntermediateConf(cluster));
            OpenSsl.Ok(dir, "genrsa", "-out", "ca-key.pem", bits.ToString());
            OpenSsl.Ok(dir, "req", "-new", "-config", "intermediate.conf", "-key", "ca-key.pem", "-out", "cluster-ca.csr");
            OpenSsl.Ok(dir, "x509", "-req", "-sha256", "-days", "3650", "-CA", "../root/root-cert.pem", "-CAkey", "../root/root-key.pem",
                "-CAcreateserial", "-extensions", "req_ext", "-extfile", "intermediate.conf", "-in", "cluster-ca.csr", "-out", "ca-cert.pem");
            File.WriteAllText(Path.Combine(dir, "cert-chain.pem"),
                File.ReadAllText(Path.Combine(dir, "ca-cert.pem")) + File.ReadAllText(Path.Combine(root, "root-cert.pem")));
            File.Copy(Path.Combine(root, "root-cert.pem"), Path.Combine(dir, "root-cert.pem"));
        }

        return cacerts;
    }
}
