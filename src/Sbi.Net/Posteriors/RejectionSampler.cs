using System.Diagnostics;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Posteriors;

/// <summary>
/// sbi's <c>accept_reject_sample</c> for one condition (spec §6.2): draw candidates in batches, keep those the
/// predicate accepts, adapt the batch size to the observed acceptance, warn once at low acceptance.
/// </summary>
public static class RejectionSampler
{
    /// <summary>The result: exactly the requested rows (or fewer on a partial timeout) and the acceptance rate.</summary>
    public readonly record struct Result(Tensor Samples, double Acceptance, long Proposed, long Accepted);

    /// <summary>
    /// Draws <paramref name="num"/> accepted rows. <paramref name="propose"/> returns candidates (batch, D);
    /// <paramref name="accept"/> returns a bool mask (batch). Runs inside dispose scopes; without a time limit a
    /// near-zero acceptance can loop for very long, exactly as sbi does, so set <paramref name="maxSamplingTime"/>.
    /// </summary>
    public static Result Sample(long num, Func<long, Tensor> propose, Func<Tensor, Tensor> accept, int maxSamplingBatchSize,
                                TimeSpan? maxSamplingTime, bool returnPartialOnTimeout, SbiLog log, string warningContext,
                                Action<long, long>? progress = null)
    {
        Guard.Positive(num, nameof(num));
        Guard.Positive(maxSamplingBatchSize, nameof(maxSamplingBatchSize));
        var kept = new List<Tensor>();
        long remaining = num, batch = Math.Min(num, maxSamplingBatchSize), accepted = 0, proposed = 0;
        bool warned = false;
        var clock = Stopwatch.StartNew();
        try
        {
            while (remaining > 0)
            {
                if (maxSamplingTime is { } limit && clock.Elapsed > limit)
                {
                    if (returnPartialOnTimeout && accepted > 0)
                    {
                        log.Warning($"Sampling timed out after {clock.Elapsed.TotalSeconds:F1} s; returning {accepted} of {num} samples.");
                        break;
                    }
                    throw new TimeoutException(
                        $"Rejection sampling exceeded max_sampling_time ({limit.TotalSeconds:F1} s) with {accepted} of {num} samples accepted " +
                        $"(acceptance {(proposed > 0 ? (double)accepted / proposed : 0):G3}).");
                }
                using (var scope = NewDisposeScope())
                {
                    var cand = propose(batch);
                    var ok = accept(cand);
                    var rows = cand.index(ok);
                    long n = rows.shape[0];
                    if (n > 0) kept.Add(rows.DetachFromDisposeScope());
                    accepted += n;
                    proposed += batch;
                    remaining -= n;
                }
                double acc = (double)accepted / proposed;
                progress?.Invoke(Math.Min(accepted, num), num);
                batch = Math.Min(maxSamplingBatchSize, Math.Max((long)(1.5 * remaining / Math.Max(acc, 1e-12)), 100));
                if (!warned && proposed >= 1000 && acc < 0.01)
                {
                    warned = true;
                    log.Warning($"{warningContext}: only {acc:P3} of proposed samples are accepted. It may take a long time to collect the " +
                                "remaining samples. Consider setting maxSamplingTime, rejectOutsidePrior: false, or another sampling method.");
                }
            }
            using var cat0 = kept.Count > 0 ? cat(kept, 0) : empty(0);
            var result = cat0.shape[0] > num ? cat0.narrow(0, 0, num).clone() : cat0.clone();
            return new Result(result, proposed > 0 ? (double)accepted / proposed : 0.0, proposed, accepted);
        }
        finally
        {
            foreach (var t in kept) t.Dispose();
        }
    }
}
