namespace OssmMultiCluster.Model;

/// <summary>How the east-west gateway's Service is exposed.</summary>
public enum GatewayServiceType
{
    LoadBalancer,
    NodePort,
}
