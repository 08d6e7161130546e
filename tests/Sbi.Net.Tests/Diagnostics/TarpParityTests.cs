using NUnit.Framework;
using Sbi.Diagnostics;
using static TorchSharp.torch;

namespace Sbi.Tests.Diagnostics;

/// <summary>
/// TARP against the real sbi on the same samples and reference points (data/diagnostics/tarp.npz: sbi's tarp_test toy
/// Gaussians, correct, under-dispersed and over-dispersed, l2 and l1, with and without z-scoring): the ECP and α equal
/// the exact companion (sbi's coverage counts binned in integer arithmetic) bit for bit and sbi's float32 run to its
/// float32 rounding plus the lattice values its float32 edges bin differently; <c>CheckTarp</c> equals sbi's
/// <c>check_tarp</c> to float64 rounding on the same ECP and α (the exact companion's, and sbi's own float32 curve).
/// </summary>
public class TarpParityTests
{
    private static readonly DiagnosticFixtures Fixture = DiagnosticFixtures.Load("tarp.npz");

    private static IEnumerable<string> Cases() => Fixture.Cases;

    [TestCaseSource(nameof(Cases))]
    public void EcpAlphaAndChecksAreSbis(string c)
    {
        using var scope = NewDisposeScope();
        var settings = Fixture.Doubles(c, "settings");
        var distance = settings[0] == 1.0 ? Tarp.L1 : Tarp.L2;
        bool zScore = settings[1] == 1.0;
        int? numBins = settings[2] < 0 ? null : (int)settings[2];
        var thetas = Fixture.Tensor(c, "thetas");
        int bins = numBins ?? (int)thetas.shape[0] / 10;

        using var r = Tarp.TarpFromSamples(Fixture.Tensor(c, "samples"), thetas, Fixture.Tensor(c, "references"), distance, numBins, zScore);
        var alpha = r.Alpha.data<double>().ToArray();
        var ecp = r.Ecp.data<double>().ToArray();
        // The exact companion computes the same integer bins and one correctly rounded quotient per value: equal.
        Assert.That(ecp, Is.EqualTo(Fixture.Doubles(c, "ecp_f64")), "ECP: the exact companion's");
        Assert.That(alpha, Is.EqualTo(Fixture.Doubles(c, "alpha_f64")), "α: the exact companion's");

        // sbi's float32 run: α within the float32 rounding of its linspace (start + i·step: 3 operations on values ≤ 1),
        // the ECP within its float32 rounding plus the values its float32 edges put in another bin (|cumulative count
        // difference| / N, from sbi's own torch.histogram counts).
        var alpha32 = Fixture.Floats(c, "alpha");
        var ecp32 = Fixture.Floats(c, "ecp");
        var counts32 = Fixture.Floats(c, "counts_f32");
        var counts = Fixture.Tensor(c, "counts").data<long>().ToArray();
        double n = thetas.shape[0], cumulativeShift = 0;
        for (int i = 0; i < ecp.Length; i++)
        {
            if (i > 0) cumulativeShift += counts32[i - 1] - counts[i - 1];
            Assert.That(alpha[i], Is.EqualTo(alpha32[i]).Within(Tolerances.Formula(3, 1.0)), $"α[{i}] against sbi's float32 α");
            Assert.That(ecp[i], Is.EqualTo(ecp32[i]).Within(Math.Abs(cumulativeShift) / n + Tolerances.TarpEcp(bins, Tolerances.U32)), $"ECP[{i}] against sbi's float32 ECP");
        }

        double dAlpha = alpha[1] - alpha[0];
        var (atc, ks) = Tarp.CheckTarp(r.Ecp, r.Alpha);
        var f64 = Fixture.Doubles(c, "check_f64");
        Assert.That(atc, Is.EqualTo(f64[0]).Within(Tolerances.TarpAtc(bins, dAlpha, Tolerances.U64)), "ATC: sbi's check_tarp on the exact companion");
        Assert.That(ks, Is.EqualTo(f64[1]).Within(Tolerances.ProbOutsideSquare(bins + 1, bins + 1)), "KS p-value: sbi's check_tarp on the exact companion");
        var f32 = Fixture.Doubles(c, "check_f32");

        // check_tarp itself on sbi's own ECP and α, both in float64: the same operations.
        var (atcSbi, ksSbi) = Tarp.CheckTarp(ecp32.Select(v => (double)v).ToArray(), alpha32.Select(v => (double)v).ToArray());
        var sbi64 = Fixture.Doubles(c, "check_sbi_f64");
        Assert.That(atcSbi, Is.EqualTo(sbi64[0]).Within(Tolerances.TarpAtc(bins, dAlpha, Tolerances.U64)), "check_tarp ATC on sbi's ECP");
        Assert.That(ksSbi, Is.EqualTo(sbi64[1]).Within(Tolerances.ProbOutsideSquare(bins + 1, bins + 1)), "check_tarp KS p-value on sbi's ECP");

        // The toy model's known dispersion: too narrow a posterior covers too little (ATC < 0), too wide too much.
        if (c == "underdispersed") Assert.That(atc, Is.LessThan(0));
        if (c == "overdispersed") Assert.That(atc, Is.GreaterThan(0));
        TestContext.Out.WriteLine($"{c}: ATC {atc:F5} (sbi {f32[0]:F5}), KS p {ks:G4} (sbi {f32[1]:G4})");
    }
}
