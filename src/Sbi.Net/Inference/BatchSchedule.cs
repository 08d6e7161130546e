using static TorchSharp.torch;

namespace Sbi.Inference;

/// <summary>
/// A recorded train/validation split and the row order of every training and
/// validation epoch, per <see cref="NpeBase.Train"/> call, replayed instead of NpeB's own random draws. With it and
/// the same initial weights, Sbi.Net trains on exactly the batches another run (sbi's) used, so what is left between
/// the two runs is the implementation. Where the schedule has nothing for a request (no entry for the call, epochs
/// exhausted, or a recorded order that does not fit the loader's rows) NpeB falls back to its normal random
/// behaviour and the fall-back is counted in <see cref="Fallbacks"/> with its reason. The parity harness replays sbi's
/// recorded runs with it; users can replay any run whose split and orders they recorded.
/// </summary>
public sealed class BatchSchedule
{
    /// <summary>One Train call: split (indices into all stored simulations) and per-epoch orders (absolute indices).</summary>
    public sealed record Call(long[] TrainIndices, long[] ValidationIndices, IReadOnlyList<long[]> TrainOrders, IReadOnlyList<long[]> ValidationOrders);

    private readonly IReadOnlyList<Call> _calls;
    private readonly List<string> _fallbackReasons = new();

    /// <summary>A schedule of <paramref name="calls"/>, the first for the trainer's first Train call.</summary>
    public BatchSchedule(IReadOnlyList<Call> calls) => _calls = calls ?? throw new ArgumentNullException(nameof(calls));

    /// <summary>How many splits or epoch orders were drawn at random because the schedule had none that fit.</summary>
    public int Fallbacks => _fallbackReasons.Count;

    /// <summary>Why each fall-back happened (first ones first).</summary>
    public IReadOnlyList<string> FallbackReasons => _fallbackReasons;

    /// <summary>Orders replayed so far (training and validation epochs together).</summary>
    public int ReplayedOrders { get; private set; }

    /// <summary>The recorded split of Train call <paramref name="call"/> (0-based), or null (counted) when none fits.</summary>
    internal (long[] Train, long[] Validation)? Split(int call, long n, long nTrain)
    {
        if (call >= _calls.Count) return Fallback($"call {call}: no recorded split");
        var c = _calls[call];
        if (c.TrainIndices.Length != nTrain || c.TrainIndices.Length + c.ValidationIndices.Length != n)
            return Fallback($"call {call}: recorded split {c.TrainIndices.Length}+{c.ValidationIndices.Length} does not fit {nTrain}+{n - nTrain} rows");
        var all = c.TrainIndices.Concat(c.ValidationIndices).ToArray();
        if (all.Any(i => i < 0 || i >= n) || all.Distinct().Count() != all.Length)
            return Fallback($"call {call}: recorded split is not a partition of 0..{n - 1}");
        return (c.TrainIndices, c.ValidationIndices);
    }

    /// <summary>
    /// A source of per-epoch orders for one loader of Train call <paramref name="call"/>: each invocation returns the
    /// next recorded epoch's order as a tensor of absolute row indices, or null (counted) when the recorded epochs
    /// are used up or the order is not a permutation of <paramref name="rows"/>.
    /// </summary>
    internal Func<Tensor?> Orders(int call, bool training, Tensor rows)
    {
        var orders = call < _calls.Count ? (training ? _calls[call].TrainOrders : _calls[call].ValidationOrders) : Array.Empty<long[]>();
        var expected = rows.cpu().data<long>().ToArray();
        Array.Sort(expected);
        string kind = training ? "training" : "validation";
        int epoch = 0;
        return () =>
        {
            int e = epoch++;
            if (e >= orders.Count) { Fallback($"call {call}: no recorded {kind} order for epoch {e + 1} ({orders.Count} recorded)"); return null; }
            var order = orders[e];
            var sorted = (long[])order.Clone();
            Array.Sort(sorted);
            if (!sorted.AsSpan().SequenceEqual(expected))
            {
                Fallback($"call {call}: recorded {kind} order of epoch {e + 1} is not a permutation of the loader's rows");
                return null;
            }
            ReplayedOrders++;
            return tensor(order, device: rows.device);
        };
    }

    private (long[], long[])? Fallback(string reason)
    {
        _fallbackReasons.Add(reason);
        return null;
    }
}
