using System.Runtime.CompilerServices;
namespace Sbi.Nn.Fused;

/// <summary>
/// nflows' rational-quadratic spline with linear tails for one element, forward and backward, in double precision
/// (the tensor version is <see cref="Sbi.Transforms.RationalQuadraticSpline"/>, its backward
/// <see cref="Sbi.Transforms.RationalQuadraticSplineFunction"/>; the formulas and their order are the same).
/// Parameters are packed as the coupling layers lay them out: K width logits, K height logits, K − 1 interior
/// derivative pre-activations.
/// </summary>
internal readonly struct SplineMath
{
    private readonly int _k;
    private readonly double _b, _divisor, _minW, _minH, _minD, _boundaryDerivative;

    public SplineMath(int bins, double tailBound, double divisor, double minBinWidth, double minBinHeight, double minDerivative)
    {
        _k = bins; _b = tailBound; _divisor = divisor; _minW = minBinWidth; _minH = minBinHeight; _minD = minDerivative;
        // softplus(log(e^(1 − m) − 1)) + m: the boundary knots' derivative, 1 up to rounding (linear tails).
        double raw = Math.Log(Math.Exp(1 - minDerivative) - 1);
        _boundaryDerivative = Softplus(raw) + minDerivative;
    }

    /// <summary>Number of packed parameters per element, 3K − 1.</summary>
    public int ParameterCount => 3 * _k - 1;

    /// <summary>PyTorch's softplus (β = 1, threshold 20) in double precision.</summary>
    internal static double Softplus(double x) => x > 20 ? x : Math.Log(1 + Math.Exp(x));

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>Normalised bin fractions (softmax, floored) from K logits; the probabilities are kept for the backward.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Fractions(ReadOnlySpan<float> logits, double minimum, Span<double> prob, Span<double> frac)
    {
        double max = double.NegativeInfinity;
        for (int j = 0; j < _k; j++) max = Math.Max(max, logits[j] / _divisor);
        double sum = 0;
        for (int j = 0; j < _k; j++) { prob[j] = Math.Exp(logits[j] / _divisor - max); sum += prob[j]; }
        for (int j = 0; j < _k; j++) { prob[j] /= sum; frac[j] = minimum + (1 - minimum * _k) * prob[j]; }
    }

    /// <summary>Knots −B, 2B·cumsum(frac)_j − B (j &lt; K − 1 interior), B.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Knots(ReadOnlySpan<double> frac, Span<double> knots)
    {
        knots[0] = -_b;
        double c = 0;
        for (int j = 1; j < _k; j++) { c += frac[j - 1]; knots[j] = 2 * _b * c - _b; }
        knots[_k] = _b;
    }

    private record struct Bin(double X0, double W, double Y0, double H, double D0, double D1, int Index);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private Bin Locate(double u, ReadOnlySpan<float> p, Span<double> pw, Span<double> ph, Span<double> xk, Span<double> yk)
    {
        Span<double> fw = stackalloc double[_k], fh = stackalloc double[_k];
        Fractions(p[.._k], _minW, pw, fw);
        Fractions(p.Slice(_k, _k), _minH, ph, fh);
        Knots(fw, xk);
        Knots(fh, yk);
        int bin = 0;
        for (int j = 1; j < _k; j++) if (xk[j] <= u) bin++;
        double d0 = bin == 0 ? _boundaryDerivative : Softplus(p[2 * _k + bin - 1]) + _minD;
        double d1 = bin == _k - 1 ? _boundaryDerivative : Softplus(p[2 * _k + bin]) + _minD;
        return new Bin(xk[bin], xk[bin + 1] - xk[bin], yk[bin], yk[bin + 1] - yk[bin], d0, d1, bin);
    }

    /// <summary>y = spline(u) and log|dy/du|; the identity with log-det 0 outside [−B, B].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public (float Output, float LogAbsDet) Forward(float input, ReadOnlySpan<float> p)
    {
        double u = input;
        if (!(u >= -_b && u <= _b)) return (input, 0f);
        Span<double> pw = stackalloc double[_k], ph = stackalloc double[_k], xk = stackalloc double[_k + 1], yk = stackalloc double[_k + 1];
        var bn = Locate(u, p, pw, ph, xk, yk);
        double s = bn.H / bn.W, xi = (u - bn.X0) / bn.W, xi1m = 1 - xi, t = xi * xi1m;
        double a = s * xi * xi + bn.D0 * t;
        double den = s + (bn.D0 + bn.D1 - 2 * s) * t;
        double bracket = bn.D1 * xi * xi + 2 * s * t + bn.D0 * xi1m * xi1m;
        return ((float)(bn.Y0 + bn.H * a / den), (float)(Math.Log(s * s * bracket) - 2 * Math.Log(den)));
    }

    /// <summary>
    /// Gradients of gy·y + gl·log|dy/du| with respect to the input (returned) and the packed parameters
    /// (<paramref name="gp"/>, overwritten).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public float Backward(float input, ReadOnlySpan<float> p, float gy, float gl, Span<float> gp)
    {
        gp[..ParameterCount].Clear();
        double u = input;
        if (!(u >= -_b && u <= _b)) return gy;
        Span<double> pw = stackalloc double[_k], ph = stackalloc double[_k], xk = stackalloc double[_k + 1], yk = stackalloc double[_k + 1];
        var bn = Locate(u, p, pw, ph, xk, yk);
        double w = bn.W, h = bn.H, d0 = bn.D0, d1 = bn.D1;
        double s = h / w, xi = (u - bn.X0) / w, xi1m = 1 - xi, t = xi * xi1m;
        double dSum = d0 + d1 - 2 * s;
        double a = s * xi * xi + d0 * t;
        double den = s + dSum * t;
        double bracket = d1 * xi * xi + 2 * s * t + d0 * xi1m * xi1m;
        double invDen = 1 / den, invBracket = 1 / bracket, hOverDen = h * invDen, hAOverDen2 = hOverDen * a * invDen;
        double oneMinus2Xi = xi1m - xi, oneMinus2T = 1 - 2 * t, twoTOverDen = 2 * t * invDen;
        double gXi = gy * (hOverDen * (2 * s * xi + d0 * oneMinus2Xi) - hAOverDen2 * dSum * oneMinus2Xi)
                   + gl * ((2 * d1 * xi + 2 * s * oneMinus2Xi - 2 * d0 * xi1m) * invBracket - 2 * dSum * oneMinus2Xi * invDen);
        double gS = gy * (hOverDen * xi * xi - hAOverDen2 * oneMinus2T) + gl * (2 / s + 2 * t * invBracket - 2 * oneMinus2T * invDen);
        double gD0 = gy * (hOverDen - hAOverDen2) * t + gl * (xi1m * xi1m * invBracket - twoTOverDen);
        double gD1 = -gy * hAOverDen2 * t + gl * (xi * xi * invBracket - twoTOverDen);
        double gX = gXi / w;
        double gW = -(gXi * xi + gS * s) / w;
        double gH = gy * a * invDen + gS / w;

        // Knot gradients (only bin and bin + 1 are touched) back to the logits: interior knot j = 2B Σ_{i<j} frac_i − B.
        int bin = bn.Index;
        Span<double> gxk = stackalloc double[_k + 1], gyk = stackalloc double[_k + 1];
        gxk.Clear(); gyk.Clear();
        gxk[bin] += -gX - gW; gxk[bin + 1] += gW;
        gyk[bin] += gy - gH; gyk[bin + 1] += gH;
        Logits(gxk, pw, _minW, gp[.._k]);
        Logits(gyk, ph, _minH, gp.Slice(_k, _k));
        if (bin > 0) gp[2 * _k + bin - 1] = (float)(gD0 * Sigmoid(p[2 * _k + bin - 1]));
        if (bin < _k - 1) gp[2 * _k + bin] = (float)(gD1 * Sigmoid(p[2 * _k + bin]));
        return (float)gX;
    }

    /// <summary>Knot gradients → fraction gradients (suffix sums over interior knots) → softmax → logits / divisor.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Logits(ReadOnlySpan<double> gKnots, ReadOnlySpan<double> prob, double minimum, Span<float> gLogits)
    {
        Span<double> gFrac = stackalloc double[_k];
        double suffix = 0;
        for (int i = _k - 1; i >= 0; i--)
        {
            gFrac[i] = 2 * _b * suffix * (1 - minimum * _k);   // frac_i feeds interior knots i + 1 … K − 1
            if (i >= 1) suffix += gKnots[i];
        }
        double dot = 0;
        for (int i = 0; i < _k; i++) dot += gFrac[i] * prob[i];
        for (int i = 0; i < _k; i++) gLogits[i] = (float)(prob[i] * (gFrac[i] - dot) / _divisor);
    }
}
