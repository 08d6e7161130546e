using Sbi.Estimators;
using static TorchSharp.torch;

namespace Sbi.Tests;

/// <summary>
/// A conditional density with a known closed form for tests: q(θ | x) = N(θ; x·a + b, σ²I), independent of
/// training (its one parameter only exists so that an optimiser can be built).
/// </summary>
internal sealed class GaussianEstimator : ConditionalDensityEstimator
{
    private readonly TorchSharp.Modules.Parameter dummy;
    public double A { get; }
    public double B { get; }
    public double Sigma { get; }

    public GaussianEstimator(int d, int c, double a = 0.0, double b = 0.0, double sigma = 1.0)
        : base(nameof(GaussianEstimator), new EstimatorConfig { Estimator = "gaussian", D = d, C = c, XShape = new long[] { c } })
    {
        A = a; B = b; Sigma = sigma;
        dummy = new TorchSharp.Modules.Parameter(zeros(1).DetachFromDisposeScope());
        register_parameter("dummy", dummy);
    }

    private Tensor Mean(Tensor x) => (x.narrow(1, 0, 1) * A + B).expand(x.shape[0], InputDim) + 0 * dummy;

    public override Tensor LogProbPaired(Tensor theta, Tensor x)
    {
        var z = (theta - Mean(x)) / Sigma;
        return -0.5 * z.pow(2).sum(-1) - InputDim * (Math.Log(Sigma) + 0.5 * Math.Log(2 * Math.PI));
    }

    public override Tensor Sample(long numSamples, Tensor x)
    {
        var m = Mean(x).detach();
        return m.unsqueeze(0) + Sigma * randn(numSamples, x.shape[0], InputDim);
    }
}
