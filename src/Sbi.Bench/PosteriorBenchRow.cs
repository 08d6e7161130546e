using Sbi.Samplers;

namespace Sbi.Bench;

/// <summary>One method's result in <c>sbi-net bench posteriors</c> (<see cref="PosteriorBench.RunMethod"/>).</summary>
/// <param name="Method">The method (<see cref="PosteriorBenchSettings.AllMethods"/>).</param>
/// <param name="Requested">Samples asked for.</param>
/// <param name="Drawn">Samples returned (fewer than requested only where rejection sampling hit its time limit, or on failure: 0).</param>
/// <param name="Seconds">Wall time of the timed <c>Sample</c> call (for MCMC: initialisation, warm-up and draws; for VI: training q, then sampling).</param>
/// <param name="C2stAnalytic">C2ST of the samples against exact posterior draws, or null (too few samples, or a failure).</param>
/// <param name="Acceptance">Accepted over proposed: direct (the estimator's mass inside the prior) and rejection.</param>
/// <param name="EffectiveSampleSize">Importance: Kish's effective sample size of <see cref="WeightCount"/> fresh proposal draws' weights.</param>
/// <param name="ParetoK">Importance: the PSIS Pareto-k̂ of those weights; VI: of p̃/q on q's draws (above 0.7 the estimates are unreliable).</param>
/// <param name="WeightCount">Importance: how many weights the diagnostics were computed on.</param>
/// <param name="Mcmc">MCMC: split-R̂, bulk ESS, acceptance and divergences of the run.</param>
/// <param name="TimedOut">Whether rejection sampling stopped at its time limit.</param>
/// <param name="Failure">Why the method failed (the exception's message), or null.</param>
/// <param name="TrainingSeconds">VI: the part of <see cref="Seconds"/> spent training q (warm-up included); the rest is sampling.</param>
/// <param name="Iterations">VI: training iterations run (warm-up excluded).</param>
/// <param name="WarmUpSteps">VI: warm-up steps fitting q to the prior before them.</param>
/// <param name="EnvelopeSeconds">Rejection: the wall time of a one-sample call (the envelope search and a handful of candidates), the fixed part of <see cref="Seconds"/>.</param>
public sealed record PosteriorBenchRow(string Method, long Requested, long Drawn, double Seconds, double? C2stAnalytic,
    double? Acceptance = null, double? EffectiveSampleSize = null, double? ParetoK = null, long? WeightCount = null,
    McmcDiagnostics? Mcmc = null, bool TimedOut = false, string? Failure = null, double? TrainingSeconds = null, int? Iterations = null, int? WarmUpSteps = null,
    double? EnvelopeSeconds = null)
{
    /// <summary>Samples per second of the timed call (NaN without a timing).</summary>
    public double SamplesPerSecond => Seconds > 0 ? Drawn / Seconds : double.NaN;

    /// <summary>The diagnostics as one short text ("acceptance 1.00", "R̂ 1.003 ESS 2,100 …"), empty where there are none.</summary>
    public string Diagnostics
    {
        get
        {
            if (Failure is not null) return "failed: " + Failure;
            var parts = new List<string>();
            if (Acceptance is double a) parts.Add($"acceptance {a:G3}");
            if (TimedOut) parts.Add($"time limit: {Drawn:N0} of {Requested:N0}");
            if (EnvelopeSeconds is double env && Acceptance is double acc && acc > 0)
            {
                double loop = Seconds - env;
                parts.Add($"envelope search {env:F2} s, then {Drawn / acc / Math.Max(loop, 1e-9):N0} candidates/s" +
                          (loop <= 0 ? " (loop within timing noise)" : ""));
            }
            if (EffectiveSampleSize is double ess) parts.Add($"ESS {ess:N1} of {WeightCount:N0}");
            if (ParetoK is double k) parts.Add($"Pareto-k̂ {k:F2}");
            if (TrainingSeconds is double t)
            {
                int steps = (Iterations ?? 0) + (WarmUpSteps ?? 0);
                parts.Add($"trained {Iterations:N0} iterations + {WarmUpSteps:N0} warm-up in {t:F2} s ({t / Math.Max(1, steps) * 1e3:F2} ms a step)");
            }
            if (Mcmc is { } m)
            {
                parts.Add($"R̂ {m.MaxSplitRhat:F3}");
                parts.Add($"ESS {m.MinBulkEss:N0}");
                if (m.AcceptanceRate is double ar) parts.Add($"acceptance {ar:F2}");
                parts.Add($"divergences {m.Divergences}");
            }
            return string.Join(", ", parts);
        }
    }
}
