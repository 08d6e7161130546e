namespace Sbi.Cli;

/// <summary>
/// A usage error found after parsing (an option's value that does not fit the data, a missing input file): reported
/// like a parse error, "sbi-net: error: …" and a hint to --help, exit code 2.
/// </summary>
internal sealed class UsageException : Exception
{
    public UsageException(string message) : base(message) { }
}
