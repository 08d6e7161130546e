namespace Sbi.Parity.Reference;

/// <summary>The Python reference failed a request: timeout, crash, or a Python exception (message + traceback/stderr).</summary>
public sealed class ReferenceException : Exception
{
    public ReferenceException(string message, string details)
        : base(details.Length == 0 ? message : $"{message}\n--- reference output ---\n{details}")
    {
        Details = details;
    }

    /// <summary>The Python traceback or the tail of the host's stderr.</summary>
    public string Details { get; }
}
