namespace Sbi.Samplers;

/// <summary>
/// The diagonal metric's warm-up (Stan's <c>var_adaptation</c>, stan/mcmc/var_adaptation.hpp): the draws of each slow
/// window of <see cref="WindowedAdaptation"/> feed a Welford estimate of the marginal variances, which at the window's
/// end becomes the inverse mass diagonal after Stan's regularisation toward 10⁻³,
/// M⁻¹ = (n/(n + 5))·var + 10⁻³·(5/(n + 5)), with var the unbiased sample variance of the window's n draws. The
/// shrinkage keeps M⁻¹ positive for a window whose chain barely moved and damps a short window's noise. Pyro, which
/// sbi's <c>hmc_pyro</c>/<c>nuts_pyro</c> run, uses the same windows and regularisation (pyro/infer/mcmc/adaptation.py).
/// </summary>
internal sealed class DiagonalMassAdaptation
{
    /// <summary>Stan's regularisation weight: a window's variance counts as n draws against 5 pseudo-draws of <see cref="RegularisationTarget"/>.</summary>
    public const double RegularisationDraws = 5;

    /// <summary>Stan's regularisation target variance, 10⁻³.</summary>
    public const double RegularisationTarget = 1e-3;

    private readonly WindowedAdaptation _windows;
    private readonly double[] _mean, _m2;
    private int _count;

    /// <summary>An adaptation of a <paramref name="dim"/>-dimensional diagonal over <paramref name="numWarmup"/> warm-up iterations.</summary>
    public DiagonalMassAdaptation(int dim, int numWarmup)
    {
        _windows = new WindowedAdaptation(numWarmup);
        _mean = new double[dim];
        _m2 = new double[dim];
    }

    /// <summary>Draws in the last completed window (0 before the first).</summary>
    public int LastWindowDraws { get; private set; }

    /// <summary>Windows completed so far.</summary>
    public int CompletedWindows { get; private set; }

    /// <summary>
    /// Takes one warm-up draw <paramref name="q"/>; at a window's end writes the regularised variances into
    /// <paramref name="inverseMass"/> and returns true (the caller then re-initialises its step size).
    /// </summary>
    public bool Learn(ReadOnlySpan<double> q, Span<double> inverseMass)
    {
        if (_windows.InWindow) AddDraw(q);
        if (!_windows.EndOfWindow)
        {
            _windows.Advance();
            return false;
        }
        _windows.ComputeNextWindow();
        if (_count > 1)
        {
            double n = _count;
            double weight = n / (n + RegularisationDraws);
            double shrink = RegularisationTarget * (RegularisationDraws / (n + RegularisationDraws));
            for (int i = 0; i < _mean.Length; i++)
            {
                double variance = weight * (_m2[i] / (n - 1)) + shrink;
                // Stan throws on a non-finite metric; a chain's draws are finite here, so this would be an overflow
                // of m2 — keep the previous metric rather than poison the sampler.
                if (double.IsFinite(variance) && variance > 0) inverseMass[i] = variance;
            }
        }
        LastWindowDraws = _count;
        CompletedWindows++;
        _count = 0;
        Array.Clear(_mean);
        Array.Clear(_m2);
        _windows.Advance();
        return true;
    }

    private void AddDraw(ReadOnlySpan<double> q)
    {
        _count++;
        double n = _count;
        for (int i = 0; i < _mean.Length; i++)
        {
            double delta = q[i] - _mean[i];
            _mean[i] += delta / n;
            _m2[i] += (q[i] - _mean[i]) * delta;
        }
    }
}
