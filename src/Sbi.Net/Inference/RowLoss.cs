using static TorchSharp.torch;

namespace Sbi.Inference;

/// <summary>
/// The per-row training loss of one <c>Train</c> call, as a function of the estimator's log-densities of a batch:
/// what an inference method defines and the training loop (<see cref="NeuralInference"/>) minimises. Being a function of
/// log q only lets a fused training kernel supply the rest of the gradient.
/// </summary>
public abstract class RowLoss : IDisposable
{
    /// <summary>Losses (B) of a batch given its log q(θ_i | x_i) (B); <paramref name="batch"/> identifies its rows.</summary>
    public abstract Tensor Losses(Tensor logProb, LossBatch batch);

    /// <summary>Releases what the loss precomputed.</summary>
    public virtual void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>A batch as a loss sees it: θ, x, the row indices into the stored simulations, and the loader that gathers per-row values.</summary>
public readonly record struct LossBatch(Tensor Theta, Tensor X, Tensor Rows, SimulationLoader Loader);

/// <summary>The first-round loss of NPE: −log q(θ_i | x_i) (sbi <c>PosteriorEstimatorTrainer._loss</c> in round 0).</summary>
public sealed class NegativeLogProbLoss : RowLoss
{
    /// <inheritdoc/>
    public override Tensor Losses(Tensor logProb, LossBatch batch) => -logProb;
}
