using Sbi.Distributions;
using Sbi.Potentials;
using static TorchSharp.torch;

namespace Sbi.Samplers.Vi;

/// <summary>
/// A potential that evaluates rows θᵢ each at its own observation xᵢ in one call: what amortised VI needs (sbi's
/// <c>set_x(x, x_is_iid=False)</c>). Implement it on a custom <see cref="BasePotential"/> to make amortised training
/// vectorised; otherwise the potential is evaluated once per distinct observation.
/// </summary>
public interface IPairedPotential
{
    /// <summary>log p̃(θᵢ | xᵢ) for rows θ (N, D) and x (N, *x_shape); returns (N).</summary>
    Tensor EvaluatePaired(Tensor theta, Tensor x, bool trackGradients);
}

/// <summary>Paired evaluation of any potential (see <see cref="IPairedPotential"/>).</summary>
public static class PairedPotential
{
    /// <summary>
    /// log p̃(θ[s, b] | x[b]) for θ (S, B, D) and x (B, *x_shape); returns (S, B). A <see cref="PosteriorBasedPotential"/> is
    /// evaluated in one estimator call (its log-density, −∞ outside the prior's support), an <see cref="IPairedPotential"/>
    /// in one call, any other potential once per observation (set to it, then back to its previous x).
    /// </summary>
    public static Tensor Evaluate(BasePotential potential, Tensor theta, Tensor x, bool trackGradients)
    {
        ArgumentNullException.ThrowIfNull(potential);
        ArgumentNullException.ThrowIfNull(theta);
        ArgumentNullException.ThrowIfNull(x);
        long s = theta.shape[0], b = theta.shape[1], d = theta.shape[2];
        var flat = theta.reshape(s * b, d);
        var xs = x.unsqueeze(0).expand(new[] { s }.Concat(x.shape).ToArray()).reshape(new[] { s * b }.Concat(x.shape[1..]).ToArray());
        using var grad = trackGradients ? enable_grad() : no_grad();
        switch (potential)
        {
            case PosteriorBasedPotential pb:
            {
                var est = pb.PosteriorEstimator;
                var th = flat.to(ScalarType.Float32, est.Device);
                var lp = est.LogProbPaired(th, xs.to(ScalarType.Float32, est.Device));
                return where(Support.Within(pb.Prior, th), lp, tensor(float.NegativeInfinity, device: lp.device)).view(s, b);
            }
            case IPairedPotential paired:
                return paired.EvaluatePaired(flat, xs, trackGradients).view(s, b);
            default:
            {
                var previous = potential.XO?.clone();
                try
                {
                    var columns = new List<Tensor>((int)b);
                    for (long j = 0; j < b; j++)
                    {
                        potential.SetX(x[j].unsqueeze(0));
                        columns.Add(potential.Evaluate(theta.select(1, j), trackGradients));
                    }
                    return stack(columns, 1);
                }
                finally
                {
                    if (previous is not null) { potential.SetX(previous); previous.Dispose(); }
                }
            }
        }
    }
}
