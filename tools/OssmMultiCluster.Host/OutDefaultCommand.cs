using System.Management.Automation;

namespace OssmMultiCluster.Host;

/// <summary>
/// Out-Default that still renders what it holds back when the script throws or calls <c>exit</c>.
/// Never registered in the session: the host adds it to the pipeline by <see cref="CmdletInfo"/>.
/// </summary>
/// <remarks>
/// Out-Default delays table rows briefly to size the columns. A terminating error or <c>exit</c>
/// disposes the pipeline without ending it, so pwsh silently drops those rows (PowerShell issue
/// #13985); in a CI log that hides the output leading up to the failure. Ending the wrapped
/// Out-Default from <see cref="Dispose"/> prints them before the error is reported.
/// </remarks>
[Cmdlet(VerbsData.Out, "OssmRunDefault")]
public sealed class OutDefaultCommand : Cmdlet, IDisposable
{
    private SteppablePipeline? _outDefault;
    private bool _ended;

    [Parameter(ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    protected override void BeginProcessing()
    {
        _outDefault = ScriptBlock.Create(@"Microsoft.PowerShell.Core\Out-Default").GetSteppablePipeline();
        _outDefault.Begin(this);
    }

    protected override void ProcessRecord() => _outDefault!.Process(InputObject);

    protected override void EndProcessing()
    {
        _ended = true;
        _outDefault!.End();
    }

    // After Ctrl+C the user wants the run to stop, not more output.
    protected override void StopProcessing() => _ended = true;

    public void Dispose()
    {
        if (_outDefault is null)
        {
            return;
        }

        if (!_ended)
        {
            _ended = true;
            try
            {
                _outDefault.End();
            }
            catch (Exception)
            {
                // Best effort: the failure that ended the pipeline is what gets reported, not this.
            }
        }

        _outDefault.Dispose();
    }
}
