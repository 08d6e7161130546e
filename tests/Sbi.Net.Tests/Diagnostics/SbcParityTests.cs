using NUnit.Framework;
using Sbi.Diagnostics;
using Sbi.Utils;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Tests.Diagnostics;

/// <summary>
/// SBC against the real sbi on the same posterior samples (data/diagnostics/sbc.npz: analytic Gaussian-linear posteriors,
/// calibrated, over-confident with half the std, under-confident with twice the std): the ranks are sbi's
/// <c>_run_sbc</c> ranks exactly (for "marginals" and for a list of reduce functions), the KS p-values scipy's to
/// float64 rounding, and the calibrated posteriors pass sbi's KS level while the miscalibrated ones fail it.
/// </summary>
public class SbcParityTests
{
    private static readonly DiagnosticFixtures Fixture = DiagnosticFixtures.Load("sbc.npz");

    private static IEnumerable<string> Cases() => Fixture.Cases;

    [TestCaseSource(nameof(Cases))]
    public void RanksAndPValuesAreSbis(string c)
    {
        using var scope = NewDisposeScope();
        var thetas = Fixture.Tensor(c, "thetas");
        var xs = Fixture.Tensor(c, "xs");
        var samples = Fixture.Tensor(c, "samples");
        int numSamples = (int)samples.shape[0], n = (int)thetas.shape[0];

        var ranks = Sbc.RanksFromSamples(thetas, xs, samples);
        Assert.That(ranks.data<float>().ToArray(), Is.EqualTo(Fixture.Floats(c, "ranks")), "marginal ranks");

        using Scalar two = 2;
        ReduceFn sum = (t, _) => t.select(1, 0).add(t.select(1, 1));
        ReduceFn twice = (t, _) => t.select(1, 1).mul(two);
        var ranksFns = Sbc.RanksFromSamples(thetas, xs, samples, [sum, twice]);
        Assert.That(ranksFns.data<float>().ToArray(), Is.EqualTo(Fixture.Floats(c, "ranks_fns")), "ranks of the reduce functions");

        var p = Sbc.CheckUniformityFrequentist(ranks, numSamples);
        var p64 = Fixture.Doubles(c, "ks_pvals_f64");
        var p32 = Fixture.Floats(c, "ks_pvals_f32");
        for (int d = 0; d < p.Length; d++)
        {
            Assert.That(p[d], Is.EqualTo(p64[d]).Within(Tolerances.KsPValue(n, p64[d])), $"dim {d}: scipy's float64 p-value");
            // sbi returns the float64 p-value rounded to float32: half an ulp.
            Assert.That(p[d], Is.EqualTo(p32[d]).Within(Tolerances.KsPValue(n, p64[d]) + Tolerances.U32 * p32[d]), $"dim {d}: sbi's float32 p-value");
            if (c.StartsWith("calibrated", StringComparison.Ordinal))
                Assert.That(p[d], Is.GreaterThan(Tolerances.CalibratedKsLevel), $"dim {d}: calibrated posterior passes");
            else
                Assert.That(p[d], Is.LessThan(Tolerances.CalibratedKsLevel), $"dim {d}: miscalibrated posterior fails");
        }
        TestContext.Out.WriteLine($"{c}: KS p-values {string.Join(", ", p.Select(v => v.ToString("G4")))}");
    }
}
