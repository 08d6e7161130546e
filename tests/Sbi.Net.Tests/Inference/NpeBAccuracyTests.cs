using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Inference;
using Sbi.Tests.Estimators;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Tests.Inference;

public class NpeBAccuracyTests
{
    /// <summary>
    /// Two NPE-B rounds on a box prior (sbi's test_api_force_first_round_loss setting), 1,000 simulations each, from
    /// training seed <paramref name="seed"/>; the posterior at x_o = (0.5, −0.5) is N(x_o, 0.01 I) (the box truncates
    /// nothing of it). Round 1 uses the importance-weighted loss, whose values are 1/B of an NLL (B = 200 rows per
    /// batch, sbi/inference/trainers/npe/npe_b.py, _log_prob_proposal_posterior): its best validation loss is smaller in magnitude than round 0's by more than a factor 10
    /// whenever the two NLLs are within a factor 20, as they are here (both are −log q of the same posterior, ≈ −2).
    /// </summary>
    internal static DensityChecks.TrainedPosterior TrainTwoRounds(int seed)
    {
        using var scope = NewDisposeScope();
        set_num_threads(1);
        manual_seed(seed);
        using var prior = new BoxUniform(new float[] { -2, -2 }, new float[] { 2, 2 });
        var xo = tensor(new float[] { 0.5f, -0.5f });
        var npe = new NpeB(prior, showProgressBars: false, logger: NullLogger.Instance);
        IDensity proposal = prior;
        for (int r = 0; r < 2; r++)
        {
            var th = proposal is Sbi.Posteriors.DirectPosterior dp ? dp.Sample(1000) : prior.Sample(1000);
            var xs = th + 0.1 * randn_like(th);
            var net = npe.AppendSimulations(th, xs, proposal).Train();
            proposal = npe.BuildPosterior(net).SetDefaultX(xo);
        }
        Assert.That(npe.Round, Is.EqualTo(1));
        Assert.That(Math.Abs(npe.Summary.BestValidationLoss[1]), Is.LessThan(Math.Abs(npe.Summary.BestValidationLoss[0]) / 10), "round-1 loss is 1/B of an NLL");
        var s = ((Sbi.Posteriors.DirectPosterior)proposal).Sample(4000);
        return DensityChecks.Score(seed, s, new[] { 0.5, -0.5 }, 0.1, robustScale: false, npe.Summary.EpochsTrained.Last());
    }

    [Test]
    public void TwoRoundsRunWithTheImportanceWeightedLoss() =>
        DensityChecks.AssertAccurate(Tolerances.TwoRoundAccuracy, TrainTwoRounds, "two-round maf");
}
