using Sbi.Distributions;
using Sbi.Posteriors;
using Sbi.Potentials;
using Sbi.Utils;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Tests.Diagnostics;

/// <summary>
/// The Gaussian linear task with a closed-form posterior: prior N(0, I_D), x = θ + σ·ε, so p(θ | x) =
/// N(x/(1 + σ²), σ²/(1 + σ²)·I). <see cref="Scale"/> multiplies the posterior's standard deviation: 1 is calibrated,
/// below 1 over-confident, above 1 under-confident. Only what SBC and TARP use is implemented.
/// </summary>
internal sealed class AnalyticGaussianPosterior : IPosterior
{
    public AnalyticGaussianPosterior(int dim, double sigma, double scale = 1.0)
    {
        Dim = dim;
        Sigma = sigma;
        Scale = scale;
        Prior = MultivariateNormal.Standard(dim);
    }

    public int Dim { get; }
    public double Sigma { get; }
    public double Scale { get; }
    public IDistribution Prior { get; }
    public double PosteriorStd => Scale * Math.Sqrt(Sigma * Sigma / (1 + Sigma * Sigma));

    /// <summary>Draws (θ, x) pairs of the task: θ from the prior, x = θ + σε.</summary>
    public (Tensor Theta, Tensor X) Simulate(long n)
    {
        var theta = Prior.Sample(n);
        using Scalar s = Sigma;
        return (theta, theta.add(randn_like(theta), s));
    }

    private Tensor Mean(Tensor xs)
    {
        using Scalar shrink = 1 / (1 + Sigma * Sigma);
        return xs.to(ScalarType.Float32).reshape(-1, Dim).mul(shrink);
    }

    public Tensor SampleBatched(long n, Tensor xs)
    {
        using var scope = NewDisposeScope();
        var mean = Mean(xs);
        using Scalar s = PosteriorStd;
        return mean.unsqueeze(0).add(randn(n, mean.shape[0], Dim), s).MoveToOuterDisposeScope();
    }

    public Tensor Sample(long n, Tensor? x = null) => SampleBatched(n, x ?? throw new ArgumentNullException(nameof(x))).squeeze(1);

    public Tensor LogProb(Tensor theta, Tensor? x = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        using var scope = NewDisposeScope();
        double std = PosteriorStd;
        using Scalar inv = 1 / std;
        using Scalar half = -0.5;
        using Scalar norm = -Dim * (Math.Log(std) + 0.5 * Math.Log(2 * Math.PI));
        var z = theta.sub(Mean(x)).mul(inv);
        return z.Squared().sum(-1).mul(half).add(norm).MoveToOuterDisposeScope();
    }

    Tensor IDensity.LogProb(Tensor theta) => throw new NotSupportedException("no default x");
    public BasePotential Potential => throw new NotSupportedException();
    public IBijector ThetaTransform => throw new NotSupportedException();
    public Tensor? DefaultX => null;
    public IPosterior SetDefaultX(Tensor x) => throw new NotSupportedException();
    public Tensor Map(int numIter = 1000, int numToOptimize = 100, double learningRate = 0.01, int numInitSamples = 1000,
                      int saveBestEvery = 10, bool forceUpdate = false, Tensor? inits = null) => throw new NotSupportedException();
}
