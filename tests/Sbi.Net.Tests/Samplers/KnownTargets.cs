using Sbi.Samplers;

namespace Sbi.Tests.Samplers;

/// <summary>
/// Plain-double targets with known moments for the Hamiltonian kernels: log densities and gradients in closed form
/// (no TorchSharp), thread-safe because they hold no mutable state. Each knows its means and marginal variances.
/// </summary>
internal abstract class KnownTarget : IMcmcTarget
{
    public abstract int Dim { get; }

    /// <summary>E x per dimension.</summary>
    public abstract double[] Mean { get; }

    /// <summary>Var x per dimension (so E x² = Mean² + Variance).</summary>
    public abstract double[] Variance { get; }

    /// <summary>Target evaluations so far (gradient calls included); counts rows.</summary>
    public long Evaluations => Interlocked.Read(ref _evaluations);

    private long _evaluations;

    /// <summary>
    /// A start for one chain, overdispersed around the bulk: Mean + √Variance·U(−2, 2) per dimension (sd 1.15 of the
    /// target's), drawn from the chain's own stream so that a chain depends on its seed alone.
    /// </summary>
    public virtual double[] Init(Random rng) =>
        Enumerable.Range(0, Dim).Select(i => Mean[i] + Math.Sqrt(Variance[i]) * (4 * rng.NextDouble() - 2)).ToArray();

    /// <summary>log p̃ and ∂/∂z of one row.</summary>
    protected abstract double Evaluate(ReadOnlySpan<double> z, Span<double> gradient);

    public void LogDensity(ReadOnlySpan<double> z, int rows, Span<double> logDensity)
    {
        Span<double> scratch = stackalloc double[Dim];
        for (int r = 0; r < rows; r++) logDensity[r] = Evaluate(z.Slice(r * Dim, Dim), scratch);
        Interlocked.Add(ref _evaluations, rows);
    }

    public void LogDensityAndGradient(ReadOnlySpan<double> z, int rows, Span<double> logDensity, Span<double> gradient)
    {
        for (int r = 0; r < rows; r++) logDensity[r] = Evaluate(z.Slice(r * Dim, Dim), gradient.Slice(r * Dim, Dim));
        Interlocked.Add(ref _evaluations, rows);
    }
}

/// <summary>
/// N(m, Σ) in D dimensions with Σ = S R S: R the AR(1) correlation Rᵢⱼ = ρ^|i−j| and scales Sᵢ spaced geometrically
/// from <c>minScale</c> to <c>maxScale</c> (condition number of Σ ≈ (max/min)²·(1+ρ)²/(1−ρ)²). R⁻¹ is tridiagonal,
/// (1/(1−ρ²))·[diagonal 1, 1+ρ², …, 1+ρ², 1; off-diagonals −ρ], so log p̃ = −½ uᵀR⁻¹u with u = (z − m)/S and
/// ∇ = −S⁻¹R⁻¹u in closed form.
/// </summary>
internal sealed class CorrelatedGaussian : KnownTarget
{
    private readonly double _rho;
    private readonly double[] _mean, _scale, _variance;

    public CorrelatedGaussian(int dim = 10, double rho = 0.8, double minScale = 0.1, double maxScale = 10)
    {
        _rho = rho;
        _scale = Enumerable.Range(0, dim).Select(i => minScale * Math.Pow(maxScale / minScale, dim == 1 ? 0 : i / (dim - 1.0))).ToArray();
        // Means of the order of each scale and of both signs, so a sampler stuck near 0 fails.
        _mean = Enumerable.Range(0, dim).Select(i => (i % 2 == 0 ? 1 : -1) * 0.5 * _scale[i]).ToArray();
        _variance = _scale.Select(s => s * s).ToArray();
    }

    public override int Dim => _mean.Length;
    public override double[] Mean => _mean;
    public override double[] Variance => _variance;

    protected override double Evaluate(ReadOnlySpan<double> z, Span<double> gradient)
    {
        int d = Dim;
        Span<double> u = stackalloc double[d];
        for (int i = 0; i < d; i++) u[i] = (z[i] - _mean[i]) / _scale[i];
        double c = 1 / (1 - _rho * _rho), quad = 0;
        for (int i = 0; i < d; i++)
        {
            double diag = (i == 0 || i == d - 1 ? 1 : 1 + _rho * _rho) * u[i];
            double off = (i > 0 ? u[i - 1] : 0) + (i < d - 1 ? u[i + 1] : 0);
            double precisionU = c * (diag - _rho * off);   // (R⁻¹u)ᵢ
            quad += u[i] * precisionU;
            gradient[i] = -precisionU / _scale[i];
        }
        return -0.5 * quad;
    }
}

/// <summary>
/// A banana: x₁ ~ N(0, σ₁²), x₂ | x₁ ~ N(b(x₁² − σ₁²), σ₂²). E x₂ = b(E x₁² − σ₁²) = 0 and
/// Var x₂ = σ₂² + b²·Var x₁² = σ₂² + 2b²σ₁⁴. The curvature along x₁ is 1/σ₁² + 4b²x₁²/σ₂², so b/σ₂ sets how much
/// sharper the tails are than the bulk: the default σ₂ = 1 (b/σ₂ = ½, curvature 1 + x₁²) keeps the leapfrog stable
/// out to |x₁| ≈ 3 at the adapted step size. With σ₂ = ½ (1 + 4x₁²) NUTS diverges in the tails at δ = 0.8 and a
/// chain can linger there: over seeds 100–129 the smallest ESS fell to 25 and one moment's z reached 5.5, a
/// property of that target at that δ rather than a test of the kernel.
/// </summary>
internal sealed class Banana(double sigma1 = 1, double b = 0.5, double sigma2 = 1) : KnownTarget
{
    public override int Dim => 2;
    public override double[] Mean => [0, 0];
    public override double[] Variance => [sigma1 * sigma1, sigma2 * sigma2 + 2 * b * b * Math.Pow(sigma1, 4)];

    protected override double Evaluate(ReadOnlySpan<double> z, Span<double> gradient)
    {
        double x1 = z[0], x2 = z[1];
        double r = x2 - b * (x1 * x1 - sigma1 * sigma1);
        gradient[0] = -x1 / (sigma1 * sigma1) + r / (sigma2 * sigma2) * 2 * b * x1;
        gradient[1] = -r / (sigma2 * sigma2);
        return -0.5 * (x1 * x1 / (sigma1 * sigma1) + r * r / (sigma2 * sigma2));
    }
}

/// <summary>
/// Neal's funnel (Neal 2003, "Slice sampling", §8): v ~ N(0, 3²), xᵢ | v ~ N(0, e^v) for i = 1…k. Its neck
/// (v ≪ 0) has curvature e^−v that no single step size resolves, the standard target on which NUTS diverges.
/// </summary>
internal sealed class NealsFunnel(int k = 9) : KnownTarget
{
    public override int Dim => k + 1;
    public override double[] Mean => new double[k + 1];
    public override double[] Variance => [9, .. Enumerable.Repeat(Math.Exp(4.5), k)];   // E e^v = e^(9/2)

    /// <summary>v and the xᵢ uniform in (−2, 2): inside the funnel's mouth, where every chain starts finite.</summary>
    public override double[] Init(Random rng) => Enumerable.Range(0, Dim).Select(_ => 4 * rng.NextDouble() - 2).ToArray();

    protected override double Evaluate(ReadOnlySpan<double> z, Span<double> gradient)
    {
        double v = z[0], precision = Math.Exp(-v), sum = 0;
        for (int i = 1; i <= k; i++)
        {
            sum += z[i] * z[i];
            gradient[i] = -z[i] * precision;
        }
        gradient[0] = -v / 9 - 0.5 * k + 0.5 * sum * precision;
        return -v * v / 18 - 0.5 * k * v - 0.5 * sum * precision;
    }
}

/// <summary>
/// Independent standard normals with a wall: the first coordinate restricted to x₁ &lt; <c>wall</c>, where the log
/// density is −∞ (or NaN with <c>nanBeyondWall</c>, a target breaking <see cref="IMcmcTarget"/>'s contract, as a
/// network potential can on inputs it never saw). For the truncated normal, with α = wall,
/// E x₁ = −φ(α)/Φ(α) and E x₁² = 1 − αφ(α)/Φ(α).
/// </summary>
internal sealed class WalledGaussian(int dim = 2, double wall = 1.0, bool nanBeyondWall = false) : KnownTarget
{
    public double Wall => wall;
    public override int Dim => dim;

    private static double Phi(double x) => MathNet.Numerics.Distributions.Normal.CDF(0, 1, x);
    private static double PhiDensity(double x) => Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);
    private double Mean1 => -PhiDensity(wall) / Phi(wall);

    public override double[] Mean => [Mean1, .. new double[dim - 1]];

    /// <summary>Standard-normal-scale starts, the first coordinate uniform in (wall − 3, wall − 0.1) to start inside the support.</summary>
    public override double[] Init(Random rng) =>
        Enumerable.Range(0, dim).Select(i => i == 0 ? wall - 0.1 - 2.9 * rng.NextDouble() : 4 * rng.NextDouble() - 2).ToArray();
    public override double[] Variance => [1 - wall * PhiDensity(wall) / Phi(wall) - Mean1 * Mean1, .. Enumerable.Repeat(1.0, dim - 1)];

    protected override double Evaluate(ReadOnlySpan<double> z, Span<double> gradient)
    {
        if (z[0] >= wall)
        {
            gradient.Clear();
            if (nanBeyondWall) gradient[0] = double.NaN;
            return nanBeyondWall ? double.NaN : double.NegativeInfinity;
        }
        double sum = 0;
        for (int i = 0; i < dim; i++)
        {
            sum += z[i] * z[i];
            gradient[i] = -z[i];
        }
        return -0.5 * sum;
    }
}
