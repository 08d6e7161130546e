namespace Sbi.Utils;

/// <summary>
/// An <see cref="IProgress{T}"/> that runs its handler on the reporting thread, at once. <see cref="Progress{T}"/>
/// posts each report to the captured synchronisation context, or to the thread pool where there is none (a console
/// program, a service, a test), so its lines can arrive after the training they describe has moved on, or out of order;
/// use <see cref="Progress{T}"/> where a GUI's thread must draw, this where the reports should be handled as they happen.
/// </summary>
public sealed class InlineProgress<T> : IProgress<T>
{
    private readonly Action<T> _handler;

    /// <summary>Calls <paramref name="handler"/> with every report.</summary>
    public InlineProgress(Action<T> handler) => _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    /// <inheritdoc/>
    public void Report(T value) => _handler(value);
}
