using Microsoft.Extensions.Logging;
using Sbi.Posteriors;
using Sbi.Utils;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Diagnostics;

/// <summary>The checks and the posterior draws SBC and TARP share (sbi/utils/diagnostics_utils.py).</summary>
internal static class DiagnosticInputs
{
    /// <summary>
    /// θ (N, D) and x (N, …) checked to pair up, with the rows whose x holds NaN or ±inf dropped and a warning saying
    /// how many (sbi's <c>remove_nans_and_infs_in_x</c>). Returns float32 copies on the CPU, where the ranks and
    /// coverages are counted (the posterior moves x to its own device).
    /// </summary>
    public static (Tensor Thetas, Tensor Xs) Pair(Tensor thetas, Tensor xs, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(thetas);
        ArgumentNullException.ThrowIfNull(xs);
        if (thetas.dim() != 2 || thetas.shape[0] == 0 || thetas.shape[1] == 0)
            throw new ArgumentException($"thetas must have shape (N, D) with N, D ≥ 1; got {Guard.Shape(thetas)}.", nameof(thetas));
        if (xs.dim() < 2)
            throw new ArgumentException($"xs must have shape (N, *x_shape), one observation per row of thetas; got {Guard.Shape(xs)}.", nameof(xs));
        if (xs.shape[0] != thetas.shape[0])
            throw new ArgumentException($"xs must have one row per row of thetas: thetas has {thetas.shape[0]} rows, xs has {xs.shape[0]} " +
                                        "(unequal number of parameters and observations).", nameof(xs));
        Guard.Finite(thetas, nameof(thetas));
        using var scope = NewDisposeScope();
        var valid = xs.isfinite().reshape(xs.shape[0], -1).all(1);
        long kept = valid.sum().item<long>();
        if (kept == 0) throw new ArgumentException($"xs must hold at least one finite row; all {xs.shape[0]} hold NaN or inf.", nameof(xs));
        var th = thetas.to(ScalarType.Float32, CPU);
        var x = xs.to(ScalarType.Float32, CPU);
        if (kept < xs.shape[0])
        {
            long bad = xs.shape[0] - kept;
            logger.LogWarning(LogEvents.Diagnostics, $"Found {bad} observation(s) with NaN or inf in xs. These will be ignored below. Beware that only {kept} / {xs.shape[0]} samples are left.");
            var idx = valid.nonzero().squeeze(1).cpu();
            th = th.index_select(0, idx);
            x = x.index_select(0, idx);
        }
        return (th.clone().MoveToOuterDisposeScope(), x.clone().MoveToOuterDisposeScope());
    }

    /// <summary>
    /// <paramref name="numPosteriorSamples"/> posterior draws for every observation, (L, N, D), through the posterior's
    /// batched sampling (sbi's <c>get_posterior_samples_on_batch</c> with <c>use_batched_sampling=True</c>), in chunks
    /// of <paramref name="observationBatchSize"/> observations. By default a chunk holds 100,000 / L observations, the
    /// rows one proposal batch of sbi's (and <see cref="DirectPosterior"/>'s) batched rejection sampler takes: each
    /// chunk's draws then come from one proposal batch where the prior's support holds them all, where one call for
    /// all N observations would need N·L / 100,000 batches with a per-observation bookkeeping step each.
    /// </summary>
    public static Tensor PosteriorSamples(IPosterior posterior, Tensor xs, int numPosteriorSamples, int? observationBatchSize, int dim)
    {
        ArgumentNullException.ThrowIfNull(posterior);
        Guard.Positive(numPosteriorSamples, nameof(numPosteriorSamples));
        long n = xs.shape[0];
        long chunk = observationBatchSize ?? Math.Max(1, 100_000 / numPosteriorSamples);
        Guard.Positive(chunk, nameof(observationBatchSize));
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        for (long start = 0; start < n; start += chunk)
        {
            var part = posterior.SampleBatched(numPosteriorSamples, xs.narrow(0, start, Math.Min(chunk, n - start)));
            parts.Add(part.to(ScalarType.Float32, CPU));
        }
        var samples = parts.Count == 1 ? parts[0] : cat(parts, 1);
        if (samples.dim() != 3 || samples.shape[0] != numPosteriorSamples || samples.shape[1] != n || samples.shape[2] != dim)
            throw new InvalidOperationException($"the posterior's SampleBatched returned shape {Guard.Shape(samples)}; expected ({numPosteriorSamples}, {n}, {dim}) " +
                                                "(is thetas' D the posterior's?).");
        return samples.MoveToOuterDisposeScope();
    }
}
