using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Samplers.Vi;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Tests.Samplers.Vi;

/// <summary>q(θ | x) through a MAF used either way round: the density a reparameterised sample comes with is the density of that sample.</summary>
public class VariationalDistributionTests
{
    /// <summary>
    /// A MAF q on a box prior, used as an inverse autoregressive flow (its forward map sends noise to z; log q of a sample
    /// comes from that pass) and in the usual orientation (samples by the D-pass inverse): the log-density returned with a
    /// sample and the one LogProb recomputes from θ (through T and the other direction of the flow) are the same maths. In
    /// float64 (the same weights, the same float32 noise drawn from the same seed) they agree to float64 rounding,
    /// <see cref="Tolerances.SameMathsFloat64"/> of the larger float32 error of the two paths; rows within 10⁻³ of the box's
    /// faces are left out (there θ's own rounding moves z by u/(s(1 − s))).
    /// </summary>
    [TestCase(true)]
    [TestCase(false)]
    public void ASamplesDensityIsTheDensityAtTheSample(bool inverseAutoregressive)
    {
        using var scope = NewDisposeScope();
        manual_seed(71);
        using var prior = new BoxUniform(tensor(new float[] { -1, 0 }), tensor(new float[] { 3, 0.5f }));
        var transform = ((IDistribution)prior).ThetaTransform;
        var x = tensor(new float[,] { { 0.4f } });
        using var _ = no_grad();
        var z0 = transform.Forward(prior.Sample(500));
        var q = VariationalFamilies.Build("maf", 2, 16, inverseAutoregressive ? ZScoreMode.None : ZScoreMode.Independent, ZScoreMode.Independent, z0, x);
        foreach (var p in q.parameters()) p.add_(0.1 * randn_like(p));   // leave the near-identity initialisation
        var q64 = VariationalFamilies.Rebuild(q.Config);
        StateDictLoader.Load(q64, q.state_dict());
        q64.to(ScalarType.Float64);
        var v32 = new VariationalDistribution(q, transform, inverseAutoregressive);
        var v64 = new VariationalDistribution(q64, transform, inverseAutoregressive);
        manual_seed(72);
        var (theta32, _, sampled32) = v32.RSampleAndLogProb(5000, x);
        manual_seed(72);
        var (theta64, _, sampled64) = v64.RSampleAndLogProb(5000, x.to(ScalarType.Float64));
        theta32 = theta32.reshape(-1, 2); theta64 = theta64.reshape(-1, 2);
        var s = (theta64 - prior.Low.to(ScalarType.Float64)) / (prior.High - prior.Low).to(ScalarType.Float64);
        var keep = s.gt(1e-3).logical_and(s.lt(1 - 1e-3)).all(-1);
        Assert.That(keep.sum().item<long>(), Is.GreaterThan(1000), "rows away from the faces");
        var evaluated32 = v32.LogProb(theta32.index(keep), x);
        var evaluated64 = v64.LogProb(theta64.index(keep), x.to(ScalarType.Float64));
        sampled32 = sampled32.reshape(-1).index(keep);
        sampled64 = sampled64.reshape(-1).index(keep);
        double float32Error = Math.Max(Diff.MaxAbs(sampled32, sampled64), Diff.MaxAbs(evaluated32, evaluated64));
        double bound = Tolerances.SameMathsFloat64(float32Error, 16, Diff.MaxAbsValue(evaluated64));
        Assert.That(Diff.MaxAbs(sampled64, evaluated64), Is.LessThanOrEqualTo(bound), $"float32 errors {float32Error:E2}");
    }
}
