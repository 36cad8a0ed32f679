namespace OssmMultiCluster;

/// <summary>
/// The times and counts a cmdlet uses when its parameter is not given, stated once: the cmdlets' parameters and the
/// services' option records both start from these (names are in <see cref="MeshNames"/>).
/// </summary>
internal static class MeshDefaults
{
    /// <summary>How long a reader token requested for a remote secret is valid (-TokenLifetime).</summary>
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromHours(24);

    /// <summary>How long to wait for the token controller to fill a service-account token Secret (New/Update-MeshRemoteSecret -Timeout).</summary>
    public static readonly TimeSpan TokenTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long to wait for a control plane, a gateway or its address to be ready (Install-*, Wait-MeshGateway, Connect-MeshCluster -Timeout).</summary>
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(5);

    /// <summary>How long Test-MeshPrerequisite's probes may take on one cluster (-ProbeTimeout).</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(30);
}
