using Microsoft.Extensions.Logging.Abstractions;
using System.Diagnostics;
using Sbi.Data;
using Sbi.Numpy;
using Sbi.Distributions;
using Sbi.Inference;
using Sbi.Metrics;
using Sbi.Parity.Data;
using Sbi.Parity.Reference;
using Sbi.Posteriors;
using Sbi.Utils;
using Sbi.Testing;
using static TorchSharp.torch;

namespace Sbi.Parity.Checks;

/// <summary>
/// Case 5 (slow, live only): Sbi.Net and sbi each trained from scratch with default settings on the same
/// simulations; the C2ST accuracy between their posterior samples (sbi's own random-forest c2st) must be ≤ 0.55,
/// and each one's C2ST against the analytic posterior is reported (with Sbi.Net's own C2st where available).
/// The trainings are independent (own initial weights and batch orders), so sbi against a second sbi training is
/// reported as the baseline: on the seed example it is itself above 0.55. <see cref="LockstepCheck"/> removes
/// those two sources of spread.
/// </summary>
public static class StatisticalCheck
{
    /// <summary>sbi's linear-Gaussian task: D = 5, prior N(0, I), 10,000 simulations, x_o = 0, single round.</summary>
    public static IReadOnlyList<CaseResult> GaussianLinear(string id, SbiReference reference, ArrayBundle sbi, int seed = 1)
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        int d = (int)sbi["theta"].Shape[1];
        manual_seed(seed);
        using var prior = MultivariateNormal.Standard(d);
        var trainer = new NpeB(prior, "maf", showProgressBars: false, logger: NullLogger.Instance);
        var net = trainer.AppendSimulations(sbi.Tensor("theta"), sbi.Tensor("x"), prior).Train();
        var samples = trainer.BuildPosterior(net).Sample(sbi["samples"].Shape[0], sbi.Tensor("x_o"));
        string note = $"Sbi.Net epochs {trainer.Summary.EpochsTrained[0]} ({clock.Elapsed.TotalSeconds:F0} s); sbi epochs {sbi.Info["epochs_trained"]?.ToJsonString()}";
        return Compare(id, reference, sbi, samples, note);
    }

    /// <summary>NPE_B's docstring example (5 rounds × 100 simulations, BoxUniform [0, 1]³); round 0 uses sbi's simulations.</summary>
    public static IReadOnlyList<CaseResult> SeedExample(string id, SbiReference reference, ArrayBundle sbi, int seed = 1)
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        manual_seed(seed);
        using var prior = new BoxUniform(zeros(3), ones(3));
        var xo = sbi.Tensor("x_o");
        var trainer = new NpeB(prior, "maf", showProgressBars: false, logger: NullLogger.Instance);
        IDensity proposal = prior;
        DirectPosterior? posterior = null;
        for (int r = 0; r < 5; r++)
        {
            // Later rounds draw from each implementation's own posterior: identical simulations end with round 0.
            var theta = r == 0 ? sbi.Tensor("theta0") : posterior!.Sample(100);
            var x = r == 0 ? sbi.Tensor("x0") : theta + 0.1 * randn_like(theta);
            var net = trainer.AppendSimulations(theta, x, proposal).Train();
            posterior = trainer.BuildPosterior(net);
            proposal = posterior.SetDefaultX(xo);
        }
        var samples = posterior!.Sample(sbi["samples"].Shape[0], xo);
        string note = $"Sbi.Net epochs [{string.Join(", ", trainer.Summary.EpochsTrained)}] ({clock.Elapsed.TotalSeconds:F0} s); sbi epochs {sbi.Info["epochs_trained"]?.ToJsonString()}";
        return Compare(id, reference, sbi, samples, note);
    }

    /// <summary>sbi's own C2ST (sbi.utils.metrics.c2st: random forest, 5 folds, seed 1) through the reference.</summary>
    internal static double SbiC2st(SbiReference reference, NpyArray x, NpyArray y) =>
        reference.Request("c2st", new { seed = 1 }, new Dictionary<string, NpyArray> { ["X"] = x, ["Y"] = y })
            .Info["c2st"]!.GetValue<double>();

    private static IReadOnlyList<CaseResult> Compare(string id, SbiReference reference, ArrayBundle sbi, Tensor ours, string note)
    {
        var oursArray = ours.ToNpy();
        double C2stPy(NpyArray x, NpyArray y) => SbiC2st(reference, x, y);
        double between = C2stPy(sbi["samples"], oursArray);
        double oursVsTrue = C2stPy(oursArray, sbi["analytic_samples"]);
        double sbiVsTrue = sbi.Info["c2st_vs_analytic"]!.GetValue<double>();
        double replicate = sbi.Info["c2st_vs_replicate"]!.GetValue<double>();
        double bound = Math.Max(Tolerances.C2st, replicate + Tolerances.C2stOverReplicate);
        var results = new List<CaseResult>
        {
            // Independent trainings: different initial weights and batch orders on each side, so this also measures
            // run-to-run spread; bounded by sbi's own spread (see Tolerances.C2stOverReplicate). The lockstep case
            // removes both sources and keeps 0.55.
            CaseResult.Check(id, sbi.Origin, "C2ST(sbi, Sbi.Net) [sbi c2st]", between, bound,
                $"bound max(0.55, replicate {replicate:F3} + 0.03); {note}"),
            CaseResult.Report(id, sbi.Origin, "C2ST(Sbi.Net, analytic) [sbi c2st]", oursVsTrue),
            CaseResult.Report(id, sbi.Origin, "C2ST(sbi, analytic) [sbi c2st]", sbiVsTrue),
            // Baseline: sbi against a second sbi training on the same simulations (another training seed).
            CaseResult.Report(id, sbi.Origin, "C2ST(sbi, sbi replicate) [sbi c2st]", sbi.Info["c2st_vs_replicate"]!.GetValue<double>(),
                $"replicate epochs {sbi.Info["epochs_trained_replicate"]?.ToJsonString()}"),
        };
        // Sbi.Net's own C2ST (an MLP, not sbi's random forest, so other numbers): reported, not bounded. If it
        // throws, that is a Sbi.Net defect and shows as a failed row, after sbi's numbers above are kept.
        foreach (var (metric, x, y) in new[]
                 {
                     ("C2ST(sbi, Sbi.Net) [Sbi.Metrics.C2st]", sbi.Tensor("samples"), ours),
                     ("C2ST(Sbi.Net, analytic) [Sbi.Metrics.C2st]", ours, sbi.Tensor("analytic_samples")),
                 })
        {
            try { results.Add(CaseResult.Report(id, sbi.Origin, metric, C2st.Score(x, y, 1))); }
            catch (Exception e) when (e is System.Runtime.InteropServices.ExternalException or ArgumentException or InvalidOperationException)
            {
                results.Add(CaseResult.Failed(id, sbi.Origin, metric, e.ToString()));
            }
        }
        return results;
    }
}
