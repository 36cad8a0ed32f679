namespace OssmMultiCluster;

/// <summary>
/// What a service may tell, or ask, whoever runs it, while it works: the one seam between the services and
/// PowerShell. The cmdlets' implementation queues every call and carries it out on the pipeline thread, so a service
/// writes output, warnings, verbose lines and progress as they happen, from any thread; tests give their own.
/// </summary>
internal interface IMeshHost
{
    /// <summary>Tripped by Ctrl+C (or a test): every wait of the service takes it.</summary>
    CancellationToken Cancellation { get; }

    void WriteObject(object value);

    void WriteWarning(string message);

    void WriteVerbose(string message);

    /// <summary>A failure that stops one cluster's work while the others go on.</summary>
    void WriteError(MeshException error);

    /// <summary>Shows (or, with <paramref name="completed"/>, closes) the progress of <paramref name="activity"/>.</summary>
    void WriteProgress(string activity, string status, int? percent = null, bool completed = false);

    /// <summary>Asks the user whether to go on (-WhatIf, -Confirm); the answer comes from the pipeline thread.</summary>
    Task<bool> ShouldProcessAsync(string target, string action);
}
