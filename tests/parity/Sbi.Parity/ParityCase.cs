using Sbi.Parity.Checks;
using Sbi.Parity.Data;
using Sbi.Parity.Reference;

namespace Sbi.Parity;

/// <summary>How a case gets sbi's side: from a committed fixture, or from the live Python reference.</summary>
public enum ParityMode { Recorded, Live }

/// <summary>
/// One parity case: which Sbi.Net estimator it needs, how to obtain sbi's outputs in each mode (null: the mode
/// does not apply), and the check that compares Sbi.Net against them.
/// </summary>
public sealed record ParityCase(
    string Id,
    string Group,
    string Estimator,
    Func<ParitySources, ArrayBundle>? Recorded,
    Func<ParitySources, ArrayBundle>? Live,
    Func<ParitySources, ArrayBundle, IReadOnlyList<CaseResult>> Check,
    bool Slow = false)
{
    public override string ToString() => Id;

    public bool Supports(ParityMode mode) => mode == ParityMode.Recorded ? Recorded is not null : Live is not null;
}

/// <summary>Fixture and live-reply access for a run, each loaded once (several cases share a file or a reply).</summary>
public sealed class ParitySources
{
    private readonly Dictionary<string, ArrayBundle> _cache = new();
    private readonly Dictionary<string, Exception> _failed = new();

    public ParitySources(SbiReference reference, string? fixturesDir = null)
    {
        Reference = reference;
        FixturesDir = fixturesDir ?? ParityPaths.Fixtures();
    }

    public SbiReference Reference { get; }
    public string FixturesDir { get; }

    /// <summary>Everything loaded so far (for reporting the versions behind a run).</summary>
    public IReadOnlyList<ArrayBundle> Loaded
    {
        get { lock (_cache) return _cache.Values.ToList(); }
    }

    public ArrayBundle Fixture(string file) => Cached("fixture:" + file, () => ArrayBundle.FromFixture(Path.Combine(FixturesDir, file)));

    /// <summary>A live reply, cached per request so that e.g. log-prob and sampling cases share one sbi training.</summary>
    public ArrayBundle Live(string caseName, object args, IReadOnlyDictionary<string, Sbi.Numpy.NpyArray>? inputs = null, TimeSpan? timeout = null, string? cacheKey = null)
        => Cached($"live:{caseName}:{cacheKey ?? System.Text.Json.JsonSerializer.Serialize(args)}", () =>
        {
            var reply = Reference.Request(caseName, args, inputs, timeout);
            return new ArrayBundle(reply.Arrays, "live", reply.Versions, reply.Info);
        });

    private ArrayBundle Cached(string key, Func<ArrayBundle> load)
    {
        lock (_cache)
        {
            // A failure is remembered too: the cases sharing a reply (loss and step) must not repeat a long timeout.
            if (_failed.TryGetValue(key, out var error)) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
            if (_cache.TryGetValue(key, out var b)) return b;
            try { return _cache[key] = load(); }
            catch (Exception e) { _failed[key] = e; throw; }
        }
    }
}
