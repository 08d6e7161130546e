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
}
