namespace Sbi.Tracking;

/// <summary>
/// A tracker that keeps nothing and writes no file: the trainers' default when neither a tracker nor a summary
/// writer is passed (the in-memory <c>Summary</c> is kept either way). See the README, "Watching training".
/// </summary>
public sealed class NullTracker : ITracker
{
    /// <summary>The one instance.</summary>
    public static NullTracker Instance { get; } = new();

    private NullTracker() { }

    /// <inheritdoc/>
    public string? LogDir => null;
    /// <inheritdoc/>
    public void LogMetric(string name, double value, int? step = null) { }
    /// <inheritdoc/>
    public void LogMetrics(IReadOnlyDictionary<string, double> metrics, int? step = null) { }
    /// <inheritdoc/>
    public void LogParams(IReadOnlyDictionary<string, object?> parameters) { }
    /// <inheritdoc/>
    public void AddFigure(string name, string pngFile, int? step = null) { }
    /// <inheritdoc/>
    public void Flush() { }
}
