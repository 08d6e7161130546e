using static TorchSharp.torch;

namespace Sbi.Samplers.Vi;

/// <summary>
/// "fKL": sbi's <c>ForwardKLOptimizer</c> with q as the proposal (Jerfel et al. 2021): KL(p ‖ q) estimated by
/// self-normalised importance sampling. For n samples of q (no gradient through them) with w̃ = softmax(log p̃ − log q),
/// held fixed, the surrogate is −Σ w̃ log q(θ) (the gradient of the cross-entropy E_p[−log q]) and the loss
/// Σ w̃ (log p̃ − log q) = log Z + KL(p ‖ q) estimated. Mass covering: q is pushed to cover wherever p has mass.
/// </summary>
public sealed class ForwardKlObjective(DivergenceSettings settings) : DivergenceObjective(settings)
{
    /// <inheritdoc/>
    public override string Name => "fKL";

    /// <summary>fKL never differentiates through the samples, so sticking the landing has no meaning for it.</summary>
    public override bool NeedsStoppedQ => false;

    /// <inheritdoc/>
    public override (Tensor Surrogate, Tensor Loss) Loss(ObjectiveInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        int n = inputs.NParticles;
        Tensor theta, logP;
        using (no_grad())
        {
            theta = inputs.Q.Sample(n, inputs.X).reshape(n, inputs.Q.Dim);
            logP = inputs.Potential(theta, false);
        }
        var logQ = inputs.Q.LogProb(theta, inputs.X);
        var logW = logP - logQ.detach();
        var weights = logW.softmax(0);
        var surrogate = -(weights * logQ).sum();
        var loss = (weights * logW).sum();
        return (surrogate, loss);
    }
}
