namespace OssmMultiCluster;

/// <summary>What kind of failure a <see cref="MeshException"/> is; the cmdlets map it to an ErrorCategory.</summary>
public enum MeshErrorKind
{
    InvalidArgument,
    InvalidData,
    InvalidOperation,
    ResourceExists,
    ObjectNotFound,
    SecurityError,
    WriteError,
    ReadError,
    ConnectionError,
    PermissionDenied,
    NotInstalled,
    OperationTimeout,
}

/// <summary>
/// A failure the services report to their callers: a stable id, what kind it is, the value that caused it and
/// what the user can do. Messages never carry key material or tokens.
/// </summary>
public sealed class MeshException : Exception
{
    public MeshException(string errorId, MeshErrorKind kind, string message, object? target, string recommendedAction,
        Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
        Target = target;
        RecommendedAction = recommendedAction;
    }

    public string ErrorId { get; }

    public MeshErrorKind Kind { get; }

    public object? Target { get; }

    public string RecommendedAction { get; }
}
