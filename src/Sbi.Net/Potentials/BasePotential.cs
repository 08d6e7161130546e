using Sbi.Distributions;
using static TorchSharp.torch;

namespace Sbi.Potentials;

/// <summary>
/// sbi's <c>BasePotential</c> (sbi/inference/potentials/base_potential.py): θ ↦ log p̃(θ | x_o), an unnormalised
/// log-posterior at one observation, the function samplers and MAP optimisation climb. Subclasses implement
/// <see cref="Evaluate"/>; the gradient comes from autograd.
/// </summary>
public abstract class BasePotential
{
    private Tensor? _xo;

    /// <summary>A potential of <paramref name="prior"/> (may be null where the method needs none) at <paramref name="xo"/>.</summary>
    protected BasePotential(IDistribution? prior, Tensor? xo)
    {
        Prior = prior;
        if (xo is not null) SetX(xo);
    }

    /// <summary>The prior.</summary>
    public IDistribution? Prior { get; }

    /// <summary>The observation (1, *x_shape) the potential is evaluated at, or null before <see cref="SetX"/>.</summary>
    public Tensor? XO => _xo;

    /// <summary>Sets the observation (a copy is kept; checked by <see cref="ProcessX"/>).</summary>
    public BasePotential SetX(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var processed = ProcessX(x).detach().clone().DetachFromDisposeScope();
        _xo?.Dispose();
        _xo = processed;
        return this;
    }

    /// <summary>Checks and shapes an observation; the default keeps it as it is.</summary>
    protected virtual Tensor ProcessX(Tensor x) => x;

    /// <summary>The observation, or an error saying how to set one.</summary>
    protected Tensor RequireX() => _xo ?? throw new InvalidOperationException("No observed data x_o is set on the potential: call SetX (or SetDefaultX on the posterior) first.");

    /// <summary>log p̃(θ | x_o) for rows θ (n, D): shape (n); −∞ where the posterior has no mass. sbi's <c>__call__</c>.</summary>
    public abstract Tensor Evaluate(Tensor theta, bool trackGradients = true);

    /// <summary>The potential and its gradient ∂/∂θ for rows θ (n, D) (autograd; rows are independent).</summary>
    public (Tensor Value, Tensor Gradient) ValueAndGradient(Tensor theta)
    {
        ArgumentNullException.ThrowIfNull(theta);
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var t = theta.detach().clone().requires_grad_(true);
        var value = Evaluate(t, trackGradients: true);
        var g = autograd.grad(new[] { value.sum() }, new[] { t })[0];
        return (value.detach().MoveToOuterDisposeScope(), g.detach().MoveToOuterDisposeScope());
    }
}
