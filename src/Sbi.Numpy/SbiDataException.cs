namespace Sbi.Numpy;

/// <summary>
/// The one base of Sbi.Net's "bad data" errors: a file or dataset that is malformed, corrupt (a checksum mismatch),
/// over a reader limit (nesting, size, element counts), or inconsistent with itself (a config that does not match
/// its weights). An <see cref="IOException"/> (<see cref="InvalidDataException"/>, the BCL's own, is sealed), so code
/// that catches I/O errors catches it. The message names the file (and member) and says what was expected and what
/// was found. Bad arguments stay <see cref="ArgumentException"/>s; the CLI reports both, and the BCL's
/// <see cref="InvalidDataException"/>, as errors with exit code 1 and no stack trace.
/// </summary>
public class SbiDataException : IOException
{
    /// <summary>An error about <paramref name="source"/> (a path, or a description such as "&lt;stream&gt;").</summary>
    public SbiDataException(string? source, string message, Exception? inner = null)
        : base(source is null ? message : $"{source}: {message}", inner)
    {
        SourceName = source;
    }

    /// <summary>The file or stream the error is about, or null.</summary>
    public string? SourceName { get; }
}
