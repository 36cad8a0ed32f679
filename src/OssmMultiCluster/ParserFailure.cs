namespace OssmMultiCluster;

/// <summary>
/// What the parsers of users' files throw when they refuse an input. .NET's, BouncyCastle's, YamlDotNet's and
/// KubernetesClient's decoders read untrusted bytes and refuse them in open-ended ways (fuzzing found ArgumentException,
/// IOException, InvalidCastException, KeyNotFoundException, NullReferenceException and plain Exception among others), so
/// every exception counts as a refusal except failures of the process itself and the module's own errors.
/// </summary>
internal static class ParserFailure
{
    public static bool IsRefusal(Exception ex) =>
        ex is not (MeshException or OutOfMemoryException or OperationCanceledException or ThreadInterruptedException);
}
