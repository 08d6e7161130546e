using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Samplers.Vi;

/// <summary>
/// "alpha": sbi's <c>RenyiDivergenceOptimizer</c>, the Rényi variational bound (Li and Turner 2016) with
/// α = <see cref="DivergenceSettings.Alpha"/> (0.5): for n reparameterised ELBO particles lᵢ = log p̃ − log q, the weights
/// wᵢ = exp((1 − α)lᵢ − m), m = log((1/n) Σ exp((1 − α)lᵢ)), held fixed (squared with DReG), give the surrogate
/// −mean(w·l) and the loss −m/(1 − α), the bound's negative. α &lt; 1 is mass covering, α &gt; 1 mode seeking, α → 1 the
/// ELBO. sbi's "unbiased" variant (which applies (1 − α) twice) is not offered.
/// </summary>
public sealed class RenyiObjective(DivergenceSettings settings) : DivergenceObjective(settings)
{
    /// <inheritdoc/>
    public override string Name => "alpha";

    /// <inheritdoc/>
    public override (Tensor Surrogate, Tensor Loss) Loss(ObjectiveInputs inputs)
    {
        int n = inputs.NParticles;
        var elbo = ElboParticles(inputs, n, Settings.UsesStoppedQ);
        using TorchSharp.Scalar oneMinusAlpha = 1 - Settings.Alpha, logN = Math.Log(n);
        var logW = elbo.detach().mul(oneMinusAlpha);
        var meanLogW = logW.logsumexp(0).sub(logN);
        var weights = (logW - meanLogW).exp();
        if (Settings.Dreg) weights = weights.Squared();
        var surrogate = -(weights * elbo).mean();
        var loss = -meanLogW.div(oneMinusAlpha);
        return (surrogate, loss);
    }
}
