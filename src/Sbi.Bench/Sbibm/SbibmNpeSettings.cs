using Sbi.Estimators;

namespace Sbi.Bench.Sbibm;

/// <summary>
/// The NPE run of one benchmark cell, with sbibm's settings as defaults (sbibm/algorithms/sbi/snpe.py and the
/// results repository's config/algorithm/npe.yaml and snpe.yaml: neural_net nsf, hidden_features 50, z_score_x and
/// z_score_theta true (sbi's "independent"), training_batch_size 10000, simulation_batch_size 1000, num_rounds 1 for
/// NPE and 10 for SNPE; every other training option at sbi's default: learning rate 5e-4, 10 % validation, 20 epochs
/// of patience, gradient clip 5).
/// </summary>
public sealed record SbibmNpeSettings
{
    /// <summary>sbibm's training batch size.</summary>
    public const int SbibmTrainingBatchSize = 10_000;

    /// <summary>Density estimator family (sbibm: nsf).</summary>
    public string Estimator { get; init; } = "nsf";

    /// <summary>Hidden units of the estimator's networks (sbibm: 50).</summary>
    public int HiddenFeatures { get; init; } = 50;

    /// <summary>
    /// Training batch size before the caps (sbibm: 10,000). sbibm caps it at the simulations per round and sbi at the
    /// training rows, so at 10³ and 10⁴ simulations every epoch is one full-batch step.
    /// </summary>
    public int TrainingBatchSize { get; init; } = SbibmTrainingBatchSize;

    /// <summary>Rounds: 1 is NPE on prior simulations (trained once per budget); more is sequential NPE-B per observation with ⌊sims / rounds⌋ simulations a round.</summary>
    public int Rounds { get; init; } = 1;

    /// <summary>Posterior samples per observation (sbibm: 10,000, the reference's size).</summary>
    public int NumSamples { get; init; } = 10_000;

    /// <summary>Seed of the simulations, initial weights and posterior draws.</summary>
    public int Seed { get; init; }

    /// <summary>Epoch cap per training (null: until early stopping, as sbibm).</summary>
    public int? MaxEpochs { get; init; }

    /// <summary>scikit-learn's random_state in the C2ST (sbibm: 1).</summary>
    public int C2stSeed { get; init; } = 1;

    /// <summary>Train with the fused CPU kernels where they apply (the library's default).</summary>
    public bool UseFusedCpuKernels { get; init; } = true;

    /// <summary>The batch size a round of <paramref name="simsPerRound"/> simulations trains with before sbi's cap at the training rows: min(<see cref="TrainingBatchSize"/>, simsPerRound) (sbibm's cap).</summary>
    public int BatchFor(int simsPerRound) => Math.Min(TrainingBatchSize, simsPerRound);

    /// <summary>The estimator builder: <see cref="Estimator"/> with <see cref="HiddenFeatures"/> and independent z-scoring of θ and x.</summary>
    public DensityEstimatorBuilder Builder() => PosteriorNn.Build(new DensityEstimatorOptions
    {
        Model = Estimator,
        HiddenFeatures = HiddenFeatures,
        ZScoreTheta = Sbi.Format.ZScoreMode.Independent,
        ZScoreX = Sbi.Format.ZScoreMode.Independent,
    });
}
