using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Sbi.Distributions;
using Sbi.IO;
using Sbi.Numpy;
using Sbi.Posteriors;
using Sbi.Posteriors.Parameters;
using Sbi.Samplers.Vi;
using Sbi.Tests.Posteriors;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Tests.IO;

/// <summary>A fitted VI posterior saved and loaded (<see cref="VIModelFile"/>): the same q, bit for bit, and the same state.</summary>
public class VIModelFileTests
{
    private string _dir = "";
    private int _threads;

    [SetUp] public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "sbi-vi-file-" + Guid.NewGuid().ToString("N")));
    [TearDown] public void TearDown() { try { Directory.Delete(_dir, true); } catch (IOException) { } }
    [OneTimeSetUp] public void OneThread() { _threads = get_num_threads(); set_num_threads(1); }
    [OneTimeTearDown] public void RestoreThreads() => set_num_threads(_threads);

    /// <summary>
    /// A single-x MAF q on a box prior (fKL: the usual orientation; rKL: an inverse autoregressive flow) and an amortised
    /// Gaussian q on a normal prior: after Save and Load, log-densities at
    /// fixed θ (and, amortised, at several x) are bitwise those of the saved posterior, samples drawn from the same seed are
    /// bitwise equal, and the mode, fitted x, default x, method and parameters are kept.
    /// </summary>
    [Test]
    public void SaveAndLoadReproduceTheLogDensitiesBitwise()
    {
        using var scope = NewDisposeScope();
        manual_seed(51);
        using var box = new BoxUniform(tensor(new float[] { -2, 0 }), tensor(new float[] { 2, 3 }));
        var single = new VIPosterior(new GaussianTarget(box, [0.5, 1.2], [0.4, 0.7]), box,
                                     new VIPosteriorParameters(viMethod: "fKL", numTransforms: 2, hiddenFeatures: 12), logger: NullLogger.Instance);
        single.SetDefaultX(tensor(new float[] { 0.25f, -1 }));
        single.Train(maxNumIters: 40, warmUpRounds: 10, qualityControl: false);
        var path = Path.Combine(_dir, "single.npz");
        VIModelFile.Save(path, single);
        var loaded = VIModelFile.Load(path, logger: NullLogger.Instance);
        Assert.That((loaded.Mode, loaded.ViMethod, loaded.Parameters), Is.EqualTo((VIMode.SingleX, "fKL", single.Parameters)));
        Assert.That(loaded.TrainedOn!.data<float>().ToArray(), Is.EqualTo(single.TrainedOn!.data<float>().ToArray()));
        Assert.That(loaded.DefaultX!.data<float>().ToArray(), Is.EqualTo(new float[] { 0.25f, -1 }));
        var theta = box.Sample(200);
        Assert.That(loaded.LogProb(theta).data<float>().ToArray(), Is.EqualTo(single.LogProb(theta).data<float>().ToArray()));
        manual_seed(7);
        var a = single.Sample(100).data<float>().ToArray();
        manual_seed(7);
        Assert.That(loaded.Sample(100).data<float>().ToArray(), Is.EqualTo(a));

        var iaf = new VIPosterior(new GaussianTarget(box, [0.5, 1.2], [0.4, 0.7]), box, new VIPosteriorParameters(numTransforms: 2, hiddenFeatures: 12), logger: NullLogger.Instance);
        iaf.Train(zeros(1), maxNumIters: 40, warmUpRounds: 10, qualityControl: false);
        Assert.That(iaf.Q!.InverseAutoregressive, "rKL trains a MAF q as an inverse autoregressive flow");
        path = Path.Combine(_dir, "iaf.npz");
        VIModelFile.Save(path, iaf);
        var iafBack = VIModelFile.Load(path, logger: NullLogger.Instance);
        Assert.That(iafBack.Q!.InverseAutoregressive);
        Assert.That(iafBack.LogProb(theta).data<float>().ToArray(), Is.EqualTo(iaf.LogProb(theta).data<float>().ToArray()));
        manual_seed(8);
        a = iaf.Sample(100).data<float>().ToArray();
        manual_seed(8);
        Assert.That(iafBack.Sample(100).data<float>().ToArray(), Is.EqualTo(a));

        using var normal = MultivariateNormal.Standard(2);
        var amortized = new VIPosterior(new LinearGaussianPosterior(normal, 0.5), normal, new VIPosteriorParameters(q: "gaussian"), logger: NullLogger.Instance);
        var th = normal.Sample(300);
        amortized.TrainAmortized(th, th + 0.5 * randn_like(th), maxNumIters: 20, batchSize: 16);
        path = Path.Combine(_dir, "amortized.npz");
        VIModelFile.Save(path, amortized);
        var back = VIModelFile.Load(path, logger: NullLogger.Instance);
        Assert.That(back.Mode, Is.EqualTo(VIMode.Amortized));
        foreach (var x in new[] { new float[] { 0, 0 }, new float[] { 2, -1 } })
            Assert.That(back.LogProb(theta, tensor(x)).data<float>().ToArray(), Is.EqualTo(amortized.LogProb(theta, tensor(x)).data<float>().ToArray()));
    }

    /// <summary>
    /// A VI file is not a plain model (ModelFile.Load refuses it, naming VIModelFile.Load) and a plain model is not a VI file;
    /// an untrained posterior or one with a custom θ transform is not saved; a posterior loaded without its potential samples
    /// but says what is missing when trained, and trains when the potential is passed.
    /// </summary>
    [Test]
    public void FilesAreCheckedAndAPotentialIsNeededOnlyToTrain()
    {
        using var scope = NewDisposeScope();
        manual_seed(52);
        using var prior = new MultivariateNormal(zeros(2), 4 * eye(2));
        var target = new GaussianTarget(prior, [0.5, -0.3], [0.3, 0.6]);
        var post = new VIPosterior(target, prior, new VIPosteriorParameters(q: "gaussian_diag"), logger: NullLogger.Instance);
        Assert.Throws<InvalidOperationException>(() => VIModelFile.Save(Path.Combine(_dir, "untrained.npz"), post));
        var custom = new VIPosterior(target, prior, new VIPosteriorParameters(q: "gaussian"), thetaTransform: new AffineBijector(zeros(2), ones(2)), logger: NullLogger.Instance);
        custom.Train(zeros(1), maxNumIters: 5, warmUpRounds: 0, qualityControl: false);
        Assert.That(Assert.Throws<ArgumentException>(() => VIModelFile.Save(Path.Combine(_dir, "custom.npz"), custom))!.Message, Does.Contain("custom θ transform"));

        post.Train(zeros(1), maxNumIters: 20, warmUpRounds: 5, qualityControl: false);
        var path = Path.Combine(_dir, "vi.npz");
        VIModelFile.Save(path, post);
        Assert.That(Assert.Throws<SbiDataException>(() => ModelFile.Load(path, logger: NullLogger.Instance))!.Message, Does.Contain("VIModelFile.Load"));
        var plain = Path.Combine(_dir, "plain.npz");
        ModelFile.Save(plain, Sbi.Estimators.PosteriorNn.Build("maf")(randn(30, 2), randn(30, 1)), prior);
        Assert.That(Assert.Throws<SbiDataException>(() => VIModelFile.Load(plain, logger: NullLogger.Instance))!.Message, Does.Contain("is not a VI posterior"));

        var loaded = VIModelFile.Load(path, logger: NullLogger.Instance);
        Assert.That(loaded.Sample(10).shape, Is.EqualTo(new long[] { 10, 2 }));
        Assert.That(Assert.Throws<InvalidOperationException>(() => loaded.Train(zeros(1), maxNumIters: 5, qualityControl: false))!.Message, Does.Contain("without its potential"));
        var withPotential = VIModelFile.Load(path, target, logger: NullLogger.Instance);
        withPotential.Train(zeros(1), maxNumIters: 5, qualityControl: false);
        Assert.That(withPotential.TrainingSummary!.WarmUpSteps, Is.EqualTo(0), "a loaded q continues without a second warm-up");
    }
}
