using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Inference;
using static TorchSharp.torch;

namespace Sbi.Tests.Inference;

public class NpeBImportanceWeightTests
{
    /// <summary>Weights and losses against a batch computed by hand in double precision (sbi/inference/trainers/npe/npe_b.py, _log_prob_proposal_posterior).</summary>
    [Test]
    public void ImportanceWeightsAndLossMatchHandComputation()
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(new float[] { -2 }, new float[] { 2 });
        using var proposal = new MultivariateNormal(tensor(new float[] { 0.5f }), tensor(new float[,] { { 0.25f } }));
        // The values as float32 holds them (0.4 and 1.9 are not exact), so that the hand computation has the same inputs.
        var thetaValues = new[] { -1.5, 0.0, 0.4, 1.9, 2.0 }.Select(v => (double)(float)v).ToArray(); // the last is on the upper edge: prior density 0
        var theta = tensor(thetaValues.Select(v => (float)v).ToArray()).unsqueeze(1);
        var counts = new long[] { 300, 100 };
        var w = NpeB.ImportanceWeights(theta, prior, new IDensity?[] { prior, proposal }, counts).data<float>().ToArray();
        var w64 = NpeB.ImportanceWeights(theta.D(), prior, new IDensity?[] { prior, proposal }, counts).data<double>().ToArray();

        double a0 = 0.75, a1 = 0.25, p = 0.25;
        var raw = thetaValues.Select(t =>
        {
            double prop = Math.Exp(-0.5 * Math.Pow((t - 0.5) / 0.5, 2)) / (0.5 * Math.Sqrt(2 * Math.PI));
            double prior = t >= -2 && t < 2 ? p : 0.0;
            double mix = a0 * (t >= -2 && t < 2 ? p : 0.0) + a1 * prop;
            return prior / mix;
        }).ToArray();
        double sum = raw.Sum();
        // float64: the same maths as the hand computation, to the rounding the float32 weights' error scales to.
        // float32: the weights are a straight-line formula (the proposal's log-density ~20 operations, log α, a
        // 2-term logsumexp ~5, two exps, a division, the batch sum and the normalisation: ~35) of log-densities of
        // magnitude ≤ 3, so relative errors up to Formula(35, 3).
        double rel32 = Enumerable.Range(0, 4).Max(i => Math.Abs(w[i] / (raw[i] / sum) - 1));
        Assert.That(rel32, Is.LessThanOrEqualTo(Tolerances.Formula(35, 3)), "float32 weights (relative)");
        // The conditioning from float32 realisations of the same weights, against their float64 evaluation.
        double cond32 = RoundingRealisations.MaxError(k =>
        {
            var tk = RoundingRealisations.Perturb(theta, k);
            var a = NpeB.ImportanceWeights(tk, prior, new IDensity?[] { prior, proposal }, counts).D();
            var b = NpeB.ImportanceWeights(tk.D(), prior, new IDensity?[] { prior, proposal }, counts);
            return ((a - b).abs() / b.clamp_min(1e-30)).narrow(0, 0, 4).max().item<double>();
        });
        for (int i = 0; i < 4; i++)
            Assert.That(w64[i] / (raw[i] / sum) - 1, Is.EqualTo(0).Within(Tolerances.SameMathsFloat64(cond32, 5, 1)), $"float64 weight {i}");
        Assert.That(w[4], Is.EqualTo(0f));
        Assert.That(w64[4], Is.EqualTo(0.0));

        // ℓ_i = −w_i log q_i with a known Gaussian q; the objective is the mean, i.e. 1/B of the weighted NLL.
        var est = new GaussianEstimator(1, 1, a: 1.0, b: 0.0, sigma: 0.7);
        var x = tensor(new float[] { -1, 0.2f, 0.1f, 1, 0 }).unsqueeze(1);
        var loss = NpeB.Loss(est, theta, x, prior, new IDensity?[] { prior, proposal }, counts).detach().data<float>().ToArray();
        for (int i = 0; i < raw.Length; i++)
        {
            double xv = new[] { -1, 0.2, 0.1, 1, 0 }[i];
            double logq = -0.5 * Math.Pow((thetaValues[i] - xv) / 0.7, 2) - Math.Log(0.7) - 0.5 * Math.Log(2 * Math.PI);
            // The weight's error (above) plus log q's (six operations on values ≤ 4), times the other factor.
            double expected = -(raw[i] / sum) * logq;
            Assert.That(loss[i], Is.EqualTo(expected).Within(Math.Abs(expected) * (Tolerances.Formula(35, 3) + Tolerances.Formula(6, 4) / Math.Max(Math.Abs(logq), 1e-3))), $"loss {i}");
        }
    }

    [Test]
    public void RoundZeroLossIsNegativeLogDensity()
    {
        using var scope = NewDisposeScope();
        var est = new GaussianEstimator(2, 1, sigma: 2.0);
        var theta = tensor(new float[,] { { 1, 2 } });
        var x = tensor(new float[,] { { 5 } });
        double expected = 0.5 * (0.25 + 1.0) + 2 * Math.Log(2.0) + Math.Log(2 * Math.PI);
        // −log N(θ; μ(x), σ²I) in float32: two differences, squares, sum, scale, two logs and the constant (~10 operations).
        Assert.That(est.Loss(theta, x).item<float>(), Is.EqualTo(expected).Within(Tolerances.Formula(10, expected)));
    }
}
