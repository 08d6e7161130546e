namespace Sbi.Inference;

/// <summary>How a <c>Train</c> call computed its gradients (the reason is in <see cref="NeuralInference.TrainingBackendReason"/>).</summary>
public enum TrainingBackend
{
    /// <summary>TorchSharp autograd through the estimator's modules.</summary>
    Autograd,

    /// <summary>The family's fused CPU training kernel (<see cref="Sbi.Estimators.ITrainingKernel"/>).</summary>
    FusedCpuKernel,
}
