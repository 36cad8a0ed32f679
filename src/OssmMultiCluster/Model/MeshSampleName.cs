namespace OssmMultiCluster.Model;

/// <summary>The walkthrough's sample applications Install-MeshSample deploys.</summary>
public enum MeshSampleName
{
    Bookinfo,
    Sleep,
    Helloworld,
}
