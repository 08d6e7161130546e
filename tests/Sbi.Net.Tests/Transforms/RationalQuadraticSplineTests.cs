using NUnit.Framework;
using Sbi.Testing;
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

    /// <summary>nflows' rational-quadratic segment in double, from a bin's knots and knot derivatives (an independent reference).</summary>
    private static (double Y, double LogDet) Segment(double x, double xk, double xk1, double yk, double yk1, double dk, double dk1)
    {
        double w = xk1 - xk, h = yk1 - yk, s = h / w, xi = (x - xk) / w, t = xi * (1 - xi);
        double den = s + (dk1 + dk - 2 * s) * t;
        double y = yk + h * (s * xi * xi + dk * t) / den;
        double ld = Math.Log(s * s * (dk1 * xi * xi + 2 * s * t + dk * (1 - xi) * (1 - xi))) - 2 * Math.Log(den);
        return (y, ld);
    }

    /// <summary>
    /// First-order effect, at x in bin k, of the knot error model of <see cref="Tolerances.SplineKnot"/>: each of the
    /// bin's four knot coordinates off by the knot error and each knot derivative by 4u relative (softplus and the
    /// minimum), propagated through <see cref="Segment"/> one at a time (finite differences of size δ in double, whose
    /// own truncation is second order in δ) and summed in absolute value; plus the input's rounding u·|x| times the
    /// slope and <see cref="Tolerances.SplineOperations"/>·u·(|f| + 1) for the formulas themselves.
    /// </summary>
    private static (double Y, double LogDet) SegmentErrorBound(double x, double[] xs, double[] ys, double[] ds, int k, double u)
    {
        double knot = Tolerances.SplineKnot(K, B, u);
        var f0 = Segment(x, xs[k], xs[k + 1], ys[k], ys[k + 1], ds[k], ds[k + 1]);
        double dy = 0, dl = 0;
        for (int j = 0; j < 6; j++)
        {
            var v = new[] { xs[k], xs[k + 1], ys[k], ys[k + 1], ds[k], ds[k + 1] };
            double step = j < 4 ? knot : 4 * u * v[j];
            v[j] += step;
            var f = Segment(x, v[0], v[1], v[2], v[3], v[4], v[5]);
            dy += Math.Abs(f.Y - f0.Y);
            dl += Math.Abs(f.LogDet - f0.LogDet);
        }
        double slope = Math.Exp(f0.LogDet);
        return (dy + slope * u * Math.Abs(x) + Tolerances.SplineOperations * u * (Math.Abs(f0.Y) + 1),
                dl + Tolerances.SplineOperations * u * (Math.Abs(f0.LogDet) + 1));
    }

    /// <summary>The bin of x among the knots (−B ≤ x ≤ B).</summary>
    private static int Bin(double x, double[] xs)
    {
        int k = 0;
        while (k < K - 1 && x >= xs[k + 1]) k++;
        return k;
    }

    private static (Tensor Y, Tensor LogDet) Forward(Tensor x, Tensor w, Tensor h, Tensor d, bool inverse = false)
        => RationalQuadraticSpline.Apply(x, w, h, d, inverse, B);

    private static Tensor F(Tensor t, ScalarType dtype) => t.to(dtype).detach().clone();

    /// <summary>
    /// Inverse after forward gives back x, and the two log-derivatives cancel, to the float64 rounding that the same
    /// round trip's float32 error scales to (<see cref="Tolerances.Float64FromFloat32"/>: narrow bins make the spline
    /// ill-conditioned, and the float32 run measures by how much). Tails are the identity, exactly.
    /// </summary>
    [Test]
    public void InverseOfForwardIsIdentityInsideAndInTheTails()
    {
        using var scope = NewDisposeScope();
        var (w, h, d) = Params(2000, 1);
        var x = linspace(-4.5, 4.5, 2000, dtype: ScalarType.Float64);
        (double Back, double LogDet) RoundTrip(ScalarType t, int k)
        {
            var xt = RoundingRealisations.Perturb(F(x, t), k);
            var (y, ld) = Forward(xt, F(w, t), F(h, t), F(d, t));
            var (back, ldInv) = Forward(y, F(w, t), F(h, t), F(d, t), inverse: true);
            return ((back.D() - xt.D()).abs().max().item<double>(), (ld.D() + ldInv.D()).abs().max().item<double>());
        }
        var e32 = (Back: RoundingRealisations.MaxError(k => RoundTrip(ScalarType.Float32, k).Back),
                   LogDet: RoundingRealisations.MaxError(k => RoundTrip(ScalarType.Float32, k).LogDet));
        var e64 = RoundTrip(ScalarType.Float64, 0);
        Assert.That(e64.Back, Is.LessThanOrEqualTo(Tolerances.Float64FromFloat32(e32.Back, K, B)), $"float32 round trip {e32.Back:G3}");
        Assert.That(e64.LogDet, Is.LessThanOrEqualTo(Tolerances.Float64FromFloat32(e32.LogDet, K, B)), $"float32 round trip {e32.LogDet:G3}");
        // Tails: identity with zero log-derivative, exactly.
        var (y64, ld64) = Forward(x, w, h, d);
        var outside = x.abs() > B;
        Assert.That((y64 - x).index(outside).abs().max().item<double>(), Is.EqualTo(0.0));
        Assert.That(ld64.index(outside).abs().max().item<double>(), Is.EqualTo(0.0));
    }

    /// <summary>
    /// exp(log-derivative) of the closed form is the slope dy/dx that autograd finds through the plain tensor ops of
    /// the forward map (an independent derivation of the same derivative), in float64 to the rounding the float32 run
    /// of the same comparison scales to; and the inverse's log-derivative is that of the inverse map.
    /// </summary>
    [Test]
    public void LogDerivativeIsTheSlopeOfTheMap()
    {
        using var scope = NewDisposeScope();
        var (w, h, d) = Params(500, 2);
        var x = (rand(500, dtype: ScalarType.Float64) * 2 - 1) * 2.9;
        double SlopeError(ScalarType t, int k = 0)
        {
            var xt = RoundingRealisations.Perturb(F(x, t), k).requires_grad_(true);
            var packed = cat(new[] { F(w, t), F(h, t), F(d, t) }, -1);
            var (y, ld) = RationalQuadraticSpline.Evaluate(xt, packed, K, false, B, 1.0, M, M, M, null);
            y.sum().backward();
            return (xt.grad!.D() / ld.detach().D().exp() - 1).abs().max().item<double>();
        }
        double e32 = RoundingRealisations.MaxError(k => SlopeError(ScalarType.Float32, k));
        Assert.That(SlopeError(ScalarType.Float64), Is.LessThanOrEqualTo(Tolerances.Float64FromFloat32(e32, K, 1)), $"float32 {e32:G3}");
        var (y64, ld64) = Forward(x, w, h, d);
        var (_, ldInv64) = Forward(y64, w, h, d, inverse: true);
        double inv32 = RoundingRealisations.MaxError(k =>
        {
            var (y32, ld32) = Forward(RoundingRealisations.Perturb(F(x, ScalarType.Float32), k), F(w, ScalarType.Float32), F(h, ScalarType.Float32), F(d, ScalarType.Float32));
            var (_, ldInv32) = Forward(y32, F(w, ScalarType.Float32), F(h, ScalarType.Float32), F(d, ScalarType.Float32), inverse: true);
            return (ldInv32.D() + ld32.D()).abs().max().item<double>();
        });
        Assert.That((ldInv64 + ld64).abs().max().item<double>(), Is.LessThanOrEqualTo(Tolerances.Float64FromFloat32(inv32, K, B)));
    }

    /// <summary>
    /// At every interior knot the spline passes through the independently computed knot value (to the float64 rounding
    /// the float32 evaluation at the same knots scales to), its values one representable double to either side are
    /// within slope × that step of it (mean value theorem) and its slopes there equal the knot's derivative from both
    /// sides (one ulp away the curvature term g''·ulp(x), at most ~10⁴·4·10⁻¹⁶, is far below the rounding bound); at
    /// ±3 it joins the identity tails with value ±3 and derivative 1.
    /// </summary>
    [Test]
    public void ContinuousWithContinuousDerivativeAtKnotsAndTailBounds()
    {
        using var scope = NewDisposeScope();
        var (w, h, d) = Params(3, 3);
        const double delta = 1e-12; // for the strict-monotonicity check across the knot
        for (int row = 0; row < 3; row++)
        {
            var (wr, hr, dr) = (w[row], h[row], d[row]);
            var (xs, ys, derivs) = Knots(wr, hr, dr);
            (double[] Y, double[] Slope) At(double[] pts, ScalarType t)
            {
                var p = tensor(pts, dtype: ScalarType.Float64).to(t);
                long n = p.shape[0];
                var (y, ld) = Forward(p, F(wr, t).expand(n, K), F(hr, t).expand(n, K), F(dr, t).expand(n, K - 1));
                return (y.D().data<double>().ToArray(), ld.D().exp().data<double>().ToArray());
            }
            for (int k = 0; k <= K; k++)
            {
                double[] pts = { Math.BitDecrement(xs[k]), xs[k], Math.BitIncrement(xs[k]) };
                var (yv, dv) = At(pts, ScalarType.Float64);
                // The knot error model in float64, in the bin to the left (ξ = 1) and to the right (ξ = 0) of the knot.
                var left = k > 0 ? SegmentErrorBound(xs[k], xs, ys, derivs, k - 1, Tolerances.U64) : (Y: 0.0, LogDet: 0.0);
                var right = k < K ? SegmentErrorBound(xs[k], xs, ys, derivs, k, Tolerances.U64) : (Y: 0.0, LogDet: 0.0);
                double valueError = Math.Max(left.Y, right.Y), slopeError = Math.Max(left.LogDet, right.LogDet);
                Assert.That(yv[1], Is.EqualTo(ys[k]).Within(valueError), $"row {row}: value at knot {k}");
                for (int side = 0; side <= 2; side += 2)
                {
                    double step = Math.Abs(pts[side] - xs[k]);
                    Assert.That(yv[side], Is.EqualTo(ys[k]).Within(valueError + dv[side] * step), $"row {row}: one-sided value at knot {k}");
                    // |Δ log g'| ≤ slopeError bounds the relative slope error (e^a − 1 ≈ a).
                    Assert.That(Math.Log(dv[side] / derivs[k]), Is.EqualTo(0).Within(slopeError), $"row {row}: one-sided derivative at knot {k}");
                }
                var (ym, _) = At(new[] { xs[k] - delta, xs[k], xs[k] + delta }, ScalarType.Float64);
                Assert.That(ym[0], Is.LessThan(ym[1]));
                Assert.That(ym[1], Is.LessThan(ym[2]));
            }
            Assert.That(xs[0], Is.EqualTo(-B));
            Assert.That(ys[K], Is.EqualTo(B));
            Assert.That(derivs[0], Is.EqualTo(1.0).Within(Tolerances.IdentityConstantRoundings * Tolerances.U64), "boundary derivative (linear tails)");
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
        // At ±B the spline branch returns its end knot ±B, computed as a cumulative sum forced to the bound exactly.
        Assert.That(yv[1], Is.EqualTo(-3.0));
        Assert.That(yv[3], Is.EqualTo(3.0));
        Assert.That(yv[5], Is.EqualTo(50.0));
        (y.sum() + ld.sum()).backward();
        Assert.That(x.grad!.isfinite().all().item<bool>());
        Assert.That(wr.grad!.isfinite().all().item<bool>());
        Assert.That(x.grad![0].item<double>(), Is.EqualTo(1.0));
    }

    /// <summary>
    /// The training path (one custom autograd function with an analytic backward) has the same forward values as the
    /// plain tensor ops, bit for bit, and the same gradients as autograd through them, for inputs inside and outside
    /// [−B, B], with weights on both outputs: in float64 the two gradients agree to float64 rounding, and in float32 the
    /// custom backward is as close to the float64 gradient as autograd's float32 one is (<see cref="FloatAgreement"/>).
    /// </summary>
    [Test]
    public void CustomBackwardMatchesAutograd()
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        const int n = 300, d = 3;
        var x0 = randn(n, d, dtype: ScalarType.Float64) * 2.5;
        var p0 = randn(n, d, 3 * K - 1, dtype: ScalarType.Float64) * 2;
        var gOut = randn(n, d, dtype: ScalarType.Float64);
        var gLd = randn(n, d, dtype: ScalarType.Float64);
        double divisor = Math.Sqrt(50);

        // Gradients (input, parameters) of Σ gOut·y + gLd·log|dy/dx| by autograd through the plain ops or by the custom function.
        (Tensor X, Tensor P) Gradients(ScalarType t, bool custom)
        {
            var xa = F(x0, t).requires_grad_(true);
            var pa = F(p0, t).requires_grad_(true);
            var (y, l) = custom ? RationalQuadraticSpline.ApplyPacked(xa, pa, K, false, B, divisor)
                                : RationalQuadraticSpline.Evaluate(xa, pa, K, false, B, divisor, M, M, M, null);
            if (custom) Assert.That(y.requires_grad);
            var (yRef, lRef) = RationalQuadraticSpline.Evaluate(F(x0, t), F(p0, t), K, false, B, divisor, M, M, M, null);
            Assert.That(y.detach().eq(yRef).all().item<bool>() && l.detach().eq(lRef).all().item<bool>(), "same forward ops");
            ((y * F(gOut, t)).sum() + (l * F(gLd, t)).sum()).backward();
            return (xa.grad!.D(), pa.grad!.D());
        }
        var auto32 = Gradients(ScalarType.Float32, false);
        var auto64 = Gradients(ScalarType.Float64, false);
        var custom32 = Gradients(ScalarType.Float32, true);
        var custom64 = Gradients(ScalarType.Float64, true);
        // Each gradient entry collects the terms of one element's spline (no reduction across elements).
        var input = FloatAgreement.Of(custom32.X, custom64.X, auto32.X, auto64.X, 3 * K);
        var parameters = FloatAgreement.Of(custom32.P, custom64.P, auto32.P, auto64.P, 3 * K);
        Assert.That(input.Passed, "input gradient: " + input);
        Assert.That(parameters.Passed, "parameter gradient: " + parameters);
    }

    /// <summary>
    /// The float32 path (what the flows use) is as accurate as float32 knots allow: at every point inside [−B, B] its
    /// distance to the float64 result is within <see cref="SegmentErrorBound"/> (the knot error model propagated through
    /// that point's own bin, so narrow bins get the larger bounds they need). Outside, the tails are the identity.
    /// </summary>
    [Test]
    public void Float32AgreesWithFloat64()
    {
        using var scope = NewDisposeScope();
        const int n = 4000;
        var (w, h, d) = Params(n, 6, scale: 1.0);
        var x = linspace(-3.5, 3.5, n, dtype: ScalarType.Float64);
        var (y64, ld64) = Forward(x, w, h, d);
        var (y32, ld32) = Forward(x.to(ScalarType.Float32), w.to(ScalarType.Float32), h.to(ScalarType.Float32), d.to(ScalarType.Float32));
        var xv = x.data<double>().ToArray();
        var ey = (y32.D() - y64).abs().data<double>().ToArray();
        var el = (ld32.D() - ld64).abs().data<double>().ToArray();
        double worstY = 0, worstL = 0;
        for (int i = 0; i < n; i++)
        {
            if (Math.Abs(xv[i]) > B) { Assert.That(ey[i] <= Tolerances.U32 * Math.Abs(xv[i]) && el[i] == 0, $"tail at {xv[i]}"); continue; }
            var (xs, ys, ds) = Knots(w[i], h[i], d[i]);
            var bound = SegmentErrorBound(xv[i], xs, ys, ds, Bin(xv[i], xs), Tolerances.U32);
            worstY = Math.Max(worstY, ey[i] / bound.Y);
            worstL = Math.Max(worstL, el[i] / bound.LogDet);
        }
        TestContext.Out.WriteLine($"max error / bound: value {worstY:G3}, log-derivative {worstL:G3}");
        Assert.That(worstY, Is.LessThanOrEqualTo(1.0), "value");
        Assert.That(worstL, Is.LessThanOrEqualTo(1.0), "log-derivative");
    }
}
