using NUnit.Framework;
using Sbi.Transforms;
using static TorchSharp.torch;

namespace Sbi.Tests.Transforms;

public class RationalQuadraticSplineTests
{
    private const int K = 10;
    private const double B = 3.0, M = 1e-3;

    /// <summary>Random spline parameters for <paramref name="n"/> elements (float64), scaled so that bins differ a lot.</summary>
    private static (Tensor W, Tensor H, Tensor D) Params(int n, int seed, double scale = 2.0)
    {
        manual_seed(seed);
        return (scale * randn(n, K, dtype: ScalarType.Float64), scale * randn(n, K, dtype: ScalarType.Float64),
                scale * randn(n, K - 1, dtype: ScalarType.Float64));
    }

    /// <summary>Knot positions and derivatives computed independently in double precision from the definition.</summary>
    private static (double[] X, double[] Y, double[] Deriv) Knots(Tensor w, Tensor h, Tensor d)
    {
        double[] Axis(Tensor u)
        {
            var e = u.data<double>().ToArray();
            double max = e.Max(), sum = e.Sum(v => Math.Exp(v - max));
            var frac = e.Select(v => M + (1 - M * K) * Math.Exp(v - max) / sum).ToArray();
            var knots = new double[K + 1];
            knots[0] = -B;
            double c = 0;
            for (int i = 0; i < K - 1; i++) { c += frac[i]; knots[i + 1] = 2 * B * c - B; }
            knots[K] = B;
            return knots;
        }
        double Softplus(double v) => Math.Log(1 + Math.Exp(v));
        var ud = d.data<double>().ToArray();
        var deriv = new double[K + 1];
        deriv[0] = deriv[K] = M + Softplus(Math.Log(Math.Exp(1 - M) - 1));
        for (int i = 0; i < K - 1; i++) deriv[i + 1] = M + Softplus(ud[i]);
        return (Axis(w), Axis(h), deriv);
    }

    private static (Tensor Y, Tensor LogDet) Forward(Tensor x, Tensor w, Tensor h, Tensor d, bool inverse = false)
        => RationalQuadraticSpline.Apply(x, w, h, d, inverse, B);

    [Test]
    public void InverseOfForwardIsIdentityInsideAndInTheTails()
    {
        using var scope = NewDisposeScope();
        var (w, h, d) = Params(2000, 1);
        var x = linspace(-4.5, 4.5, 2000, dtype: ScalarType.Float64);
        var (y, ld) = Forward(x, w, h, d);
        var (back, ldInv) = Forward(y, w, h, d, inverse: true);
        Assert.That((back - x).abs().max().item<double>(), Is.LessThan(1e-9));
        Assert.That((ld + ldInv).abs().max().item<double>(), Is.LessThan(1e-9));
        // Tails: identity with zero log-derivative, exactly.
        var outside = x.abs() > B;
        Assert.That((y - x).index(outside).abs().max().item<double>(), Is.EqualTo(0.0));
        Assert.That(ld.index(outside).abs().max().item<double>(), Is.EqualTo(0.0));
    }

    [Test]
    public void LogDerivativeMatchesFiniteDifferences()
    {
        using var scope = NewDisposeScope();
        var (w, h, d) = Params(500, 2);
        var x = (rand(500, dtype: ScalarType.Float64) * 2 - 1) * 2.9;
        // Central differences with a small step: bins can be as narrow as 2B·1e-3, where the curvature is large.
        const double eps = 1e-7;
        var (y, ld) = Forward(x, w, h, d);
        var (yp, _) = Forward(x + eps, w, h, d);
        var (ym, _) = Forward(x - eps, w, h, d);
        var numeric = (yp - ym) / (2 * eps);
        // (The second derivative jumps at knots, so a difference straddling a knot is only first-order accurate there.)
        Assert.That((numeric / ld.exp() - 1).abs().max().item<double>(), Is.LessThan(1e-3));
        // And the inverse's log-derivative is that of the inverse map.
        var (_, ldInv) = Forward(y, w, h, d, inverse: true);
        Assert.That((ldInv + ld).abs().max().item<double>(), Is.LessThan(1e-9));
    }

    /// <summary>
    /// At every interior knot the spline passes through the independently computed knot value, and its value and
    /// derivative agree from both sides; at ±3 it joins the identity tails with value ±3 and derivative 1.
    /// </summary>
    [Test]
    public void ContinuousWithContinuousDerivativeAtKnotsAndTailBounds()
    {
        using var scope = NewDisposeScope();
        var (w, h, d) = Params(3, 3);
        // Small enough that the change of the derivative across δ (curvature up to ~1e4 in the narrowest bins) is
        // negligible; both one-sided points are then compared with the knot's own value and derivative.
        const double delta = 1e-12;
        for (int row = 0; row < 3; row++)
        {
            var (wr, hr, dr) = (w[row], h[row], d[row]);
            var (xs, ys, derivs) = Knots(wr, hr, dr);
            for (int k = 0; k <= K; k++)
            {
                var pts = tensor(new[] { xs[k] - delta, xs[k], xs[k] + delta }, dtype: ScalarType.Float64);
                var n = pts.shape[0];
                var (y, ld) = Forward(pts, wr.expand(n, K), hr.expand(n, K), dr.expand(n, K - 1));
                var yv = y.data<double>().ToArray();
                var dv = ld.exp().data<double>().ToArray();
                Assert.That(yv[1], Is.EqualTo(ys[k]).Within(1e-12), $"row {row}: value at knot {k}");
                Assert.That(yv[0], Is.EqualTo(ys[k]).Within(1e-8), $"row {row}: left limit at knot {k}");
                Assert.That(yv[2], Is.EqualTo(ys[k]).Within(1e-8), $"row {row}: right limit at knot {k}");
                Assert.That(dv[0], Is.EqualTo(derivs[k]).Within(1e-6 * (1 + derivs[k])), $"row {row}: left derivative at knot {k}");
                Assert.That(dv[2], Is.EqualTo(derivs[k]).Within(1e-6 * (1 + derivs[k])), $"row {row}: right derivative at knot {k}");
                Assert.That(yv[0], Is.LessThan(yv[1]));
                Assert.That(yv[1], Is.LessThan(yv[2]));
            }
            Assert.That(xs[0], Is.EqualTo(-B));
            Assert.That(ys[K], Is.EqualTo(B));
            Assert.That(derivs[0], Is.EqualTo(1.0).Within(1e-12), "boundary derivative (linear tails)");
        }
    }

    [Test]
    public void StrictlyIncreasingOnAFineGrid()
    {
        using var scope = NewDisposeScope();
        var (w, h, d) = Params(1, 4, scale: 4.0);
        var x = linspace(-4, 4, 20001, dtype: ScalarType.Float64);
        var (y, ld) = Forward(x, w.expand(20001, K), h.expand(20001, K), d.expand(20001, K - 1));
        Assert.That((y[1..] - y[..^1]).min().item<double>(), Is.GreaterThan(0.0));
        Assert.That(ld.isfinite().all().item<bool>());
    }

    /// <summary>Inputs far outside and exactly at ±B, and gradients there (the spline branch is computed on clamped inputs).</summary>
    [Test]
    public void TailsAreExactAndGradientsFinite()
    {
        using var scope = NewDisposeScope();
        var (w, h, d) = Params(6, 5);
        var wr = w.clone().requires_grad_(true);
        var x = tensor(new[] { -1e6, -3.0, -3.0 - 1e-12, 3.0, 3.0 + 1e-12, 50.0 }, dtype: ScalarType.Float64).requires_grad_(true);
        var (y, ld) = RationalQuadraticSpline.Apply(x, wr, h, d, false, B);
        var yv = y.detach().data<double>().ToArray();
        Assert.That(yv[0], Is.EqualTo(-1e6));
        Assert.That(yv[1], Is.EqualTo(-3.0).Within(1e-12));
        Assert.That(yv[3], Is.EqualTo(3.0).Within(1e-12));
        Assert.That(yv[5], Is.EqualTo(50.0));
        (y.sum() + ld.sum()).backward();
        Assert.That(x.grad!.isfinite().all().item<bool>());
        Assert.That(wr.grad!.isfinite().all().item<bool>());
        Assert.That(x.grad![0].item<double>(), Is.EqualTo(1.0));
    }

    /// <summary>
    /// The training path (one custom autograd function with an analytic backward) has the same forward values as the
    /// plain tensor ops and the same gradients as autograd through them, for inputs inside and outside [−B, B], with
    /// weights on both outputs; float64 (1e-9 relative) and float32 (float rounding).
    /// </summary>
    [TestCase(ScalarType.Float64, 1e-9)]
    [TestCase(ScalarType.Float32, 2e-4)]
    public void CustomBackwardMatchesAutograd(ScalarType dtype, double tolerance)
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        const int n = 300, d = 3;
        var x0 = (randn(n, d, dtype: ScalarType.Float64) * 2.5).to(dtype);
        var p0 = (randn(n, d, 3 * K - 1, dtype: ScalarType.Float64) * 2).to(dtype);
        var gOut = randn(n, d, dtype: ScalarType.Float64).to(dtype);
        var gLd = randn(n, d, dtype: ScalarType.Float64).to(dtype);
        double divisor = Math.Sqrt(50);

        var xa = x0.clone().requires_grad_(true);
        var pa = p0.clone().requires_grad_(true);
        var (ya, la) = RationalQuadraticSpline.Evaluate(xa, pa, K, false, B, divisor, M, M, M, null);   // autograd reference
        ((ya * gOut).sum() + (la * gLd).sum()).backward();

        var xb = x0.clone().requires_grad_(true);
        var pb = p0.clone().requires_grad_(true);
        var (yb, lb) = RationalQuadraticSpline.ApplyPacked(xb, pb, K, false, B, divisor);                // custom function
        Assert.That(yb.requires_grad);
        ((yb * gOut).sum() + (lb * gLd).sum()).backward();

        Assert.That((ya - yb).abs().max().to(ScalarType.Float64).item<double>(), Is.EqualTo(0.0), "same forward ops");
        Assert.That((la - lb).abs().max().to(ScalarType.Float64).item<double>(), Is.EqualTo(0.0), "same forward ops");
        double Rel(Tensor a, Tensor b) => ((a - b).abs().max() / (a.abs().max() + 1e-30)).to(ScalarType.Float64).item<double>();
        Assert.That(Rel(xa.grad!, xb.grad!), Is.LessThan(tolerance), "input gradient");
        Assert.That(Rel(pa.grad!, pb.grad!), Is.LessThan(tolerance), "parameter gradient");
        Assert.That(Rel(pa.grad!.narrow(-1, 0, 2 * K), pb.grad!.narrow(-1, 0, 2 * K)), Is.LessThan(tolerance), "width/height gradient");
        Assert.That(Rel(pa.grad!.narrow(-1, 2 * K, K - 1), pb.grad!.narrow(-1, 2 * K, K - 1)), Is.LessThan(tolerance), "derivative gradient");
    }

    /// <summary>The float32 path (what the flows use) agrees with the float64 one to float rounding.</summary>
    [Test]
    public void Float32AgreesWithFloat64()
    {
        using var scope = NewDisposeScope();
        var (w, h, d) = Params(4000, 6, scale: 1.0);
        var x = linspace(-3.5, 3.5, 4000, dtype: ScalarType.Float64);
        var (y64, ld64) = Forward(x, w, h, d);
        var (y32, ld32) = Forward(x.to(ScalarType.Float32), w.to(ScalarType.Float32), h.to(ScalarType.Float32), d.to(ScalarType.Float32));
        // float32 rounding of knots of magnitude ≤ 3 (≈ 2e-7) is amplified by slopes and curvatures of the narrowest
        // bins, as in nflows (sbi's own float32 NSF log-densities differ from float64 by up to 1.5e-5).
        Assert.That((y32.to(ScalarType.Float64) - y64).abs().max().item<double>(), Is.LessThan(5e-5));
        Assert.That((ld32.to(ScalarType.Float64) - ld64).abs().max().item<double>(), Is.LessThan(2e-4));
    }
}
