using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Potentials;

/// <summary>
/// sbi's <c>PosteriorBasedPotential</c> (sbi/inference/potentials/posterior_based_potential.py): the posterior
/// estimator's log-density log q(θ | x_o), set to −∞ outside the prior's support. What DirectPosterior's MAP climbs,
/// and what rejection, importance, MCMC and VI posteriors over an NPE estimator evaluate.
/// </summary>
public sealed class PosteriorBasedPotential : BasePotential
{
    /// <summary>The potential of <paramref name="posteriorEstimator"/> under <paramref name="prior"/> at <paramref name="xo"/>.</summary>
    public PosteriorBasedPotential(ConditionalDensityEstimator posteriorEstimator, IDistribution prior, Tensor? xo = null)
        : base(prior ?? throw new ArgumentNullException(nameof(prior)), null)
    {
        ArgumentNullException.ThrowIfNull(posteriorEstimator);
        PosteriorEstimator = posteriorEstimator;
        PosteriorEstimator.eval();
        if (xo is not null) SetX(xo);
    }

    /// <summary>The estimator q(θ | x).</summary>
    public ConditionalDensityEstimator PosteriorEstimator { get; }

    /// <summary>The prior (never null here).</summary>
    public new IDistribution Prior => base.Prior!;

    /// <summary>x as one observation (1, *x_shape) on the estimator's device, float32.</summary>
    protected override Tensor ProcessX(Tensor x)
    {
        var shape = PosteriorEstimator.ConditionShape;
        var t = x.to(ScalarType.Float32, PosteriorEstimator.Device);
        if (t.dim() == shape.Length) t = t.unsqueeze(0);
        if (t.dim() != shape.Length + 1 || t.shape[0] != 1 || !t.shape[1..].SequenceEqual(shape))
            throw new ArgumentException($"x must have shape ({string.Join(", ", shape)}) or (1, {string.Join(", ", shape)}); got {Guard.Shape(x)}.", nameof(x));
        return t;
    }

    /// <inheritdoc/>
    public override Tensor Evaluate(Tensor theta, bool trackGradients = true)
    {
        ArgumentNullException.ThrowIfNull(theta);
        var xo = RequireX();
        using var grad = trackGradients ? enable_grad() : no_grad();
        var th = theta.dim() == 1 ? theta.unsqueeze(0) : theta;
        if (th.dim() != 2 || th.shape[1] != PosteriorEstimator.InputDim)
            throw new ArgumentException($"theta must have shape (n, {PosteriorEstimator.InputDim}); got {Guard.Shape(theta)}.", nameof(theta));
        th = th.to(ScalarType.Float32, PosteriorEstimator.Device);
        var lp = PosteriorEstimator.LogProb(th.unsqueeze(1), xo).squeeze(1);
        return where(Support.Within(Prior, th), lp, tensor(float.NegativeInfinity, device: lp.device));
    }
}
