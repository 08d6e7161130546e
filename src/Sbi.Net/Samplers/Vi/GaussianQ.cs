using Sbi.Estimators;
using Sbi.Utils;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sbi.Samplers.Vi;

/// <summary>
/// sbi's <c>LearnableGaussian</c> (sbi/samplers/vi/vi_utils.py) as a conditional density in the unconstrained space:
/// q(z | x) = N(z; loc + W·e(x), LLᵀ) with a lower-triangular factor L ("gaussian", parameter <c>scale_tril</c>, read
/// through <c>tril()</c> as sbi does) or a diagonal one exp(log σ) ("gaussian_diag", parameter <c>log_scale</c>); loc = 0 and
/// L = I at the start, as in sbi. e(x) is the x pipeline (sbi's Standardize of x) and W (<c>context_weight</c>, D × C)
/// starts at 0: for a single observation the pipeline maps x_o to 0, so q is sbi's unconditional Gaussian; trained
/// amortised, the mean is linear in x (exact for a linear-Gaussian posterior). Samples are reparameterised
/// (z = mean + L·ε), so every divergence's gradient flows through them.
/// Deviation from sbi: the log-determinant uses log |Lᵢᵢ|, so an optimiser step that flips the sign of a diagonal entry
/// (the same distribution) leaves the density finite where torch's MultivariateNormal would return NaN.
/// </summary>
public sealed class GaussianQ : ConditionalDensityEstimator
{
    private readonly Parameter loc;
    private readonly Parameter? scale_tril;
    private readonly Parameter? log_scale;
    private readonly Parameter context_weight;
    private readonly nn.Module<Tensor, Tensor> _embedding_net;
    private readonly double _halfLog2PiD;

    /// <summary>The Gaussian of <paramref name="config"/> ("gaussian" or "gaussian_diag") over the embedding pipeline <paramref name="embedding"/>.</summary>
    public GaussianQ(EstimatorConfig config, nn.Module<Tensor, Tensor> embedding) : base(nameof(GaussianQ), config)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(embedding);
        if (config.Estimator is not (GaussianQFamily.FullName or GaussianQFamily.DiagonalName))
            throw new ArgumentException($"config.Estimator must be '{GaussianQFamily.FullName}' or '{GaussianQFamily.DiagonalName}'; got '{config.Estimator}'.", nameof(config));
        Guard.Positive(config.D, "config.D");
        Guard.Positive(config.C, "config.C");
        FullCovariance = config.Estimator == GaussianQFamily.FullName;
        int d = config.D;
        loc = new Parameter(zeros(d).DetachFromDisposeScope());
        register_parameter("loc", loc);
        if (FullCovariance)
        {
            scale_tril = new Parameter(eye(d).DetachFromDisposeScope());
            register_parameter("scale_tril", scale_tril);
        }
        else
        {
            log_scale = new Parameter(zeros(d).DetachFromDisposeScope());
            register_parameter("log_scale", log_scale);
        }
        context_weight = new Parameter(zeros(d, config.C).DetachFromDisposeScope());
        register_parameter("context_weight", context_weight);
        _embedding_net = embedding;
        register_module("_embedding_net", _embedding_net);
        _halfLog2PiD = 0.5 * d * Math.Log(2 * Math.PI);
    }

    /// <summary>True for "gaussian" (full covariance), false for "gaussian_diag".</summary>
    public bool FullCovariance { get; }

    /// <inheritdoc/>
    public override Tensor Embed(Tensor x) => _embedding_net.forward(x);

    /// <summary>The mean loc + W·e(x) for x (B, *x_shape): (B, D).</summary>
    public Tensor MeanOf(Tensor x) => loc.Plus(Embed(x).matmul(context_weight.t()));

    /// <summary>The lower-triangular factor (D, D): tril(scale_tril) or diag(exp(log_scale)).</summary>
    public Tensor ScaleTril() => FullCovariance ? scale_tril!.tril() : log_scale!.exp().diag();

    /// <summary>Σ log |Lᵢᵢ|, the log-determinant of the factor (0-dim).</summary>
    private Tensor LogDet() => FullCovariance ? scale_tril!.diagonal().abs().log().sum() : log_scale!.sum();

    /// <inheritdoc/>
    public override Tensor LogProbPaired(Tensor theta, Tensor x)
    {
        var diff = theta - MeanOf(x);
        Tensor white = FullCovariance
            ? linalg.solve_triangular(scale_tril!.tril(), diff.t(), upper: false).t()
            : diff * (-log_scale!).exp();
        using Scalar c = _halfLog2PiD;
        return (Scalars.Of(-0.5) * white.Squared().sum(-1)).sub(LogDet()).sub(c);
    }

    /// <inheritdoc/>
    public override Tensor Sample(long numSamples, Tensor x) => SampleAndLogProb(numSamples, x).Samples;

    /// <summary>
    /// Reparameterised samples z = mean + L·ε, ε ~ N(0, I), for every condition x (B, *x_shape): samples (S, B, D) and
    /// their log-densities (S, B), log N(ε) − Σ log |Lᵢᵢ|; differentiable in the parameters where gradients are on.
    /// </summary>
    public (Tensor Samples, Tensor LogProb) SampleAndLogProb(long numSamples, Tensor x)
    {
        Guard.Positive(numSamples, nameof(numSamples));
        var mean = MeanOf(x);
        var eps = randn(new long[] { numSamples, mean.shape[0], InputDim }, dtype: ScalarType.Float32, device: mean.device).to(mean.dtype);
        var z = FullCovariance ? mean.Plus(eps.matmul(scale_tril!.tril().t())) : mean.Plus(eps * log_scale!.exp());
        using Scalar c = _halfLog2PiD;
        var lp = (Scalars.Of(-0.5) * eps.Squared().sum(-1)).sub(LogDet()).sub(c);
        return (z, lp);
    }
}
