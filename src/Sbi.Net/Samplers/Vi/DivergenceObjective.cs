using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Samplers.Vi;

/// <summary>
/// What one step of a divergence objective works with: q (and, for sticking the landing, a copy of q whose parameters
/// are held fixed but share q's storage), the observation x (1, *x_shape), the particle count and the potential
/// θ (n, D) ↦ log p̃(θ | x) (n), which the trainer checks for non-finite values.
/// </summary>
public sealed record ObjectiveInputs(VariationalDistribution Q, VariationalDistribution? StoppedQ, Tensor X, int NParticles,
                                     Func<Tensor, bool, Tensor> Potential);

/// <summary>
/// A VI method: the loss sbi's <c>DivergenceOptimizer._loss</c> returns (sbi/samplers/vi/vi_divergence_optimizers.py),
/// as a surrogate whose gradient in q's parameters is the method's gradient estimate, and the loss value reported and
/// used for the convergence check. <see cref="Create"/> builds one by sbi's name: "rKL", "fKL", "IW", "alpha".
/// </summary>
public abstract class DivergenceObjective
{
    /// <summary>sbi's method names, in sbi's order.</summary>
    public static IReadOnlyList<string> Methods { get; } = ["rKL", "fKL", "IW", "alpha"];

    /// <summary>The objective with its settings.</summary>
    protected DivergenceObjective(DivergenceSettings settings) => Settings = settings ?? new DivergenceSettings();

    /// <summary>The method's sbi name.</summary>
    public abstract string Name { get; }

    /// <summary>The settings (K, α, sticking the landing, DReG, eps).</summary>
    public DivergenceSettings Settings { get; }

    /// <summary>sbi's default sensitivity of the convergence check for this method.</summary>
    protected virtual double DefaultEps => 1e-5;

    /// <summary>The convergence check's sensitivity: <see cref="DivergenceSettings.Eps"/> or the method's default.</summary>
    public double Eps => Settings.Eps ?? DefaultEps;

    /// <summary>Whether the method evaluates log q with stopped parameters (needs <see cref="ObjectiveInputs.StoppedQ"/>).</summary>
    public virtual bool NeedsStoppedQ => Settings.UsesStoppedQ;

    /// <summary>The surrogate (differentiable, 0-dim) and the reported loss (detached, 0-dim) of one step.</summary>
    public abstract (Tensor Surrogate, Tensor Loss) Loss(ObjectiveInputs inputs);

    /// <summary>The objective for sbi's method name.</summary>
    /// <exception cref="ArgumentException">an unknown name; the message lists sbi's four.</exception>
    public static DivergenceObjective Create(string method, DivergenceSettings? settings = null)
    {
        var s = settings ?? new DivergenceSettings();
        return method switch
        {
            "rKL" => new ElboObjective(s),
            "IW" => new IwElboObjective(s),
            "fKL" => new ForwardKlObjective(s),
            "alpha" => new RenyiObjective(s),
            _ => throw new ArgumentException($"vi method must be one of {string.Join(", ", Methods.Select(m => $"'{m}'"))}; got {(method is null ? "null" : $"'{method}'")}.", nameof(method)),
        };
    }

    /// <summary>
    /// sbi's <c>generate_elbo_particles</c>: log p̃(θ) − log q(θ) for <paramref name="n"/> reparameterised samples (n); with
    /// <paramref name="stopped"/>, log q is evaluated by the stopped copy at the same z (sticking the landing), so its
    /// gradient flows through the samples only.
    /// </summary>
    protected static Tensor ElboParticles(ObjectiveInputs inputs, long n, bool stopped)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var (theta, z, logQ) = inputs.Q.RSampleAndLogProb(n, inputs.X);
        int d = inputs.Q.Dim;
        var th = theta.reshape(n, d);
        if (stopped)
        {
            var q0 = inputs.StoppedQ ?? throw new InvalidOperationException("sticking the landing needs the stopped copy of q.");
            var zz = z.reshape(n, d);
            logQ = q0.LogProbZ(zz, inputs.X).Plus(q0.LogAbsDetJacobian(th, zz));
        }
        return inputs.Potential(th, true) - logQ.reshape(n);
    }
}
