using System.Collections;
using System.Globalization;
using System.Runtime.InteropServices;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sbi.Tracking;

/// <summary>
/// sbi's <c>TensorBoardTracker</c> (sbi/utils/tracking.py) on TorchSharp's <c>torch.utils.tensorboard.SummaryWriter</c>:
/// scalars with <c>add_scalar</c>, parameters with <c>add_text</c> under <c>params/&lt;name&gt;</c>, figures with
/// <c>add_img</c>. TensorBoard reads the folder (<c>tensorboard --logdir DIR</c>); <see cref="TensorBoardEvents"/> reads it
/// back in .NET.
/// <para>
/// What TorchSharp's writer does, and so what the files hold: every event is appended to the file, flushed and the file
/// closed on the spot (so <see cref="Flush"/> has nothing left to do and a crash loses nothing written); scalars are
/// float32 (TensorBoard's <c>simple_value</c>, as PyTorch writes them); an event's wall time is whole Unix seconds; the
/// first event of a file (its <c>file_version</c>) carries .NET ticks as wall time instead of seconds, which TensorBoard
/// only uses for a run's start time.
/// </para>
/// </summary>
public sealed class TensorBoardTracker : ITracker
{
    private readonly object _gate = new();

    /// <summary>A tracker on an existing writer (sbi: <c>TensorBoardTracker(summary_writer)</c>).</summary>
    public TensorBoardTracker(SummaryWriter summaryWriter)
    {
        ArgumentNullException.ThrowIfNull(summaryWriter);
        Writer = summaryWriter;
    }

    /// <summary>A tracker writing event files into <paramref name="logDir"/> (created when missing).</summary>
    /// <exception cref="ArgumentException">The folder cannot be created or written to.</exception>
    public TensorBoardTracker(string logDir) : this(CreateWriter(logDir)) { }

    /// <summary>The TorchSharp writer behind this tracker.</summary>
    public SummaryWriter Writer { get; }

    /// <inheritdoc/>
    public string? LogDir => Writer.LogDir;

    /// <summary>
    /// sbi's default tracker (sbi/inference/trainers/base.py, <c>_default_tracker</c>): a TensorBoard tracker writing to
    /// <see cref="DefaultLogDir"/>, i.e. <c>&lt;logRoot&gt;/&lt;method&gt;/&lt;ISO time&gt;</c> with <paramref name="logRoot"/>
    /// <c>./sbi-logs</c> by default (sbi/utils/io.py, <c>get_log_root</c>). Trainers use it only when asked: pass it
    /// as their <c>tracker</c>.
    /// </summary>
    /// <param name="method">The trainer's name as sbi spells it (its class name): "NPE_B".</param>
    /// <param name="logRoot">The folder holding the methods' folders; null: <c>sbi-logs</c> in the current directory.</param>
    public static TensorBoardTracker Default(string method = "NPE_B", string? logRoot = null)
        => new(DefaultLogDir(method, logRoot, DateTime.Now));

    /// <summary>
    /// <c>&lt;logRoot&gt;/&lt;method&gt;/&lt;time&gt;</c> with the time as Python's <c>datetime.now().isoformat()</c> writes it
    /// (<c>2026-11-28T14:05:09.123456</c>, no fraction when the microseconds are 0) and ':' replaced by '_', as sbi does.
    /// </summary>
    public static string DefaultLogDir(string method, string? logRoot, DateTime now)
    {
        if (string.IsNullOrWhiteSpace(method))
            throw new ArgumentException($"method must name the trainer (e.g. \"NPE_B\"); got '{method}'.", nameof(method));
        if (method.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || method.Contains('/') || method == "." || method == "..")
            throw new ArgumentException($"method must be a plain folder name; got '{method}'.", nameof(method));
        var root = logRoot ?? Path.Combine(Directory.GetCurrentDirectory(), "sbi-logs");
        return Path.Combine(root, method, IsoTime(now).Replace(':', '_'));
    }

    /// <summary>Python's <c>datetime.isoformat()</c> of a naive local time.</summary>
    internal static string IsoTime(DateTime t)
    {
        long micro = t.Ticks / 10 % 1_000_000;
        var s = t.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        return micro == 0 ? s : s + "." + micro.ToString("D6", CultureInfo.InvariantCulture);
    }

    /// <inheritdoc/>
    public void LogMetric(string name, double value, int? step = null)
    {
        CheckTag(name, nameof(name));
        // TensorBoard's simple_value is a float32, as PyTorch's add_scalar writes it.
        lock (_gate) Writer.add_scalar(name, (float)value, step ?? 0);
    }

    /// <inheritdoc/>
    public void LogMetrics(IReadOnlyDictionary<string, double> metrics, int? step = null)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        foreach (var (name, value) in metrics) LogMetric(name, value, step);
    }

    /// <inheritdoc/>
    public void LogParams(IReadOnlyDictionary<string, object?> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        foreach (var (name, value) in parameters)
        {
            CheckTag(name, nameof(parameters));
            // No step, as sbi's add_text call: TensorBoard's step 0.
            lock (_gate) Writer.add_text(TrackerTags.ParamsPrefix + name, ParamText(value), 0);
        }
    }

    /// <summary>
    /// Logs a PNG file as a TensorBoard image. TorchSharp decodes and re-encodes it with SkiaSharp, whose native library
    /// a Linux application brings with the package <c>SkiaSharp.NativeAssets.Linux.NoDependencies</c> (the plotting
    /// code of Sbi.Net references it).
    /// </summary>
    /// <exception cref="ArgumentException">The file is missing or is not a PNG.</exception>
    /// <exception cref="InvalidOperationException">SkiaSharp's native library cannot be loaded (see <see cref="CanAddFigures"/>).</exception>
    public void AddFigure(string name, string pngFile, int? step = null)
    {
        CheckTag(name, nameof(name));
        if (string.IsNullOrEmpty(pngFile) || !File.Exists(pngFile))
            throw new ArgumentException($"pngFile must be an existing PNG file; '{pngFile}' does not exist.", nameof(pngFile));
        if (!IsPng(pngFile))
            throw new ArgumentException($"pngFile must be a PNG file; '{pngFile}' does not start with the PNG signature.", nameof(pngFile));
        // Checked before TorchSharp touches SkiaSharp: without the native library SkiaSharp's objects fail in their
        // type initialiser, and a half-built one then throws again from its finalizer, which ends the process.
        if (SkiaProblem.Value is { } problem) throw new InvalidOperationException(problem);
        lock (_gate) Writer.add_img(name, pngFile, step ?? 0);
    }

    /// <summary>Whether <see cref="AddFigure"/> can work here: SkiaSharp's native library loads.</summary>
    public static bool CanAddFigures => SkiaProblem.Value is null;

    private static readonly Lazy<string?> SkiaProblem = new(() =>
        // The same probing as SkiaSharp's own P/Invokes (the application's native assets, then the system's).
        NativeLibrary.TryLoad("libSkiaSharp", typeof(SummaryWriter).Assembly, null, out _) ? null
            : "AddFigure needs SkiaSharp's native library libSkiaSharp (TorchSharp's add_img decodes the PNG with it), and it " +
              "cannot be loaded here; reference the package SkiaSharp.NativeAssets.Linux.NoDependencies in the application.");

    /// <summary>Nothing to do: TorchSharp's writer flushes and closes the file after every event.</summary>
    public void Flush() { }

    /// <summary>Python's <c>str(value)</c> closely enough for TensorBoard's text tab (invariant culture).</summary>
    internal static string ParamText(object? value) => value switch
    {
        null => "None",
        string s => s,
        bool b => b ? "True" : "False",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable e => "[" + string.Join(", ", e.Cast<object?>().Select(ParamText)) + "]",
        _ => value.ToString() ?? "",
    };

    private static void CheckTag(string tag, string argument)
    {
        if (string.IsNullOrEmpty(tag)) throw new ArgumentException($"a tag name must be non-empty; got '{tag}'.", argument);
    }

    private static bool IsPng(string file)
    {
        ReadOnlySpan<byte> signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        Span<byte> head = stackalloc byte[8];
        using var f = File.OpenRead(file);
        return f.ReadAtLeast(head, 8, throwOnEndOfStream: false) == 8 && head.SequenceEqual(signature);
    }

    private static SummaryWriter CreateWriter(string logDir)
    {
        if (string.IsNullOrWhiteSpace(logDir)) throw new ArgumentException($"logDir must name a folder; got '{logDir}'.", nameof(logDir));
        try
        {
            return utils.tensorboard.SummaryWriter(logDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"logDir '{logDir}' cannot hold TensorBoard event files: {e.Message}", nameof(logDir), e);
        }
    }
}
