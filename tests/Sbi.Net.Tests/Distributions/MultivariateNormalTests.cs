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
        Assert.That(mvn.LogProb(theta).item<float>(), Is.EqualTo(expected).Within(1e-5));
        Assert.Throws<ArgumentException>(() => new MultivariateNormal(zeros(2), tensor(new float[,] { { 1, 2 }, { 2, 1 } })));
    }
}
