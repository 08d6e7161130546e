using Sbi.Distributions;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Bench;

/// <summary>
/// The bench task of <c>sbi-net bench train</c> and python/bench_train_sbi.py: prior N(0, I_D), x = θ + 0.1·ε, and an
/// observation x_o drawn after the simulations from the same generator (the same seed gives the same θ, x and x_o as
/// those commands). The posterior is Gaussian in closed form: N(x_o/1.01, 0.01/1.01·I), since with prior variance 1
/// and noise variance 0.01 the posterior precision is 1 + 100 = 101 and the mean 100·x_o/101.
/// </summary>
public sealed class GaussianLinearTask : IDisposable
{
    /// <summary>The posterior's variance per dimension, 0.01/1.01.</summary>
    public const double PosteriorVariance = 0.01 / 1.01;

    private GaussianLinearTask(MultivariateNormal prior, Tensor theta, Tensor x, Tensor xo)
    {
        Prior = prior;
        Theta = theta;
        X = x;
        XO = xo;
    }

    /// <summary>The prior N(0, I_D).</summary>
    public MultivariateNormal Prior { get; }

    /// <summary>Simulated parameters (sims, D).</summary>
    public Tensor Theta { get; }

    /// <summary>Simulated data (sims, D).</summary>
    public Tensor X { get; }

    /// <summary>The observation (1, D).</summary>
    public Tensor XO { get; }

    /// <summary>θ and x dimension D.</summary>
    public int Dim => Prior.Dim;

    /// <summary>
    /// Draws the task with <c>manual_seed(<paramref name="seed"/>)</c>, in bench train's order: θ, x, then θ_o, x_o. With
    /// <paramref name="observationAtZero"/> x_o is 0 instead (θ_o and x_o are still drawn, so the generator ends where
    /// it would; the simulations are the same).
    /// </summary>
    public static GaussianLinearTask Draw(int sims, int dim, int seed, bool observationAtZero = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sims);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        manual_seed(seed);
        using var scope = NewDisposeScope();
        var prior = MultivariateNormal.Standard(dim);
        // Held Scalars: TorchSharp may free a temporary one during the native call (see the README's Code layout).
        using Scalar noise = 0.1, one = 1;
        var theta = prior.Sample(sims);
        var x = theta.add(randn_like(theta).mul(noise), one);
        var thetaO = prior.Sample(1);
        var xo = thetaO.add(randn_like(thetaO).mul(noise), one);
        if (observationAtZero) xo = zeros_like(xo);
        return new GaussianLinearTask(prior, theta.DetachFromDisposeScope(), x.DetachFromDisposeScope(), xo.DetachFromDisposeScope());
    }

    /// <summary><paramref name="n"/> exact posterior draws (n, D) at x_o, from <c>manual_seed(<paramref name="seed"/>)</c>.</summary>
    public Tensor AnalyticPosteriorSamples(long n, int seed)
    {
        manual_seed(seed);
        return AnalyticPosteriorSamples(n);
    }

    /// <summary><paramref name="n"/> exact posterior draws (n, D) at x_o, N(x_o/1.01, 0.01/1.01·I), from torch's generator as it stands.</summary>
    public Tensor AnalyticPosteriorSamples(long n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        using var scope = NewDisposeScope();
        using Scalar shrink = 1.01, std = Math.Sqrt(PosteriorVariance), one = 1;
        return XO.div(shrink).add(randn(n, Dim).mul(std), one).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Prior.Dispose();
        Theta.Dispose();
        X.Dispose();
        XO.Dispose();
    }
}
