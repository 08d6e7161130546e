namespace Sbi.Cli;

/// <summary>Closed-form reference answers printed beside the learned posteriors.</summary>
internal static class Analytic
{
    /// <summary>Standard normal density.</summary>
    public static double Pdf(double z) => Math.Exp(-0.5 * z * z) / Math.Sqrt(2 * Math.PI);

    /// <summary>Standard normal CDF through erfc (W. J. Cody's rational approximations are overkill here; 1e-7 is plenty).</summary>
    public static double Cdf(double z) => 0.5 * Erfc(-z / Math.Sqrt(2));

    /// <summary>Complementary error function (Numerical Recipes' Chebyshev fit, relative error &lt; 1.2e-7).</summary>
    public static double Erfc(double x)
    {
        double z = Math.Abs(x), t = 1 / (1 + 0.5 * z);
        double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
                   t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }

    /// <summary>Mean and standard deviation of N(mu, sigma²) truncated to [a, b].</summary>
    public static (double Mean, double Std) TruncatedNormal(double mu, double sigma, double a, double b)
    {
        double al = (a - mu) / sigma, be = (b - mu) / sigma;
        double zMass = Cdf(be) - Cdf(al);
        if (zMass < 1e-300)
        {
            // All mass far beyond one edge: the truncated normal collapses onto that edge like an exponential.
            double edge = mu < a ? a : b, scale = sigma * sigma / Math.Abs(mu - edge);
            return (edge + (mu < a ? scale : -scale), scale);
        }
        double pa = Pdf(al), pb = Pdf(be);
        double mean = mu + sigma * (pa - pb) / zMass;
        double var = sigma * sigma * (1 + (al * pa - be * pb) / zMass - Math.Pow((pa - pb) / zMass, 2));
        return (mean, Math.Sqrt(Math.Max(var, 0)));
    }

    /// <summary>
    /// <paramref name="n"/> exact draws of N(mu, sigma²) truncated to [a, b] by Robert's rejection samplers (Statistics
    /// and Computing 5, 1995), chosen so that every case accepts at least about a third of its proposals, however far
    /// the interval lies in a tail (the demo's x_o often lies 10 or 20 standard deviations outside the prior's box,
    /// where drawing from the normal and rejecting would almost never accept): an interval on one side of the mean
    /// takes a shifted exponential proposal when it is wide, w·(α + w/2) &gt; 1 in standard units, else a uniform one;
    /// an interval around the mean takes the normal itself when it is at least √(2π) wide, else a uniform one.
    /// </summary>
    public static double[] SampleTruncatedNormal(int n, double mu, double sigma, double a, double b, Random rng)
    {
        double alpha = (a - mu) / sigma, beta = (b - mu) / sigma;
        var draws = new double[n];
        for (int i = 0; i < n; i++)
        {
            // Below the mean: the mirror image of the interval above it.
            double z = beta <= 0 ? -StandardAbove(-beta, -alpha, rng) : alpha >= 0 ? StandardAbove(alpha, beta, rng) : StandardAround(alpha, beta, rng);
            draws[i] = mu + sigma * z;
        }
        return draws;
    }

    /// <summary>A standard normal draw in [lo, hi], 0 ≤ lo &lt; hi.</summary>
    private static double StandardAbove(double lo, double hi, Random rng)
    {
        double w = hi - lo;
        if (w * (lo + w / 2) <= 1)
        {
            // Uniform proposal; the density's largest value on the interval is at lo.
            while (true)
            {
                double z = lo + w * rng.NextDouble();
                if (rng.NextDouble() <= Math.Exp((lo * lo - z * z) / 2)) return z;
            }
        }
        // Exponential proposal lo + Exp(λ) with Robert's optimal rate; draws above hi are rejected too.
        double lambda = (lo + Math.Sqrt(lo * lo + 4)) / 2;
        while (true)
        {
            double z = lo - Math.Log(1 - rng.NextDouble()) / lambda;
            if (z <= hi && rng.NextDouble() <= Math.Exp(-(z - lambda) * (z - lambda) / 2)) return z;
        }
    }

    /// <summary>A standard normal draw in [lo, hi], lo &lt; 0 &lt; hi.</summary>
    private static double StandardAround(double lo, double hi, Random rng)
    {
        if (hi - lo >= Math.Sqrt(2 * Math.PI))
        {
            while (true)
            {
                double z = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
                if (z >= lo && z <= hi) return z;
            }
        }
        while (true)
        {
            double z = lo + (hi - lo) * rng.NextDouble();
            if (rng.NextDouble() <= Math.Exp(-z * z / 2)) return z;
        }
    }
}
