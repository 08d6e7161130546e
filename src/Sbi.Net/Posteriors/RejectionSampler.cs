using Microsoft.Extensions.Logging;
using System.Diagnostics;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Posteriors;

/// <summary>
/// sbi's <c>accept_reject_sample</c> for one condition (sbi/samplers/rejection/rejection.py): draw candidates in batches, keep those the
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
                                TimeSpan? maxSamplingTime, bool returnPartialOnTimeout, ILogger logger, string warningContext,
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
                        logger.LogWarning(LogEvents.Sampling, $"Sampling timed out after {clock.Elapsed.TotalSeconds:F1} s; returning {accepted} of {num} samples.");
                        break;
                    }
                    throw SamplingTimeout.Create(warningContext, limit, accepted, num, proposed);
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
                    logger.LogWarning(LogEvents.Sampling, $"{warningContext}: only {acc:P3} of proposed samples are accepted. It may take a long time to collect the " +
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

    /// <summary>
    /// The batched form (sbi's <c>accept_reject_sample</c> with a batch of conditions): <paramref name="propose"/>
    /// returns candidates (batch, B, D) for all B conditions at once, <paramref name="accept"/> a mask (batch, B); draws
    /// until every condition has <paramref name="num"/> accepted rows and returns them as (num, B, D). The batch size
    /// follows the lowest acceptance among the conditions still short; a warning is given once below 1 %.
    /// </summary>
    public static Tensor SampleBatched(long num, long conditions, Func<long, Tensor> propose, Func<Tensor, Tensor> accept, int maxSamplingBatchSize,
                                       TimeSpan? maxSamplingTime, ILogger logger, string warningContext)
    {
        Guard.Positive(num, nameof(num));
        Guard.Positive(conditions, nameof(conditions));
        Guard.Positive(maxSamplingBatchSize, nameof(maxSamplingBatchSize));
        var kept = Enumerable.Range(0, (int)conditions).Select(_ => new List<Tensor>()).ToArray();
        var accepted = new long[conditions];
        long proposed = 0, batch = Math.Min(num, maxSamplingBatchSize);
        bool warned = false;
        var clock = Stopwatch.StartNew();
        try
        {
            while (accepted.Any(a => a < num))
            {
                if (maxSamplingTime is { } limit && clock.Elapsed > limit)
                {
                    int slowest = Array.IndexOf(accepted, accepted.Min());
                    throw SamplingTimeout.Create($"{warningContext} (slowest x: row {slowest})", limit, accepted[slowest], num, proposed);
                }
                using (var scope = NewDisposeScope())
                {
                    var cand = propose(batch);              // (batch, B, D)
                    var ok = accept(cand).cpu().to(ScalarType.Bool);   // (batch, B)
                    // sum(dim: 0), not sum(0): a literal 0 converts to ScalarType and would pick sum(type: Byte), the total count mod 256.
                    var counts = ok.sum(dim: 0).data<long>().ToArray();
                    for (int j = 0; j < conditions; j++)
                    {
                        if (accepted[j] >= num || counts[j] == 0) continue;
                        var rows = cand.select(1, j).index(ok.select(1, j).to(cand.device));
                        long take = Math.Min(rows.shape[0], num - accepted[j]);
                        kept[j].Add(rows.narrow(0, 0, take).clone().DetachFromDisposeScope());
                        accepted[j] += take;
                    }
                    proposed += batch;
                    double minAcc = Enumerable.Range(0, (int)conditions).Where(j => accepted[j] < num)
                        .Select(j => counts[j] / (double)batch).DefaultIfEmpty(1).Min();
                    long remaining = accepted.Max(a => num - a);
                    batch = Math.Min(maxSamplingBatchSize, Math.Max((long)(1.5 * remaining / Math.Max(minAcc, 1e-12)), 100));
                    if (!warned && proposed >= 1000 && minAcc < 0.01)
                    {
                        warned = true;
                        logger.LogWarning(LogEvents.Sampling, $"{warningContext}: only {minAcc:P3} of proposed samples are accepted for some x. It may take a long time to collect the " +
                                    "remaining samples. Consider setting maxSamplingTime, rejectOutsidePrior: false, or another sampling method.");
                    }
                }
            }
            using var scope2 = NewDisposeScope();
            var perCondition = kept.Select(k => cat(k, 0)).ToArray();   // (num, D) each
            return stack(perCondition, 1).MoveToOuterDisposeScope();
        }
        finally
        {
            foreach (var list in kept) foreach (var t in list) t.Dispose();
        }
    }
}
