using System.Diagnostics;
using Sbi.Onnx.Runtime;

namespace Sbi.Bench;

/// <summary>Throughput of one posterior package through ONNX Runtime (see <see cref="OnnxBench.Run"/>).</summary>
/// <param name="Estimator">Estimator kind.</param>
/// <param name="D">θ dimension.</param>
/// <param name="N">Draws / log-densities per timed call.</param>
/// <param name="IntraOpThreads">ONNX Runtime intra-op threads.</param>
/// <param name="Provider">Execution provider used.</param>
/// <param name="SampleSeconds">Best wall time of <c>Sample(N, x)</c> (rejection included).</param>
/// <param name="SamplesPerSecond">N / SampleSeconds.</param>
/// <param name="GraphSamplesPerSecond">Raw estimator draws per second (random numbers + graph, no rejection).</param>
/// <param name="LogProbSeconds">Best wall time of N raw log-densities at one x.</param>
/// <param name="LogProbsPerSecond">N / LogProbSeconds.</param>
/// <param name="Acceptance">Fraction of raw draws inside the prior support during the timed sampling.</param>
/// <param name="SampleFlopsPerDraw">Floating-point operations per raw draw from the manifest notes (MAF only), else null.</param>
/// <param name="NormalizedLogProb10kSeconds">
/// Wall time of <c>LogProb</c> of 10,000 θ at a new x with leakage correction, i.e. including the
/// 10,000-accepted-sample acceptance estimate — what sbi's DirectPosterior.log_prob does for an x that
/// is not its default x.</param>
public sealed record BenchResult(string Estimator, int D, int N, int IntraOpThreads, string Provider,
    double SampleSeconds, double SamplesPerSecond, double GraphSamplesPerSecond,
    double LogProbSeconds, double LogProbsPerSecond, double Acceptance, long? SampleFlopsPerDraw,
    double NormalizedLogProb10kSeconds)
{
    /// <summary>Achieved GFLOP/s of the raw sampler (null when the FLOP count is unknown).</summary>
    public double? SampleGflops => SampleFlopsPerDraw is long f ? f * GraphSamplesPerSecond / 1e9 : null;

    /// <inheritdoc />
    public override string ToString() =>
        $"{Estimator} D={D} threads={IntraOpThreads} ({Provider}): sample {N:N0} in {SampleSeconds:F3} s = {SamplesPerSecond:N0}/s " +
        $"(raw graph {GraphSamplesPerSecond:N0}/s{(SampleGflops is double g ? $", {g:F2} GFLOP/s" : "")}, acceptance {Acceptance:P1}); " +
        $"log_prob {N:N0} in {LogProbSeconds:F3} s = {LogProbsPerSecond:N0}/s; " +
        $"10,000 leakage-corrected log-probs at a new x in {NormalizedLogProb10kSeconds:F3} s";
}

/// <summary>
/// Benchmark entry point for <c>sbi-net bench sample</c>: times sampling and log-density evaluation of
/// an exported posterior package at one x. Not a unit test: run it on a quiet machine.
/// </summary>
public static class OnnxBench
{
    /// <summary>Times <paramref name="n"/> samples and log-densities with <paramref name="threads"/> intra-op threads (best of <paramref name="repeats"/>).</summary>
    /// <param name="packageDir">Package written by <c>Sbi.Onnx.Export.PosteriorExporter</c>.</param>
    /// <param name="n">Samples and log-densities per timed call (default 100,000).</param>
    /// <param name="threads">ONNX Runtime intra-op threads (default 1).</param>
    /// <param name="x">Observation; default: the x z-scoring mean from the manifest (a typical x), else zeros.</param>
    /// <param name="repeats">Timed repetitions; the fastest is reported.</param>
    /// <param name="useCuda">Request the CUDA execution provider.</param>
    public static BenchResult Run(string packageDir, int n = 100_000, int threads = 1, float[]? x = null, int repeats = 3, bool useCuda = false)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "n must be positive.");
        if (repeats <= 0) throw new ArgumentOutOfRangeException(nameof(repeats), repeats, "repeats must be positive.");
        using var post = OnnxPosterior.Load(packageDir, new OnnxPosteriorOptions { IntraOpThreads = threads, UseCuda = useCuda });
        x ??= post.Manifest.ZScore["x"]?["mean"]?.AsArray().Select(v => v!.GetValue<float>()).ToArray() ?? new float[post.C];
        var rng = new Random(1234);
        var raw = new float[n * post.D];

        post.Sample(Math.Min(n, 1000), x, rng); // warm-up: session initialisation, buffer pool
        double sampleS = Best(repeats, () => post.Sample(n, x, rng));
        double graphS = Best(repeats, () => post.SampleUnconstrained(n, x, rng, raw));
        int inside = 0;
        for (int s = 0; s < n; s++) if (post.Prior.InSupport(raw.AsSpan(s * post.D, post.D))) inside++;
        var lp = new float[n];
        post.RawLogProb(raw, Math.Min(n, 1000), x, lp);
        double lpS = Best(repeats, () => post.RawLogProb(raw, n, x, lp));

        // sbi-style normalised log_prob at a fresh x: the leakage estimate is part of the cost.
        var theta = new float[10_000, post.D];
        Buffer.BlockCopy(raw, 0, theta, 0, Math.Min(raw.Length, theta.Length) * sizeof(float));
        double normS = Best(repeats, () =>
        {
            using var fresh = OnnxPosterior.Load(packageDir, new OnnxPosteriorOptions { IntraOpThreads = threads, UseCuda = useCuda, Log = _ => { } });
            fresh.LogProb(theta, x);
        });

        long? flops = post.Manifest.Notes["sample_flops_per_draw"]?.GetValue<long>();
        return new BenchResult(post.Manifest.EstimatorName, post.D, n, threads, post.ExecutionProvider,
            sampleS, n / sampleS, n / graphS, lpS, n / lpS, (double)inside / n, flops, normS);
    }

    private static double Best(int repeats, Action a)
    {
        double best = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            a();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return best;
    }
}
