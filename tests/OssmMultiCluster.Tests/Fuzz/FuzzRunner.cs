using System.Text;

namespace OssmMultiCluster.Tests.Fuzz;

/// <summary>
/// One generated case: what was done to make the input, the secrets it holds that no error may repeat, and the call
/// that parses it the way the module does.
/// </summary>
public sealed record FuzzInput(string Description, IReadOnlyList<string> Secrets, Action Parse);

/// <summary>
/// Runs a parser on generated inputs and checks the property every parser of the module must have: it returns, or
/// throws a <see cref="MeshException"/> (nothing else), within a bound, and no error text repeats the input's secrets.
/// </summary>
/// <remarks>
/// Case i of a run with seed S uses <c>new Random(S + i)</c>, so a failure names one seed that replays that case alone:
/// <c>OSSM_FUZZ_SEED=&lt;seed&gt; OSSM_FUZZ_CASES=1 dotnet test --filter &lt;test&gt;</c>. OSSM_FUZZ_CASES also runs longer
/// campaigns; OSSM_FUZZ_TRACE=&lt;file&gt; appends one line per case (seed, milliseconds, outcome, input). The bound only detects hangs (a case that never ends); it is not a speed target.
/// </remarks>
public static class FuzzRunner
{
    public static readonly TimeSpan HangBound = TimeSpan.FromSeconds(20);

    /// <summary>Secrets shorter than this are not searched for: a 3-character match is chance, not a leak.</summary>
    private const int Fragment = 16;

    public static void Run(string name, int defaultSeed, int defaultCases, Func<Random, FuzzInput> generate, Xunit.Abstractions.ITestOutputHelper? output = null)
    {
        var seed = Setting("OSSM_FUZZ_SEED") ?? defaultSeed;
        var cases = Setting("OSSM_FUZZ_CASES") ?? defaultCases;
        var failures = new List<string>();
        var distinct = new HashSet<string>();
        var parsed = 0;
        var (slowest, slowestSeed) = (TimeSpan.Zero, 0);
        for (var i = 0; i < cases && failures.Count < 10; i++)
        {
            var caseSeed = unchecked(seed + i);
            FuzzInput input;
            try
            {
                input = generate(new Random(caseSeed));
            }
            catch (Exception ex)
            {
                throw new InvalidOperationException($"{name}: the generator itself failed for seed {caseSeed}", ex);
            }

            var clock = System.Diagnostics.Stopwatch.StartNew();
            var outcome = Outcome(input.Parse);
            if (Environment.GetEnvironmentVariable("OSSM_FUZZ_TRACE") is { Length: > 0 } trace)
            {
                File.AppendAllText(trace, $"{name}\t{caseSeed}\t{clock.Elapsed.TotalMilliseconds:0}\t{outcome.Error?.GetType().Name}\t{(outcome.Error as MeshException)?.ErrorId}\t{input.Description}\n");
            }

            if (clock.Elapsed > slowest)
            {
                (slowest, slowestSeed) = (clock.Elapsed, caseSeed);
            }

            var problem = Problem(outcome, input);
            if (problem is null)
            {
                parsed += outcome.Error is null ? 1 : 0;
                continue;
            }

            // One report per kind of failure: the same bug found by 200 seeds is one bug.
            var signature = problem.Split('\n')[0];
            if (distinct.Add(signature))
            {
                failures.Add($"seed {caseSeed} ({input.Description}): {problem}\n  replay: OSSM_FUZZ_SEED={caseSeed} OSSM_FUZZ_CASES=1 dotnet test --filter {name}");
            }
        }

        output?.WriteLine($"{name}: seed {seed}, {cases} cases, {parsed} parsed, the rest refused; slowest case: seed {slowestSeed}, {slowest.TotalMilliseconds:0} ms");
        Assert.True(failures.Count == 0, $"{name}: {failures.Count} kind(s) of failure (seed {seed}, {cases} cases, {parsed} parsed):\n" + string.Join("\n", failures));
    }

    private sealed record Result(Exception? Error, bool Finished);

    private static Result Outcome(Action parse)
    {
        var task = Task.Factory.StartNew(parse, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            // A hung case keeps its thread: the run reports it and goes on, and the process ends with the test host.
            return task.Wait(HangBound) ? new Result(null, true) : new Result(null, false);
        }
        catch (AggregateException ex)
        {
            return new Result(ex.InnerException, true);
        }
    }

    private static string? Problem(Result outcome, FuzzInput input)
    {
        if (!outcome.Finished)
        {
            return $"hang: still running after {HangBound.TotalSeconds:0} s";
        }

        switch (outcome.Error)
        {
            case null:
                return null;
            case MeshException mesh:
                var text = ErrorText(mesh);
                var leaked = input.Secrets.SelectMany(Fragments).FirstOrDefault(f => text.Contains(f, StringComparison.Ordinal));
                if (leaked is not null)
                {
                    return $"{mesh.ErrorId} repeats secret material '{leaked}'\n{text}";
                }

                if (string.IsNullOrEmpty(mesh.ErrorId) || string.IsNullOrEmpty(mesh.RecommendedAction) || mesh.Target is null)
                {
                    return $"{mesh.ErrorId} lacks an id, a target or a recommended action\n{text}";
                }

                return null;
            default:
                var top = outcome.Error.StackTrace?.Split('\n').FirstOrDefault()?.Trim() ?? "?";
                return $"{outcome.Error.GetType().FullName} at {top}\n  {outcome.Error.Message}";
        }
    }

    /// <summary>Everything a user can see of an error: message, action, target and the inner exceptions' messages (Get-Error).</summary>
    public static string ErrorText(MeshException error)
    {
        var text = new StringBuilder().AppendLine(error.RecommendedAction).AppendLine(error.Target?.ToString());
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            text.AppendLine(e.Message);
        }

        return text.ToString();
    }

    /// <summary>Overlapping pieces of a secret: any leak of 2 × <see cref="Fragment"/> characters contains one.</summary>
    private static IEnumerable<string> Fragments(string secret)
    {
        for (var i = 0; i + Fragment <= secret.Length; i += Fragment / 2)
        {
            yield return secret.Substring(i, Fragment);
        }
    }

    private static int? Setting(string name) => int.TryParse(Environment.GetEnvironmentVariable(name), out var value) ? value : null;
}
