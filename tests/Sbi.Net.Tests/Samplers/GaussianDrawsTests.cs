using NUnit.Framework;
using Sbi.Samplers;

namespace Sbi.Tests.Samplers;

public class GaussianDrawsTests
{
    /// <summary>
    /// 2·10⁵ polar-method draws: E x, E x², E x⁴ against 0, 1, 3 within z·sd/√n with the standard normal's
    /// Var x = 1, Var x² = 2, Var x⁴ = E x⁸ − 9 = 96, and P(|x| &gt; 1.96) against 0.05 as a binomial proportion.
    /// </summary>
    [Test]
    public void MomentsAndTailAreStandardNormal()
    {
        const int n = 200_000;
        var normal = new GaussianDraws(new Random(17));
        double s1 = 0, s2 = 0, s4 = 0;
        int tail = 0;
        for (int i = 0; i < n; i++)
        {
            double x = normal.Next();
            s1 += x;
            s2 += x * x;
            s4 += x * x * x * x;
            if (Math.Abs(x) > 1.959963984540054) tail++;
        }
        double z = Tolerances.MonteCarloZ, root = Math.Sqrt(n);
        Assert.Multiple(() =>
        {
            Assert.That(s1 / n, Is.EqualTo(0).Within(z / root));
            Assert.That(s2 / n, Is.EqualTo(1).Within(z * Math.Sqrt(2) / root));
            Assert.That(s4 / n, Is.EqualTo(3).Within(z * Math.Sqrt(96) / root));
            Assert.That(Tolerances.BinomialZ((double)tail / n, 0.05, n), Is.LessThanOrEqualTo(z));
        });
    }

    [Test]
    public void SameStreamSameDraws()
    {
        var a = new GaussianDraws(new Random(4));
        var b = new GaussianDraws(new Random(4));
        for (int i = 0; i < 101; i++) Assert.That(BitConverter.DoubleToInt64Bits(a.Next()), Is.EqualTo(BitConverter.DoubleToInt64Bits(b.Next())));
    }
}
