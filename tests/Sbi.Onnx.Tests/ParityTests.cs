using NUnit.Framework;
using Sbi.Onnx.Export;

namespace Sbi.Onnx.Tests;

/// <summary>
/// Exported graphs at other batch sizes than the parity harness uses (its onnx/... cases compare 1,000-row batches
/// with sbi): every row of a batch of 1, 7 or 10,000 (tiled) is as close to sbi's float64 value as sbi's own float32 is
/// (<see cref="Fixtures.Float32Bound"/>), so results do not depend on how ONNX Runtime blocks a batch.
/// </summary>
public class ParityTests
{
    private static readonly object[] FlowCases = { new object[] { "maf", 1 }, new object[] { "maf", 2 }, new object[] { "maf", 5 },
        new object[] { "nsf", 1 }, new object[] { "nsf", 2 }, new object[] { "nsf", 5 } };

    private static readonly object[] AllCases = FlowCases.Concat(new object[]
    {
        new object[] { "mdn", 1 }, new object[] { "mdn", 2 }, new object[] { "mdn", 5 },
        new object[] { "made", 1 }, new object[] { "made", 2 }, new object[] { "made", 5 },
    }).ToArray();

    private const int Hidden = 50;

    /// <summary>Batch sizes 1, 7 and 10,000 (tiled rows): every row within the float32 bound of sbi's float64 log q.</summary>
    [TestCaseSource(nameof(AllCases))]
    public void LogProbIsBatchSizeInvariant(string est, int d)
    {
        var a = Fixtures.Arrays(est, d);
        var path = Path.Combine(Fixtures.Package(est, d), "log_prob.onnx");
        var theta = a["theta"].AsFloat32();
        var x = a["x"].AsFloat32();
        var exact = a["f64/log_prob"].AsFloat64();
        double bound = Fixtures.Float32Bound(a, "log_prob", Hidden);
        var big = Fixtures.Run(path, ("theta", Fixtures.TileRows(theta, d, 10_000), new long[] { 10_000, d }), ("x", Fixtures.TileRows(x, 3, 10_000), new long[] { 10_000, 3 }));
        var seven = Fixtures.Run(path, ("theta", theta[..(7 * d)], new long[] { 7, d }), ("x", x[..21], new long[] { 7, 3 }));
        var one = Fixtures.Run(path, ("theta", theta[(3 * d)..(4 * d)], new long[] { 1, d }), ("x", x[9..12], new long[] { 1, 3 }));
        Assert.That(Enumerable.Range(0, 10_000).Max(i => Math.Abs(big[i] - exact[i % 1000])), Is.LessThanOrEqualTo(bound), "batch 10,000");
        Assert.That(Enumerable.Range(0, 7).Max(i => Math.Abs(seven[i] - exact[i])), Is.LessThanOrEqualTo(bound), "batch 7");
        Assert.That(Math.Abs(one[0] - exact[3]), Is.LessThanOrEqualTo(bound), "batch 1");
    }

    /// <summary>Sampling with batch sizes B·S = 1, 7, 10,000: every draw within the float32 bound of sbi's float64 inverse of the same noise row.</summary>
    [TestCaseSource(nameof(FlowCases))]
    public void SampleIsBatchSizeInvariant(string est, int d)
    {
        var a = Fixtures.Arrays(est, d);
        var path = Path.Combine(Fixtures.Package(est, d), "sample.onnx");
        var x0 = a["x_cond"].AsFloat32()[..3];
        var noise0 = a["noise"].AsFloat32()[..(256 * d)]; // condition 0
        var exact = a["f64/samples"].AsFloat64();         // condition-major: condition 0's 256 draws first
        double bound = Fixtures.Float32Bound(a, "samples", Hidden);
        var big = Fixtures.Run(path, ("x", x0, new long[] { 1, 3 }), ("noise", Fixtures.TileRows(noise0, d, 10_000), new long[] { 1, 10_000, d }));
        var seven = Fixtures.Run(path, ("x", x0, new long[] { 1, 3 }), ("noise", noise0[..(7 * d)], new long[] { 1, 7, d }));
        var one = Fixtures.Run(path, ("x", x0, new long[] { 1, 3 }), ("noise", noise0[(5 * d)..(6 * d)], new long[] { 1, 1, d }));
        Assert.That(Enumerable.Range(0, 10_000 * d).Max(i => Math.Abs(big[i] - exact[(i / d % 256) * d + i % d])), Is.LessThanOrEqualTo(bound), "batch 10,000");
        Assert.That(Enumerable.Range(0, 7 * d).Max(k => Math.Abs(seven[k] - exact[k])), Is.LessThanOrEqualTo(bound), "batch 7");
        Assert.That(Enumerable.Range(0, d).Max(k => Math.Abs(one[k] - exact[5 * d + k])), Is.LessThanOrEqualTo(bound), "batch 1");
    }
}
