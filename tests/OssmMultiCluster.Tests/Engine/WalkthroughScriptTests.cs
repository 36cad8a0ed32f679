using System.Text.RegularExpressions;
using OssmMultiCluster.Tests.Support;

namespace OssmMultiCluster.Tests.Engine;

/// <summary>
/// bench/walkthrough-steps.sh is the reference side of bench/end-to-end.ps1: it must be the walkthrough's own steps
/// 4-10, 12 and 14 as its authors wrote them, so that the benchmark compares the module with the real thing.
/// </summary>
public sealed class WalkthroughScriptTests
{
    private static readonly string ScriptPath = Path.Combine(ModuleEngine.RepoRoot, "bench", "walkthrough-steps.sh");

    [Theory]
    [InlineData("${root_ca_dir}/root-ca.conf")]
    [InlineData("${int_ca_dir}/intermediate.conf")]
    [InlineData("${cluster}-config/smcp.yaml")]
    [InlineData("${cluster}-config/eastwest-gateway.yaml")]
    [InlineData("kubeconfigs/istio-reader-service-account-west-cluster.kubeconfig")]
    [InlineData("kubeconfigs/istio-reader-service-account-east-cluster.kubeconfig")]
    public void Heredocs_are_the_walkthroughs_byte_for_byte(string target)
    {
        var lines = File.ReadAllLines(ScriptPath);
        var start = Array.FindIndex(lines, l => l.Trim() == "cat <<EOF > " + target);
        Assert.True(start >= 0, $"no heredoc for {target} in the script");
        var end = Array.FindIndex(lines, start + 1, l => l == "EOF");
        Assert.True(end > start, $"the heredoc for {target} does not end with an EOF line");
        Assert.Equal(WalkthroughText.Heredoc(target), string.Join("\n", lines[(start + 1)..end]) + "\n");
    }

    [Fact]
    public void Every_line_of_steps_4_to_10_12_and_14_is_in_the_script_in_order()
    {
        var script = File.ReadAllLines(ScriptPath).Select(l => l.Trim()).ToList();
        var steps = WalkthroughSteps();
        Assert.Equal(new[] { 4, 5, 6, 7, 8, 9, 10, 12, 14 }, steps.Keys.Where(n => n is >= 4 and <= 10 or 12 or 14).ToArray());
        var position = 0;
        foreach (var step in new[] { 4, 5, 6, 7, 8, 9, 10, 12, 14 })
        {
            Assert.NotEmpty(steps[step]);
            foreach (var line in steps[step])
            {
                var found = script.IndexOf(line, position);
                Assert.True(found >= 0, $"step {step}'s line '{line}' is not in the script after line {position + 1}");
                position = found + 1;
            }
        }
    }

    [Fact]
    public void Script_parses_as_bash()
    {
        var (code, _, stderr) = Processes.Run("bash", new[] { "-n", ScriptPath });
        Assert.True(code == 0, stderr);
    }

    /// <summary>
    /// The code lines of each installation step, trimmed, by the walkthrough's numbering (its second list, after step
    /// 11, goes on as 12, 13, ...); the prose sentences inside steps are left out.
    /// </summary>
    private static Dictionary<int, List<string>> WalkthroughSteps()
    {
        var lines = File.ReadAllLines(WalkthroughText.Path);
        var first = Array.FindIndex(lines, l => l.Trim() == "Installation steps");
        var steps = new Dictionary<int, List<string>>();
        List<string>? current = null;
        var offset = 0;
        var previous = 0;
        foreach (var line in lines.Skip(first + 1))
        {
            if (line.StartsWith("Next steps", StringComparison.Ordinal))
            {
                break;
            }

            var header = Regex.Match(line, @"^  (\d+)\. ");
            if (header.Success)
            {
                var number = int.Parse(header.Groups[1].Value);
                if (number <= previous)
                {
                    offset += previous;
                }

                previous = number;
                steps[number + offset] = current = new List<string>();
                continue;
            }

            var text = line.Trim();
            if (current is null || text.Length == 0 || line.Length - line.TrimStart().Length < 4 || Regex.IsMatch(text, @"^[A-Z][^=]*\.$"))
            {
                continue;
            }

            current.Add(text);
        }

        return steps;
    }
}
