using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Sbi.Numpy;

namespace Sbi.Cli;

/// <summary>
/// The one place that turns an exception escaping a command into what the user sees and the exit code. The mapping:
/// <list type="table">
/// <item><term><see cref="UsageException"/></term><description>"sbi-net: error: message" and a hint to --help; exit 2.</description></item>
/// <item><term><see cref="OperationCanceledException"/></term><description>Ctrl-C outside training: "sbi-net: interrupted"; exit 130.</description></item>
/// <item><term>bad data and runtime failures</term><description>"sbi-net: error: message"; exit 1:
/// <see cref="ArgumentException"/>, <see cref="InvalidDataException"/> (the loaders'; not an IOException),
/// <see cref="SbiDataException"/> and every other <see cref="IOException"/> (<see cref="FileNotFoundException"/>,
/// <see cref="DirectoryNotFoundException"/>…),
/// <see cref="UnauthorizedAccessException"/>, <see cref="FormatException"/>, <see cref="JsonException"/>,
/// <see cref="TimeoutException"/>, <see cref="InvalidOperationException"/>, <see cref="NotSupportedException"/>,
/// <see cref="OverflowException"/>, <see cref="OnnxRuntimeException"/>, <see cref="ExternalException"/> (libtorch's
/// errors: only the first line, the rest is a C++ backtrace) and <see cref="OutOfMemoryException"/> (with a hint to ask
/// for less).</description></item>
/// <item><term>anything else</term><description>"sbi-net: internal error: Type: message"; exit 1.</description></item>
/// </list>
/// A stack trace follows only with --verbose.
/// </summary>
internal static class CliErrors
{
    /// <summary>The prefix of every error line.</summary>
    public const string Prefix = "sbi-net: error: ";

    /// <summary>Writes the report of <paramref name="e"/> to <paramref name="err"/> and returns the exit code.</summary>
    public static int Report(Exception e, TextWriter err, bool verbose, string helpHint)
    {
        e = Unwrap(e);
        var (code, text) = Describe(e);
        err.WriteLine(text);
        if (code == ExitCodes.Usage) err.WriteLine(helpHint);
        if (verbose) err.WriteLine(e.ToString());
        return code;
    }

    /// <summary>The exit code and the one-line message for <paramref name="e"/>.</summary>
    public static (int Code, string Text) Describe(Exception e) => e switch
    {
        UsageException => (ExitCodes.Usage, Prefix + e.Message),
        OperationCanceledException => (ExitCodes.Interrupted, "sbi-net: interrupted"),
        OutOfMemoryException => (ExitCodes.Failure, Prefix + $"out of memory ({e.Message}); ask for fewer samples or simulations (-n, --sims, --samples) or a smaller batch"),
        // TorchSharp's libtorch errors carry the C++ backtrace after the first line.
        ExternalException => (ExitCodes.Failure, Prefix + FirstLine(e.Message)),
        ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException or FormatException or JsonException or TimeoutException
            or InvalidOperationException or NotSupportedException or OverflowException or OnnxRuntimeException
            => (ExitCodes.Failure, Prefix + e.Message),
        _ => (ExitCodes.Failure, $"sbi-net: internal error: {e.GetType().FullName}: {e.Message}"),
    };

    /// <summary>Reflection and task wrappers hide the exception that says what went wrong.</summary>
    private static Exception Unwrap(Exception e)
    {
        while (true)
        {
            switch (e)
            {
                case System.Reflection.TargetInvocationException { InnerException: { } inner }: e = inner; continue;
                case TypeInitializationException { InnerException: { } inner }: e = inner; continue;
                case AggregateException a when a.InnerExceptions.Count == 1: e = a.InnerExceptions[0]; continue;
                default: return e;
            }
        }
    }

    private static string FirstLine(string message)
    {
        var line = message.Split('\n', 2)[0].TrimEnd('\r');
        return line.Length == 0 ? "libtorch failed without a message" : line;
    }
}
