namespace OssmMultiCluster.HelpGen;

/// <summary>
/// The help sources cannot be turned into help: every problem found, each naming its page, so one run of the
/// generator lists all there is to fix.
/// </summary>
public sealed class HelpSourceException : Exception
{
    public HelpSourceException(IReadOnlyList<string> problems)
        : base($"The help sources have {problems.Count} problem(s):{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", problems))
    {
        Problems = problems;
    }

    public IReadOnlyList<string> Problems { get; }
}
