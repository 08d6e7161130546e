using static TorchSharp.torch;

namespace Sbi.Samplers.Vi;

/// <summary>
/// "rKL": sbi's <c>ElboOptimizer</c>, minimising KL(q ‖ p) by maximising the ELBO E_q[log p̃(θ) − log q(θ)] with
/// reparameterised samples; surrogate and loss are −mean of the ELBO particles. With
/// <see cref="DivergenceSettings.StickTheLanding"/> the score term of log q is dropped (lower variance near the optimum).
/// </summary>
public sealed class ElboObjective(DivergenceSettings settings) : DivergenceObjective(settings)
{
    /// <inheritdoc/>
    public override string Name => "rKL";

    /// <inheritdoc/>
    public override (Tensor Surrogate, Tensor Loss) Loss(ObjectiveInputs inputs)
    {
        var loss = -ElboParticles(inputs, inputs.NParticles, Settings.UsesStoppedQ).mean();
        return (loss, loss.detach());
    }
}
