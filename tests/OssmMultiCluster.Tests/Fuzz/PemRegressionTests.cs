using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OssmMultiCluster.Pki;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Fuzz;

/// <summary>
/// One test per bug the PEM fuzz tests found (or, for the last two, that their mutations aim at), each with a small input
/// made on purpose. Before the fix, each of these threw something other than a MeshException, hung, or quoted the key.
/// </summary>
public sealed class PemRegressionTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static MeshException Refused(Action read)
    {
        var task = Task.Run(read);
        Assert.True(Task.WaitAny(new[] { task }, FuzzRunner.HangBound) == 0, "still running: a hang");
        var error = Assert.IsType<MeshException>(task.Exception?.InnerException);
        Assert.False(string.IsNullOrEmpty(error.RecommendedAction));
        return error;
    }

    private string Write(string name, string text)
    {
        File.WriteAllText(_dir[name], text);
        return _dir[name];
    }

    private static string Pem(string label, byte[] der) => PemEncoding.WriteString(label, der) + "\n";

    private static X509Certificate2 SelfSigned(string subject, params X509Extension[] extensions)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        foreach (var extension in extensions)
        {
            request.CertificateExtensions.Add(extension);
        }

        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    /// <summary>The certificate with field <paramref name="index"/> of its TBSCertificate (4 validity, 5 subject) replaced.</summary>
    private static byte[] WithTbsField(byte[] certificate, int index, byte[] encoded)
    {
        var outer = new AsnReader(certificate, AsnEncodingRules.DER).ReadSequence();
        var tbs = outer.ReadSequence();
        var fields = new List<ReadOnlyMemory<byte>>();
        while (tbs.HasData)
        {
            fields.Add(tbs.ReadEncodedValue());
        }

        fields[index] = encoded;
        var writer = new AsnWriter(AsnEncodingRules.BER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                fields.ForEach(f => writer.WriteEncodedValue(f.Span));
            }

            while (outer.HasData)
            {
                writer.WriteEncodedValue(outer.ReadEncodedValue().Span);
            }
        }

        return writer.Encode();
    }

    [Theory]
    [InlineData("2.5.29.19")]
    [InlineData("2.5.29.15")]
    public void A_basic_constraints_or_key_usage_extension_that_does_not_decode_is_PemMalformed(string oid)
    {
        // Was: CryptographicException from PkiFormat.IsCA / CanSignCertificates, which .NET decodes only when asked.
        using var certificate = SelfSigned("CN=Root CA", new X509BasicConstraintsExtension(true, false, 0, true),
            new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var der = certificate.RawData;
        var extension = certificate.Extensions[oid]!.RawData;
        var at = der.AsSpan().IndexOf(extension);
        der[at] = 0x04; // the extension's value gets the tag of an OCTET STRING instead of a SEQUENCE or BIT STRING
        var path = Write("root-cert.pem", Pem("CERTIFICATE", der));
        Assert.Equal("PemMalformed", Refused(() => new CAImportService().ImportFiles(path, null, null, null, null)).ErrorId);
        Assert.Equal("PemMalformed", Refused(() => CAImportService.CheckPlugInCA(File.ReadAllText(path), null, File.ReadAllText(path), "secret cacerts")).ErrorId);
    }

    [Fact]
    public void An_empty_certificate_block_is_PemMalformed()
    {
        // Was: new X509Certificate2(empty) succeeded and the next property threw CryptographicException (invalid handle).
        var path = Write("ca-cert.pem", "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
        var error = Refused(() => PemFiles.ReadCertificates(path));
        Assert.Equal("PemMalformed", error.ErrorId);
        Assert.Contains("certificate #1", error.Message);
    }

    [Fact]
    public void A_validity_date_that_does_not_decode_is_PemMalformed()
    {
        // Was: CryptographicException from NotBefore (the Import-MeshCA view and the expiry checks read it).
        using var certificate = SelfSigned("CN=Root CA", new X509BasicConstraintsExtension(true, false, 0, true));
        var validity = new AsnWriter(AsnEncodingRules.DER);
        using (validity.PushSequence())
        {
            validity.WriteEncodedValue(new byte[] { 0x17, 0x00 });
            validity.WriteUtcTime(DateTimeOffset.UtcNow.AddDays(30));
        }

        var path = Write("root-cert.pem", Pem("CERTIFICATE", WithTbsField(certificate.RawData, 4, validity.Encode())));
        Assert.Equal("PemMalformed", Refused(() => new CAImportService().ImportFiles(path, null, null, null, null)).ErrorId);
    }

    [Fact]
    public void A_subject_with_an_empty_RDN_is_PemMalformed()
    {
        // Was: CryptographicException from X500DistinguishedName when the cluster was looked up in the subject (L=):
        // openssl reads an empty RDN, .NET's decoder does not.
        using var certificate = SelfSigned("CN=Intermediate CA", new X509BasicConstraintsExtension(true, true, 0, true));
        var subject = new AsnWriter(AsnEncodingRules.DER);
        using (subject.PushSequence())
        {
            using (subject.PushSetOf())
            using (subject.PushSequence())
            {
                subject.WriteObjectIdentifier("2.5.4.10");
                subject.WriteCharacterString(UniversalTagNumber.UTF8String, "Istio");
            }

            subject.PushSetOf().Dispose();
        }

        var path = Write("ca-cert.pem", Pem("CERTIFICATE", WithTbsField(certificate.RawData, 5, subject.Encode())));
        var root = Write("root-cert.pem", PkiFormat.ToPem(certificate));
        Assert.Equal("PemMalformed", Refused(() => new CAImportService().ImportFiles(path, null, null, root, null)).ErrorId);
    }

    [Fact]
    public void A_multi_valued_RDN_in_an_intermediates_subject_leaves_the_cluster_to_the_folder_name()
    {
        // Was: InvalidOperationException from X500RelativeDistinguishedName.GetSingleElementType.
        Directory.CreateDirectory(_dir["west"]);
        OpenSsl.Ok(_dir.Path, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "root-key.pem",
            "-subj", "/O=Istio/CN=Root CA", "-days", "30", "-addext", "basicConstraints=critical,CA:true", "-addext", "keyUsage=critical,keyCertSign", "-out", "root-cert.pem");
        OpenSsl.Ok(_dir.Path, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "west/ca-key.pem",
            "-subj", "/O=Istio/CN=Intermediate CA+L=west", "-multivalue-rdn", "-out", "west/ca.csr");
        File.WriteAllText(_dir["ext.cnf"], "basicConstraints = critical, CA:true, pathlen:0\nkeyUsage = critical, keyCertSign\n");
        OpenSsl.Ok(_dir.Path, "x509", "-req", "-in", "west/ca.csr", "-CA", "root-cert.pem", "-CAkey", "root-key.pem", "-CAcreateserial", "-days", "20",
            "-extfile", "ext.cnf", "-out", "west/ca-cert.pem");
        var ca = new CAImportService().ImportFiles(_dir["west/ca-cert.pem"], _dir["west/ca-key.pem"], null, _dir["root-cert.pem"], null);
        Assert.Equal("west", ca.Cluster);
    }

    [Fact]
    public void A_root_whose_RSA_modulus_is_even_gives_a_chain_error()
    {
        // Was: ArgumentException ("RSA modulus is even") from BouncyCastle while checking the intermediate's signature.
        var modulus = RandomNumberGenerator.GetBytes(256);
        modulus[0] |= 0x80;
        modulus[^1] &= 0xfe;
        var rsaKey = new AsnWriter(AsnEncodingRules.DER);
        using (rsaKey.PushSequence())
        {
            rsaKey.WriteIntegerUnsigned(modulus);
            rsaKey.WriteInteger(65537);
        }

        using var signer = RSA.Create(2048);
        var name = new X500DistinguishedName("CN=Root CA");
        var publicKey = new PublicKey(new Oid("1.2.840.113549.1.1.1"), new AsnEncodedData(new byte[] { 0x05, 0x00 }), new AsnEncodedData(rsaKey.Encode()));
        var request = new CertificateRequest(name, publicKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
        {
            CertificateExtensions = { new X509BasicConstraintsExtension(true, false, 0, true) },
        };
        using var root = request.Create(name, X509SignatureGenerator.CreateForRSA(signer, RSASignaturePadding.Pkcs1),
            DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), new byte[] { 1 });
        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var intermediate = new CertificateRequest("CN=Intermediate CA, L=west", intermediateKey, HashAlgorithmName.SHA256)
        {
            CertificateExtensions = { new X509BasicConstraintsExtension(true, true, 0, true) },
        }.Create(name, X509SignatureGenerator.CreateForRSA(signer, RSASignaturePadding.Pkcs1), DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(20), new byte[] { 2 });

        var rootPath = Write("root-cert.pem", PkiFormat.ToPem(root));
        var caPath = Write("ca-cert.pem", PkiFormat.ToPem(intermediate));
        Assert.Equal("IntermediateNotFromRoot", Refused(() => new CAImportService().ImportFiles(caPath, null, null, rootPath, null)).ErrorId);
    }

    [Fact]
    public void A_key_file_whose_header_runs_into_the_key_is_refused_without_quoting_the_key()
    {
        // Was: BouncyCastle's IOException ("-----END EC PR<the key's base64> not found") kept as the inner exception.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = key.ExportECPrivateKeyPem() + "\n";
        var damaged = pem.Remove("-----BEGIN EC PR".Length, "IVATE KEY-----\n".Length);
        var error = Refused(() => PemFiles.ReadPrivateKey(Write("ca-key.pem", damaged)));
        Assert.Equal("PemMalformed", error.ErrorId);
        var text = FuzzRunner.ErrorText(error);
        foreach (var line in pem.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal) && l.Length > 16))
        {
            Assert.DoesNotContain(line[..16], text);
        }
    }

    [Fact]
    public void A_DSA_key_without_its_parameters_is_refused()
    {
        // Was: NullReferenceException from BouncyCastle's PrivateKeyInfoFactory.
        using var dsa = DSA.Create(1024);
        var info = new AsnReader(dsa.ExportPkcs8PrivateKey(), AsnEncodingRules.DER).ReadSequence();
        var version = info.ReadEncodedValue();
        var algorithm = info.ReadSequence().ReadObjectIdentifier();
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteEncodedValue(version.Span);
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(algorithm);
            }

            writer.WriteEncodedValue(info.ReadEncodedValue().Span);
        }

        Assert.Equal("PemMalformed", Refused(() => PemFiles.ReadPrivateKey(Write("ca-key.pem", Pem("PRIVATE KEY", writer.Encode())))).ErrorId);
    }

    [Theory]
    [InlineData("pbkdf2")]
    [InlineData("scrypt")]
    public void An_encrypted_key_asking_for_an_endless_key_derivation_is_refused_at_once(string kdf)
    {
        // Would have run 2^31 PBKDF2 iterations (hours), or scrypt with N = 2^40, before checking the password.
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier("1.2.840.113549.1.5.13");
                using (writer.PushSequence())
                {
                    using (writer.PushSequence())
                    {
                        writer.WriteObjectIdentifier(kdf == "pbkdf2" ? "1.2.840.113549.1.5.12" : "1.3.6.1.4.1.11591.4.11");
                        using (writer.PushSequence())
                        {
                            writer.WriteOctetString(new byte[8]);
                            if (kdf == "pbkdf2")
                            {
                                writer.WriteInteger(int.MaxValue);
                            }
                            else
                            {
                                writer.WriteInteger(1L << 40);
                                writer.WriteInteger(8);
                                writer.WriteInteger(1);
                            }
                        }
                    }

                    using (writer.PushSequence())
                    {
                        writer.WriteObjectIdentifier("2.16.840.1.101.3.4.1.42");
                        writer.WriteOctetString(new byte[16]);
                    }
                }
            }

            writer.WriteOctetString(new byte[48]);
        }

        var path = Write("ca-key.pem", Pem("ENCRYPTED PRIVATE KEY", writer.Encode()));
        var error = Refused(() => PemFiles.ReadPrivateKey(path, "a password"));
        Assert.Equal(("KeyDerivationTooCostly", MeshErrorKind.InvalidData), (error.ErrorId, error.Kind));
        Assert.Contains(kdf == "pbkdf2" ? "PBKDF2" : "scrypt", error.Message);
    }
}
