namespace Sbi.Cli;

/// <summary>The exit codes of sbi-net.</summary>
internal static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Success = 0;

    /// <summary>Bad data, a runtime failure or an internal error (see <see cref="CliErrors"/>).</summary>
    public const int Failure = 1;

    /// <summary>A usage error: an unknown option, a malformed or out-of-range value, a missing file.</summary>
    public const int Usage = 2;

    /// <summary>Interrupted by Ctrl-C (128 + SIGINT, the shells' convention).</summary>
    public const int Interrupted = 130;
}
