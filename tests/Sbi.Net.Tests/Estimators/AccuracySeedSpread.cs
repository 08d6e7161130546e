using NUnit.Framework;
using Sbi.Estimators;
using Sbi.Tests.Inference;

namespace Sbi.Tests.Estimators;

/// <summary>
/// On-demand measurement (not part of CI) of the seed-to-seed spread of the trained-accuracy statistics that
/// <see cref="Tolerances.GaussianLinearAccuracy"/> and <see cref="Tolerances.TwoRoundAccuracy"/> are derived from:
/// <c>dotnet test tests/Sbi.Net.Tests -c Release --filter "FullyQualifiedName~AccuracySeedSpread"
/// --logger "console;verbosity=detailed"</c> prints one SEED line per training and one SEEDSPREAD line per case.
/// </summary>
[Explicit("a measurement: 30 trainings per case")]
public class AccuracySeedSpread
{
    [TestCase("maf")]
    [TestCase("nsf")]
    [TestCase("mdn")]
    [TestCase("made")]
    public void GaussianLinear(string model) => DensityChecks.SeedSpread(model, seed => DensityChecks.TrainGaussianLinear(model, seed, robustScale: model == "nsf",
        configurePosteriorEstimator: model == "made" ? e => ((MadeMixtureDistribution)((FlowEstimator)e).Net.Distribution).FixDummyWhenSampling = true : null));

    [Test]
    public void TwoRounds() => DensityChecks.SeedSpread("two-round maf", NpeBAccuracyTests.TrainTwoRounds);
}
