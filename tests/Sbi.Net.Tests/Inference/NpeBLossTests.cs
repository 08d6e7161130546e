using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Inference;
using static TorchSharp.torch;

namespace Sbi.Tests.Inference;

public class NpeBLossTests
{
    /// <summary>Weights and losses against a batch computed by hand in double precision (spec §3.2–3.3).</summary>
    [Test]
    public void ImportanceWeightsAndLossMatchHandComputation()
    {
        using var scope = NewDisposeScope();
        using var prior = new BoxUniform(new float[] { -2 }, new float[] { 2 });
        using var proposal = new MultivariateNormal(tensor(new float[] { 0.5f }), tensor(new float[,] { { 0.25f } }));
        var thetaValues = new[] { -1.5, 0.0, 0.4, 1.9, 2.0 }; // the last is on the upper edge: prior density 0
        var theta = tensor(thetaValues.Select(v => (float)v).ToArray()).unsqueeze(1);
        var counts = new long[] { 300, 100 };
        var w = NpeBLoss.ImportanceWeights(theta, prior, new IDensity?[] { prior, proposal }, counts).data<float>().ToArray();

        double a0 = 0.75, a1 = 0.25, p = 0.25;
        var raw = thetaValues.Select(t =>
        {
            double prop = Math.Exp(-0.5 * Math.Pow((t - 0.5) / 0.5, 2)) / (0.5 * Math.Sqrt(2 * Math.PI));
            double prior = t >= -2 && t < 2 ? p : 0.0;
            double mix = a0 * (t >= -2 && t < 2 ? p : 0.0) + a1 * prop;
            return prior / mix;
        }).ToArray();
        double sum = raw.Sum();
        for (int i = 0; i < raw.Length; i++)
            Assert.That(w[i], Is.EqualTo(raw[i] / sum).Within(1e-6 * Math.Max(1, raw[i] / sum)), $"weight {i}");
        Assert.That(w[4], Is.EqualTo(0f));

        // ℓ_i = −w_i log q_i with a known Gaussian q; the objective is the mean, i.e. 1/B of the weighted NLL.
        var est = new GaussianEstimator(1, 1, a: 1.0, b: 0.0, sigma: 0.7);
        var x = tensor(new float[] { -1, 0.2f, 0.1f, 1, 0 }).unsqueeze(1);
        var loss = NpeBLoss.Loss(est, theta, x, prior, new IDensity?[] { prior, proposal }, counts).detach().data<float>().ToArray();
        for (int i = 0; i < raw.Length; i++)
        {
            double xv = new[] { -1, 0.2, 0.1, 1, 0 }[i];
            double logq = -0.5 * Math.Pow((thetaValues[i] - xv) / 0.7, 2) - Math.Log(0.7) - 0.5 * Math.Log(2 * Math.PI);
            Assert.That(loss[i], Is.EqualTo(-(raw[i] / sum) * logq).Within(1e-6), $"loss {i}");
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
        Assert.That(est.Loss(theta, x).item<float>(), Is.EqualTo(expected).Within(1e-5));
    }
}
