using Microsoft.Extensions.Logging.Abstractions;
using System.Diagnostics;
using System.Globalization;
using Sbi.Data;
using Sbi.Numpy;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Inference;
using Sbi.Parity.Data;
using Sbi.Parity.Reference;
using Sbi.Posteriors;
using Sbi.Testing;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Parity.Checks;

/// <summary>
/// Case 5, lockstep (slow, live only): "trained from scratch on identical simulations" made precise. Two sbi
/// trainings on the same simulations differ by their initial weights and their batch orders (sbi against a second
/// sbi gives C2ST ≈ 0.6 on the seed example), so the independent case's 0.55 bound measures run-to-run spread,
/// not the implementation. Here both are removed: Sbi.Net starts from the state dict sbi's network had right after
/// it was built, and replays sbi's train/validation split and the index order of every training and validation
/// epoch (<see cref="BatchSchedule"/>), on sbi's θ and x of every round. Each round's proposal is still Sbi.Net's
/// own posterior (NPE-B's importance weights need the density the rows were drawn from; sbi's rows came from sbi's
/// posterior, which Sbi.Net's should then equal). Only the leakage factors of the proposals (Monte-Carlo) and the
/// final posterior draws remain random on each side.
/// </summary>
public static class LockstepCheck
{
    /// <summary>The seed example (5 rounds × 100 simulations, BoxUniform [0, 1]³) against sbi's recorded run.</summary>
    public static IReadOnlyList<CaseResult> SeedExample(string id, SbiReference reference, ArrayBundle sbi, int seed = 1)
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        var sbiEpochs = sbi.Info["epochs_trained"]!.AsArray().Select(e => e!.GetValue<int>()).ToArray();
        int rounds = sbiEpochs.Length;
        var schedule = new BatchSchedule(Enumerable.Range(0, rounds).Select(r => new BatchSchedule.Call(
            sbi[$"round{r}/train_indices"].AsInt64(), sbi[$"round{r}/val_indices"].AsInt64(),
            Rows(sbi[$"round{r}/train_orders"]), Rows(sbi[$"round{r}/val_orders"]))).ToList());

        // The default MAF (sbi's default), with sbi's freshly built weights loaded strictly (every key and shape;
        // the z-score buffers are sbi's too, computed from the same training split).
        var init = sbi.WithPrefix("init/sd/").ToDictionary(kv => kv.Key, kv => kv.Value.ToTensor());
        var maf = PosteriorNn.Build("maf");
        DensityEstimatorBuilder builder = (th, xs) =>
        {
            var net = maf(th, xs);
            StateDictLoader.Load(net, init, "sbi's initial state dict (init/sd/)");
            return net;
        };

        manual_seed(seed);
        using var prior = new BoxUniform(zeros(3), ones(3));
        var xo = sbi.Tensor("x_o");
        var trainer = new NpeB(prior, builder, showProgressBars: false, logger: NullLogger.Instance) { Schedule = schedule };
        IDensity proposal = prior;
        DirectPosterior? posterior = null;
        var proposals = new List<DirectPosterior>();
        for (int r = 0; r < rounds; r++)
        {
            var net = trainer.AppendSimulations(sbi.Tensor($"round{r}/theta"), sbi.Tensor($"round{r}/x"), proposal).Train();
            posterior = trainer.BuildPosterior(net);
            proposal = posterior.SetDefaultX(xo);
            proposals.Add(posterior);
        }
        var samples = posterior!.Sample(sbi["samples"].Shape[0], xo);
        double seconds = clock.Elapsed.TotalSeconds;

        var ourEpochs = trainer.Summary.EpochsTrained.ToArray();
        int roundsDiffering = Enumerable.Range(0, rounds).Count(r => r >= ourEpochs.Length || ourEpochs[r] != sbiEpochs[r]);
        string epochs = $"Sbi.Net epochs [{string.Join(", ", ourEpochs)}], sbi [{string.Join(", ", sbiEpochs)}]";

        // Validation (and training) losses epoch by epoch over the epochs both sides ran in each round.
        var (valDiff, valNote) = LossDiff(trainer.Summary.ValidationLoss, sbi["validation_loss"].AsFloat64(), ourEpochs, sbiEpochs);
        var (trainDiff, trainNote) = LossDiff(trainer.Summary.TrainingLoss, sbi["training_loss"].AsFloat64(), ourEpochs, sbiEpochs);
        double firstVal = Math.Abs(trainer.Summary.ValidationLoss[0] - sbi["validation_loss"].AsFloat64()[0]);

        var ourLeak = proposals.Take(rounds - 1).Select(p => p.LeakageCorrection(xo)).ToArray();   // cached: the factors training used
        var sbiLeak = sbi["proposal_leakage"].AsFloat64();
        string leak = $"proposal leakage factors Sbi.Net [{Fmt(ourLeak)}], sbi [{Fmt(sbiLeak)}]";

        var ours = samples.ToNpy();
        double between = StatisticalCheck.SbiC2st(reference, sbi["samples"], ours);
        double oursVsTrue = StatisticalCheck.SbiC2st(reference, ours, sbi["analytic_samples"]);
        return new[]
        {
            CaseResult.Check(id, sbi.Origin, "C2ST(sbi, Sbi.Net lockstep) [sbi c2st]", between, Tolerances.C2st,
                $"same initial weights, split and batch orders; {epochs} ({seconds:F0} s)"),
            CaseResult.Report(id, sbi.Origin, "C2ST(Sbi.Net lockstep, analytic) [sbi c2st]", oursVsTrue),
            CaseResult.Report(id, sbi.Origin, "C2ST(sbi, analytic) [sbi c2st]", sbi.Info["c2st_vs_analytic"]!.GetValue<double>()),
            CaseResult.Report(id, sbi.Origin, "C2ST(sbi, sbi replicate) [sbi c2st]", sbi.Info["c2st_vs_replicate"]!.GetValue<double>(),
                "independent sbi training on the same round-0 simulations: sbi's own run-to-run spread"),
            // Early stopping compares validation losses that agree to ~1e-5 here, far below their epoch-to-epoch
            // changes, so both sides stop after the same epoch of every round; a difference means the lockstep broke.
            CaseResult.Check(id, sbi.Origin, "rounds with different epoch counts", roundsDiffering, 0,
                (roundsDiffering == 0 ? "epochs agree: " : "epochs differ: ") + epochs),
            // Reported, not bounded: after a training step the two sides' weights differ by Adam's amplification of
            // their gradient rounding (up to 2·lr on ill-conditioned entries, Tolerances.AdamFirstStep), which the
            // step case (StepCheck) bounds entry by entry; the exact check of lockstep is the epoch count above.
            CaseResult.Report(id, sbi.Origin, "|Δ validation loss| after round 0 epoch 1", firstVal,
                "same weights, same batch, one Adam step on each side"),
            CaseResult.Report(id, sbi.Origin, "max |Δ validation loss| per epoch", valDiff, valNote),
            CaseResult.Report(id, sbi.Origin, "max |Δ training loss| per epoch", trainDiff, trainNote),
            CaseResult.Report(id, sbi.Origin, "schedule fall-backs (random split/order)", schedule.Fallbacks,
                $"{schedule.ReplayedOrders} orders replayed" + (schedule.Fallbacks > 0 ? "; first: " + schedule.FallbackReasons[0] : "")),
            CaseResult.Report(id, sbi.Origin, "max |Δ proposal leakage factor|",
                ourLeak.Zip(sbiLeak).Select(p => Math.Abs(p.First - p.Second)).DefaultIfEmpty(0).Max(), leak),
        };
    }

    /// <summary>Rows of a 2-D int64 array (one epoch's order per row).</summary>
    private static IReadOnlyList<long[]> Rows(NpyArray a)
    {
        var flat = a.AsInt64();
        int rows = (int)a.Shape[0], cols = (int)a.Shape[1];
        return Enumerable.Range(0, rows).Select(i => flat.AsSpan(i * cols, cols).ToArray()).ToList();
    }

    /// <summary>
    /// Max |Δ| over every epoch both sides ran, round by round; the note gives, per round, the max |Δ| and the
    /// first epoch whose difference exceeds 1e-3 (where the two trajectories visibly part).
    /// </summary>
    private static (double Max, string Note) LossDiff(IReadOnlyList<double> ours, double[] sbi, int[] ourEpochs, int[] sbiEpochs)
    {
        double worst = 0;
        var parts = new List<string>();
        int o = 0, s = 0;
        for (int r = 0; r < Math.Min(ourEpochs.Length, sbiEpochs.Length); r++)
        {
            int common = Math.Min(ourEpochs[r], sbiEpochs[r]);
            double m = 0;
            int parted = -1;
            for (int e = 0; e < common; e++)
            {
                double d = Math.Abs(ours[o + e] - sbi[s + e]);
                m = Math.Max(m, d);
                if (parted < 0 && d > 1e-3) parted = e + 1;
            }
            worst = Math.Max(worst, m);
            parts.Add($"r{r}: {m.ToString("0.0e+0", CultureInfo.InvariantCulture)}" + (parted > 0 ? $" (>1e-3 from epoch {parted})" : ""));
            o += ourEpochs[r];
            s += sbiEpochs[r];
        }
        return (worst, string.Join("; ", parts));
    }

    private static string Fmt(IEnumerable<double> v) => string.Join(", ", v.Select(x => x.ToString("F4", CultureInfo.InvariantCulture)));
}
