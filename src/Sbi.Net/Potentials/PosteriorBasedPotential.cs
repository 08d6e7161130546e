using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Nn.Fused;
using Sbi.Utils;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Potentials;

/// <summary>
/// sbi's <c>PosteriorBasedPotential</c> (sbi/inference/potentials/posterior_based_potential.py): the posterior
/// estimator's log-density log q(θ | x_o), set to −∞ outside the prior's support. What DirectPosterior's MAP climbs,
/// and what rejection, importance, MCMC and VI posteriors over an NPE estimator evaluate.
/// <para>With <see cref="XIsIid"/> (sbi's <c>x_is_iid</c>, which sbi's <c>MCMCPosterior</c> sets on every
/// <c>sample</c> and <c>log_prob</c>) x may hold k rows (k, *x_shape), k iid trials of the simulator at one θ, and
/// the potential is Σᵢ log q(θ | xᵢ) − (k − 1)·log prior(θ): the posterior given all trials when each q(θ | xᵢ) is
/// the single-trial posterior ∝ prior(θ)·p(xᵢ | θ). Without it x must be one row (sbi's direct, rejection and
/// importance posteriors take one observation).</para>
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

    /// <summary>
    /// Whether an x of k &gt; 1 rows is k iid trials (sbi's <c>x_is_iid</c>; false). Kept for later
    /// <see cref="BasePotential.SetX"/> calls; <see cref="SetX(Tensor, bool)"/> sets both. Turning it off while k &gt; 1
    /// rows are set is refused (the x would no longer be valid).
    /// </summary>
    public bool XIsIid
    {
        get => _xIsIid;
        set
        {
            if (!value && XO is { } xo && xo.shape[0] > 1)
                throw new InvalidOperationException($"XIsIid cannot be turned off while x holds {xo.shape[0]} iid rows: set a one-row x first.");
            _xIsIid = value;
        }
    }

    private bool _xIsIid;

    /// <summary>sbi's <c>set_x(x_o, x_is_iid)</c>: sets <see cref="XIsIid"/>, then x ((k, *x_shape) when iid).</summary>
    public PosteriorBasedPotential SetX(Tensor x, bool xIsIid)
    {
        ArgumentNullException.ThrowIfNull(x);
        bool previous = _xIsIid;
        _xIsIid = xIsIid;
        try { SetX(x); }
        catch { _xIsIid = previous; throw; }
        return this;
    }

    /// <summary>The prior (never null here).</summary>
    public new IDistribution Prior => base.Prior!;

    /// <summary>x as one observation (1, *x_shape), or k iid trials (k, *x_shape) with <see cref="XIsIid"/>, on the estimator's device, float32.</summary>
    protected override Tensor ProcessX(Tensor x)
    {
        var shape = PosteriorEstimator.ConditionShape;
        var t = x.to(ScalarType.Float32, PosteriorEstimator.Device);
        if (t.dim() == shape.Length) t = t.unsqueeze(0);
        string xs = string.Join(", ", shape);
        bool shaped = t.dim() == shape.Length + 1 && t.shape[0] >= 1 && t.shape[1..].SequenceEqual(shape);
        if (!shaped)
            throw new ArgumentException($"x must have shape ({xs}) or (1, {xs}){(_xIsIid ? $", or (k, {xs}) for k iid trials" : "")}; got {Guard.Shape(x)}.", nameof(x));
        if (t.shape[0] > 1 && !_xIsIid)
            throw new ArgumentException($"x must have shape ({xs}) or (1, {xs}); got {Guard.Shape(x)}. {t.shape[0]} rows would be {t.shape[0]} iid trials, " +
                                        "which this potential takes only with XIsIid (the MCMC posterior, sampleWith \"mcmc\", sets it); the direct, rejection " +
                                        "and importance posteriors take one observation.", nameof(x));
        return t;
    }

    /// <summary>
    /// Whether <see cref="Evaluate"/> without gradients may compute log q with the fused CPU MAF density (true; tests
    /// turn it off to compare the two paths).
    /// </summary>
    internal bool AllowFused { get; set; } = true;

    /// <summary>
    /// The fused density of sbi's MAF at <paramref name="xo"/> on the CPU (<see cref="MafDensity"/>), or null where it
    /// cannot run (another estimator, another device, SBI_NET_FUSED=0, no AVX2/MKL). Built afresh on every call, bound
    /// to the weights of that moment, so a potential whose estimator is trained further never evaluates stale weights;
    /// building copies the masked weights once (well under a millisecond), where importance sampling and rejection then
    /// evaluate 10⁴–10⁶ rows with it: one pass of small GEMMs per 2,048 rows instead of ~100 libtorch ops over
    /// 320,000-row temporaries.
    /// </summary>
    private MafDensity? FusedDensity(Tensor xo) =>
        AllowFused && xo.device.type == DeviceType.CPU && PosteriorEstimator.Device.type == DeviceType.CPU
            ? MafDensity.TryCreate(PosteriorEstimator, xo, out _)
            : null;

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
        var inside = Support.Within(Prior, th);
        long k = xo.shape[0];
        if (k == 1)
        {
            var lp = (!trackGradients && FusedDensity(xo) is { } fused ? fused.LogProbRows(th, get_num_threads()) : null)
                     ?? PosteriorEstimator.LogProb(th.unsqueeze(1), xo).squeeze(1);
            return where(inside, lp, tensor(float.NegativeInfinity, device: lp.device));
        }
        // sbi's x_is_iid branch: θ (n, D) against each of the k trials, (n, k) log-densities summed over the trials,
        // minus (k − 1) log prior(θ).
        var iid = PosteriorEstimator.LogProb(th.unsqueeze(1).expand(th.shape[0], k, th.shape[1]), xo).sum(dim: 1);
        var logPrior = Prior.LogProb(th.to(Prior.Device)).to(iid.dtype, iid.device);
        using Scalar trialsLessOne = (double)(k - 1);
        var value = iid.sub(logPrior.mul(trialsLessOne));
        // Deviation from sbi: where the prior's density is 0 inside its support (BoxUniform's upper face, which sbi's
        // half-open log_prob excludes and its closed within_support includes) sbi's formula gives +∞; the posterior
        // has no mass there, so −∞.
        return where(inside.logical_and(logPrior.isfinite()), value, tensor(float.NegativeInfinity, device: value.device));
    }
}
