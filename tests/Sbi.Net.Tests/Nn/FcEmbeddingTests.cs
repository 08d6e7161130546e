using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Sbi.Distributions;
using Sbi.Estimators;
using Sbi.Inference;
using Sbi.Nn;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Tests.Nn;

public class FcEmbeddingTests
{
    /// <summary>sbi 0.27's FCEmbedding layout: Linear, Identity (no layer norm), ReLU, …, Linear, ReLU → keys net.0, net.3.</summary>
    [Test]
    public void LayoutAndKeysFollowSbi()
    {
        using var scope = NewDisposeScope();
        var e = new FcEmbedding(7, 4);
        Assert.That(e.state_dict().Keys, Is.EquivalentTo(new[] { "net.0.weight", "net.0.bias", "net.3.weight", "net.3.bias" }));
        Assert.That(e.state_dict()["net.0.weight"].shape, Is.EqualTo(new long[] { 50, 7 }));
        var y = e.forward(randn(5, 7));
        Assert.That(y.shape, Is.EqualTo(new long[] { 5, 4 }));
        Assert.That(y.min().item<float>(), Is.GreaterThanOrEqualTo(0f), "ends with a ReLU, as sbi's");
        var deeper = new FcEmbedding(7, 4, numLayers: 3, numHiddens: 8, enableLayerNorm: true);
        Assert.That(deeper.state_dict().Keys, Is.EquivalentTo(new[] { "net.0.weight", "net.0.bias", "net.1.weight", "net.1.bias",
            "net.3.weight", "net.3.bias", "net.4.weight", "net.4.bias", "net.6.weight", "net.6.bias" }));
    }

    /// <summary>An NPE-B with an FCEmbedding on a 6-D x trains two epochs for every estimator; the embedding's weights sit
    /// under net._embedding_net.1 (flows) or _embedding_net.1 (MDN), after the x z-scoring, and they are trained.</summary>
    [TestCase("maf")]
    [TestCase("nsf")]
    [TestCase("mdn")]
    [TestCase("made")]
    public void NpeBWithFcEmbeddingTrains(string model)
    {
        using var scope = NewDisposeScope();
        set_num_threads(1);
        manual_seed(0);
        using var prior = new BoxUniform(new float[] { -2, -2 }, new float[] { 2, 2 });
        var theta = prior.Sample(600);
        var x = cat(new[] { theta, theta.square(), theta.sin() }, 1) + 0.1 * randn(600, 6);
        var builder = PosteriorNn.Build(new DensityEstimatorOptions { Model = model, EmbeddingNet = () => new FcEmbedding(6, 5) });
        var npe = new NpeB(prior, builder, showProgressBars: false, logger: NullLogger.Instance);
        var net = npe.AppendSimulations(theta, x).Train(maxNumEpochs: 1);
        Assert.That(npe.Summary.EpochsTrained[0], Is.EqualTo(2));
        Assert.That(net.Config.C, Is.EqualTo(5));
        string prefix = model == "mdn" ? "_embedding_net.1.net.0.weight" : "net._embedding_net.1.net.0.weight";
        Assert.That(net.state_dict().Keys, Does.Contain(prefix));
        Assert.That(net.named_parameters().Single(p => p.name == prefix).parameter.requires_grad);
        using var _ = no_grad();
        var lp = net.LogProb(theta[..10], x[..10]);
        Assert.That(lp.isfinite().all().item<bool>());
        var samples = npe.BuildPosterior().Sample(20, x[0]);
        Assert.That(samples.shape, Is.EqualTo(new long[] { 20, 2 }));
    }
}
