using Sbi.Estimators;
using Sbi.Utils;
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

    /// <summary>
    /// The same step through a family's fused training kernel (<see cref="ITrainingKernel"/>, bound to q(z | x) and its
    /// optimiser's gradient buffers): samples and the potential without gradients, log q(z | x) and the gradient of the
    /// surrogate −Σ w̃ log q (coefficients −w̃) by the kernel, log |det ∂z/∂θ| (free of q's parameters) added for the weights.
    /// Writes q's parameter gradients and returns the loss; same maths as <see cref="Loss"/>, float rounding apart.
    /// </summary>
    public double KernelStep(ObjectiveInputs inputs, ITrainingKernel kernel)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(kernel);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        int n = inputs.NParticles;
        var q = inputs.Q;
        var z = q.SampleZ(n, inputs.X).reshape(n, q.Dim);
        var theta = q.Transform.Inverse(z);
        var logP = inputs.Potential(theta, false);
        var context = q.Q.Embed(inputs.X).expand(n, -1).contiguous();
        var logQ = kernel.LogProb(z.contiguous(), context).Plus(q.LogAbsDetJacobian(theta, z));
        var logW = logP - logQ;
        var weights = logW.softmax(0);
        kernel.Backward(-weights);
        return (weights * logW).sum().item<float>();
    }
}
