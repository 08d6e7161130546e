using NUnit.Framework;
using Sbi.Estimators;
using Sbi.Posteriors.Parameters;
using Sbi.Samplers.Vi;
using static TorchSharp.torch;

namespace Sbi.Tests.Posteriors;

/// <summary>sbi's <c>VIPosteriorParameters</c> (sbi/inference/posteriors/posterior_parameters.py) and the divergence settings: defaults, checks, copies.</summary>
public class VIPosteriorParametersTests
{
    [Test]
    public void DefaultsAreSbis()
    {
        var p = new VIPosteriorParameters();
        Assert.That((p.Q, p.ViMethod, p.NumTransforms, p.HiddenFeatures, p.ZScoreTheta, p.ZScoreX, p.SampleWith),
                    Is.EqualTo(("maf", "rKL", 5, 50, ZScoreMode.Independent, ZScoreMode.Independent, "vi")));
        var s = new DivergenceSettings();
        Assert.That((s.StickTheLanding, s.K, s.Dreg, s.Alpha, s.Eps, s.UsesStoppedQ), Is.EqualTo((false, 8, false, 0.5, (double?)null, false)));
        Assert.That(DivergenceObjective.Create("rKL").Eps, Is.EqualTo(1e-5));
        Assert.That(DivergenceObjective.Create("IW").Eps, Is.EqualTo(1e-7), "sbi's IW sets eps = 1e-7");
        Assert.That(DivergenceObjective.Create("fKL", new DivergenceSettings { Eps = 1e-3 }).Eps, Is.EqualTo(1e-3));
        Assert.That(new DivergenceSettings { Dreg = true }.UsesStoppedQ, "DReG turns on sticking the landing, as in sbi");
    }

    [Test]
    public void EveryFamilyAndMethodIsAccepted()
    {
        foreach (var q in new[] { "maf", "nsf", "gaussian", "gaussian_diag" })
            Assert.That(new VIPosteriorParameters(q: q).Q, Is.EqualTo(q));
        foreach (var m in new[] { "rKL", "fKL", "IW", "alpha" })
        {
            Assert.That(new VIPosteriorParameters(viMethod: m).ViMethod, Is.EqualTo(m));
            Assert.That(DivergenceObjective.Create(m).Name, Is.EqualTo(m));
        }
        var copy = new VIPosteriorParameters() with { Q = "nsf", NumTransforms = 2 };
        Assert.That((copy.Q, copy.NumTransforms, copy.HiddenFeatures), Is.EqualTo(("nsf", 2, 50)));
    }

    /// <summary>A bad value fails in the constructor and in a with-copy, naming the field, what is allowed and what it got.</summary>
    [Test]
    public void BadValuesNameTheFieldTheAllowedValuesAndWhatCame()
    {
        var q = Assert.Throws<ArgumentException>(() => _ = new VIPosteriorParameters(q: "naf"))!;
        Assert.That(q.ParamName, Is.EqualTo("VIPosteriorParameters.Q"));
        Assert.That(q.Message, Does.Contain("'maf', 'nsf', 'gaussian', 'gaussian_diag'").And.Contain("got 'naf'"));
        Assert.That(Assert.Throws<ArgumentException>(() => _ = new VIPosteriorParameters(q: "mdn"))!.Message, Does.Contain("got 'mdn'"), "mixtures are not reparameterisable");
        Assert.That(Assert.Throws<ArgumentException>(() => _ = new VIPosteriorParameters() with { Q = null! })!.Message, Does.Contain("got null"));
        var m = Assert.Throws<ArgumentException>(() => _ = new VIPosteriorParameters(viMethod: "KL"))!;
        Assert.That(m.ParamName, Is.EqualTo("VIPosteriorParameters.ViMethod"));
        Assert.That(m.Message, Does.Contain("'rKL', 'fKL', 'IW', 'alpha'").And.Contain("got 'KL'"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => _ = new VIPosteriorParameters(numTransforms: 0))!.Message,
                    Does.Contain("VIPosteriorParameters.NumTransforms").And.Contain("got 0"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => _ = new VIPosteriorParameters() with { HiddenFeatures = -3 })!.Message,
                    Does.Contain("VIPosteriorParameters.HiddenFeatures").And.Contain("got -3"));
        Assert.That(Assert.Throws<ArgumentException>(() => DivergenceObjective.Create("renyi"))!.Message, Does.Contain("got 'renyi'"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => _ = new DivergenceSettings { K = 0 })!.Message, Does.Contain("K").And.Contain("got 0"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => _ = new DivergenceSettings { Alpha = 1 })!.Message, Does.Contain("rKL"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => _ = new DivergenceSettings { Eps = -1 })!.Message, Does.Contain("Eps"));
    }

    /// <summary>A family registered by the user is a valid q once its estimators are flows; the mixtures stay refused.</summary>
    [Test]
    public void ARegisteredFlowFamilyIsAValidQ()
    {
        Assert.That(VariationalFamilies.IsKnown("my_flow"), Is.False);
        EstimatorFamilies.Register(new RenamedMaf("vi_test_flow"));
        Assert.That(new VIPosteriorParameters(q: "vi_test_flow").Q, Is.EqualTo("vi_test_flow"));
        Assert.That(VariationalFamilies.Names, Does.Contain("vi_test_flow").And.Not.Contain("mdn"));
        using var scope = NewDisposeScope();
        var q = VariationalFamilies.Build("vi_test_flow", 1, 8, ZScoreMode.Independent, ZScoreMode.Independent, randn(20, 2), zeros(1, 1));
        Assert.That(VariationalFamilies.IsReparameterisable(q));
    }

    /// <summary>The MAF family under another name (a user's own flow family).</summary>
    private sealed class RenamedMaf(string name) : IEstimatorFamily
    {
        public string Name => name;

        public ConditionalDensityEstimator Create(EstimatorConfig config, Tensor? thetaBatch, nn.Module<Tensor, Tensor> embedding) =>
            EstimatorFamilies.Get("maf").Create(config, thetaBatch, embedding);
    }
}
