using System.Management.Automation;

namespace OssmMultiCluster.Commands;

/// <summary>A -Timeout-like parameter: a positive time span (a zero or negative deadline would fail every call at once).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class ValidateTimeoutAttribute : ValidateArgumentsAttribute
{
    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        var value = arguments is PSObject wrapped ? wrapped.BaseObject : arguments;
        if (value is not TimeSpan span || span <= TimeSpan.Zero || span > TimeSpan.FromDays(1))
        {
            throw new ValidationMetadataException($"'{arguments}' is not a time span between 0 and one day; give one such as 00:00:20 (20 seconds).");
        }
    }
}
