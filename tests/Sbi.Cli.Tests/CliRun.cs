using System.Diagnostics;

namespace Sbi.Cli.Tests;

/// <summary>One in-process run of sbi-net: exit code, captured stdout and stderr, wall time.</summary>
internal sealed record CliRun(int Code, string Out, string Err, TimeSpan Elapsed)
{
    /// <summary>Runs <c>sbi-net <paramref name="args"/></c> through <see cref="Cli.Run"/> with captured writers.</summary>
    public static CliRun Of(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var clock = Stopwatch.StartNew();
        int code = Cli.Run(args, output, error);
        return new CliRun(code, output.ToString(), error.ToString(), clock.Elapsed);
    }

    /// <summary>Lines of a .NET stack trace.</summary>
    public bool HasStackTrace => Err.Split('\n').Any(l => l.StartsWith("   at ", StringComparison.Ordinal));

    public override string ToString() => $"exit {Code}\n--- stdout\n{Out}--- stderr\n{Err}";
}
