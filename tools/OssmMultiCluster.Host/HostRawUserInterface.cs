using System.Management.Automation.Host;

namespace OssmMultiCluster.Host;

/// <summary>
/// A fixed-size virtual console. Its width is what Out-Default lays tables out to, so it follows
/// the terminal when there is one and is a predictable 120 columns in logs.
/// </summary>
internal sealed class HostRawUserInterface : PSHostRawUserInterface
{
    private const int RedirectedWidth = 120;
    private const int RedirectedHeight = 50;

    // pwsh on Unix reports -1 for "the terminal's own colour"; scripts that save and restore
    // colours round-trip it, and HostUserInterface never emits an escape for it.
    private const ConsoleColor TerminalDefault = (ConsoleColor)(-1);

    private static readonly Size InitialSize = new(
        TerminalDimension(() => Console.WindowWidth, RedirectedWidth),
        TerminalDimension(() => Console.WindowHeight, RedirectedHeight));

    public override ConsoleColor ForegroundColor { get; set; } = TerminalDefault;

    public override ConsoleColor BackgroundColor { get; set; } = TerminalDefault;

    public override Coordinates CursorPosition { get; set; }

    public override Coordinates WindowPosition { get; set; }

    public override int CursorSize { get; set; }

    public override Size BufferSize { get; set; } = InitialSize;

    public override Size WindowSize { get; set; } = InitialSize;

    public override Size MaxWindowSize => InitialSize;

    public override Size MaxPhysicalWindowSize => InitialSize;

    public override bool KeyAvailable => false;

    public override string WindowTitle { get; set; } = "ossm-run";

    public override KeyInfo ReadKey(ReadKeyOptions options) => throw HostUserInterface.NonInteractive("read a key");

    public override void FlushInputBuffer()
    {
    }

    public override BufferCell[,] GetBufferContents(Rectangle rectangle) =>
        throw new NotSupportedException("ossm-run writes a stream, not a screen buffer; its contents cannot be read back.");

    public override void SetBufferContents(Coordinates origin, BufferCell[,] contents) =>
        throw new NotSupportedException("ossm-run writes a stream, not a screen buffer; cells cannot be set.");

    public override void SetBufferContents(Rectangle rectangle, BufferCell fill) =>
        throw new NotSupportedException("ossm-run writes a stream, not a screen buffer; cells cannot be set.");

    public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill) =>
        throw new NotSupportedException("ossm-run writes a stream, not a screen buffer; it cannot be scrolled.");

    private static int TerminalDimension(Func<int> read, int redirected)
    {
        if (Console.IsOutputRedirected)
        {
            return redirected;
        }

        // Some terminals (and pseudo-terminals without a size) report 0 or throw.
        try
        {
            int value = read();
            return value > 0 ? value : redirected;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or PlatformNotSupportedException)
        {
            return redirected;
        }
    }
}
