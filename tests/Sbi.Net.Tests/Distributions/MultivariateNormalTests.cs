using NUnit.Framework;
using Sbi.Distributions;
using static TorchSharp.torch;

namespace Sbi.Tests.Distributions;

public class MultivariateNormalTests
{
    [Test]
    public void LogProbMatchesClosedForm()
    {
        using var scope = NewDisposeScope();
        var cov = tensor(new float[,] { { 2, 0.5f }, { 0.5f, 1 } });
        using var mvn = new MultivariateNormal(tensor(new float[] { 1, -1 }), cov);
        var theta = tensor(new float[,] { { 0.3f, 0.2f } });
        // closed form: −½ dᵀΣ⁻¹d − ½ log|2πΣ|
        double det = 2 * 1 - 0.25, d0 = -0.7, d1 = 1.2;
        double quad = (1 * d0 * d0 - 2 * 0.5 * d0 * d1 + 2 * d1 * d1) / det;
        double expected = -0.5 * quad - 0.5 * Math.Log(Math.Pow(2 * Math.PI, 2) * det);
        // float32: the difference (2), the triangular solve (D² = 4), squares and sum (3), ×0.5, the stored ½ log|Σ| (a
        // Cholesky of 2 × 2, 2 logs and a sum: ~8) and the constant (2): 20 operations on values up to |quad| + |log terms|.
        Assert.That(mvn.LogProb(theta).item<float>(), Is.EqualTo(expected).Within(Tolerances.Formula(20, 0.5 * quad + 0.5 * Math.Log(Math.Pow(2 * Math.PI, 2) * det))));
        Assert.Throws<ArgumentException>(() => new MultivariateNormal(zeros(2), tensor(new float[,] { { 1, 2 }, { 2, 1 } })));
    }
}
