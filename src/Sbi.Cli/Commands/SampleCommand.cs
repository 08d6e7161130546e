using System.CommandLine;
using System.Diagnostics;
using Sbi.Data;
using Sbi.IO;
using Sbi.Numpy;
using Sbi.Posteriors;
using Sbi.Posteriors.Parameters;
using static TorchSharp.torch;

namespace Sbi.Cli.Commands;

/// <summary>
/// Draws posterior samples and writes them as .npy (atomically: an interrupted write leaves any old file as it was):
/// from an ONNX package (--package, ONNX Runtime, no TorchSharp at sampling time) or from a trained-model file
/// (--model), through sbi's posterior of --sample-with (<see cref="PosteriorBuilder.Build"/>): direct (the default,
/// DirectPosterior), rejection, importance, mcmc or vi (q trained at x first), each followed by what the sampler reports (acceptance, importance
/// weights' ESS and Pareto-k̂, the chains' R̂, ESS, acceptance and divergences, q's Pareto-k̂). Ctrl-C stops MCMC between draws (and VI between steps)
/// and exits 130 writing nothing.
/// </summary>
internal static class SampleCommand
{
    private sealed record Settings(string? Model, string? Package, XSpec? X, string? XIid, int N, int Seed, int Threads, string Out,
                                   TimeSpan? MaxSamplingTime, SampleMethod.Values Method);

    public static Command Create(CliContext ctx)
    {
        var model = CliOptions.Path("--model", "a model file written by sbi-net train (TorchSharp sampling)");
        var package = CliOptions.Path("--package", "an ONNX posterior package folder written by sbi-net export (ONNX Runtime sampling)", "FOLDER");
        var x = CliOptions.Observation("--x", "the observation to condition on (default: the model's --x-o)");
        var xIid = CliOptions.Path(IidObservations.Option, "k iid observations of one θ, one per row of a .npy file (k, x size), conditioned on together; --sample-with mcmc only");
        var n = CliOptions.Int("-n", "number of samples", 1000, 1, int.MaxValue, null, "--n");
        var seed = CliOptions.Int("--seed", "random seed", 0, int.MinValue);
        var threads = CliOptions.Threads();
        var output = CliOptions.Path("--out", "the .npy file to write, shape (n, D)", defaultValue: "samples.npy");
        var maxTime = CliOptions.MaxSamplingTime();
        var method = new SampleMethod();
        var cmd = new Command("sample", "posterior samples from a model file (--model) or an ONNX package (--package), written as .npy")
        {
            model, package, x, xIid, n, seed, threads, output, maxTime,
        };
        foreach (var o in method.Options) cmd.Options.Add(o);
        cmd.Validators.Add(r =>
        {
            bool hasModel = r.GetValue(model) is not null, hasPackage = r.GetValue(package) is not null;
            if (hasModel == hasPackage) r.AddError("give either --package (ONNX) or --model (model file)");
            if (hasPackage && r.GetValue(x) is null) r.AddError("--x is required with --package");
            if (hasPackage && r.GetValue(method.SampleWith) is { } sw && sw != "direct")
                r.AddError($"--package (ONNX Runtime) samples directly only; got --sample-with {sw} (use --model for the other posteriors)");
            if (r.GetValue(xIid) is not null && r.GetValue(x) is not null) r.AddError($"give either --x or {IidObservations.Option}, not both");
            if (r.GetValue(xIid) is not null && r.GetValue(method.SampleWith) is { } with && with != "mcmc")
                r.AddError($"{IidObservations.Option} needs --sample-with mcmc: the {with} posterior's density is of one x, and only MCMC samples " +
                           "the joint posterior of several iid observations (got --sample-with " + with + ")");
        });
        cmd.SetAction(p => Run(ctx, new Settings(p.GetValue(model), p.GetValue(package), p.GetValue(x), p.GetValue(xIid), p.GetValue(n),
            p.GetValue(seed), p.GetValue(threads), p.GetValue(output)!, p.GetValue(maxTime), method.Read(p))));
        return cmd;
    }

    private static int Run(CliContext ctx, Settings s)
    {
        // Every option's value first (the records check theirs), then the files, then the work.
        var parameters = SampleMethod.Parameters(s.Method, s.MaxSamplingTime);
        if (s.Model is not null) PathChecks.InputFile(s.Model, "--model");
        if (s.Package is not null) PathChecks.InputFolder(s.Package, "--package");
        if (s.X?.NpyPath is { } xPath) PathChecks.InputFile(xPath, "--x");
        if (s.XIid is not null) PathChecks.InputFile(s.XIid, IidObservations.Option);
        var weightsOut = parameters is ImportanceSamplingPosteriorParameters { Method: "importance" } ? LogWeightsPath(s.Out) : null;
        PathChecks.Output(s.Out, "--out", isFolder: false, (s.Model, "--model"), (s.Package, "--package"), (s.X?.NpyPath, "--x"), (s.XIid, IidObservations.Option));
        if (s.Method.SaveVi is { } saveVi)
            PathChecks.Output(saveVi, "--save-vi", isFolder: false, (s.Model, "--model"), (s.X?.NpyPath, "--x"), (s.Out, "--out"));
        if (weightsOut is not null)
            PathChecks.Output(weightsOut, "--out (its log weights)", isFolder: false, (s.Model, "--model"), (s.X?.NpyPath, "--x"));
        return s.Package is not null ? FromPackage(ctx, s) : FromModel(ctx, s, parameters, weightsOut);
    }

    /// <summary>Where --importance-method importance writes the log weights: s.npy → s.log_weights.npy.</summary>
    private static string LogWeightsPath(string samplesPath)
    {
        var dir = Path.GetDirectoryName(samplesPath) ?? "";
        var stem = Path.GetFileName(samplesPath).EndsWith(".npy", StringComparison.OrdinalIgnoreCase)
            ? Path.GetFileNameWithoutExtension(samplesPath) : Path.GetFileName(samplesPath);
        return Path.Combine(dir, stem + ".log_weights.npy");
    }

    private static int FromModel(CliContext ctx, Settings s, PosteriorParameters parameters, string? weightsOut)
    {
        set_num_threads(s.Threads);
        manual_seed(s.Seed);
        var (estimator, savedPrior, defaultX) = ModelFile.LoadParts(s.Model!);
        var prior = savedPrior ?? throw new SbiDataException(null, $"{s.Model}: the file stores no prior; pass one.");
        long dim = estimator.Config.D;
        SampleBudget.Check(s.N, dim);
        using var iid = s.XIid is not null ? IidObservations.Read(s.XIid, estimator.Config.XShape) : null;
        using var x = s.X is not null ? s.X.ToTensor(estimator.Config.XShape, "the model's") : null;
        var xo = iid ?? x ?? defaultX ?? throw new UsageException("--x is required: the model has no default x (train with --x-o to store one)");
        var posterior = PosteriorBuilder.Build(estimator, prior, parameters.SampleWith, parameters, ctx.Logger);
        var clock = Stopwatch.StartNew();
        Tensor samples;
        Tensor? logWeights = null;
        string? report = null;
        switch (posterior)
        {
            case DirectPosterior direct:
                samples = direct.Sample(s.N, xo, maxSamplingTime: s.MaxSamplingTime);
                break;
            case RejectionPosterior rejection:
            {
                var (r, acceptance, logEnvelope) = rejection.SampleWithAcceptance(s.N, xo, maxSamplingTime: s.MaxSamplingTime);
                samples = r;
                report = $"rejection sampling: acceptance {acceptance:G3} (log envelope {logEnvelope:F3})";
                break;
            }
            case ImportanceSamplingPosterior importance when importance.Parameters.Method == "importance":
            {
                var weighted = importance.ImportanceSample(s.N, xo);
                (samples, logWeights) = (weighted.Samples, weighted.LogWeights);
                report = $"importance weights: ESS {weighted.EffectiveSampleSize:N1} of {s.N:N0}, Pareto-k̂ {weighted.ParetoK:F2}";
                break;
            }
            case ImportanceSamplingPosterior importance:
            {
                samples = importance.SirSample(s.N, xo);
                // SIR keeps one of every 32 candidates and reports nothing of their weights: a fresh draw of 10,000 shows them.
                const int diagnostic = 10_000;
                var weighted = importance.ImportanceSample(diagnostic, xo);
                report = $"importance weights of {diagnostic:N0} fresh proposal draws: ESS {weighted.EffectiveSampleSize:N1}, Pareto-k̂ {weighted.ParetoK:F2} " +
                         $"(above {ImportanceWeights.ParetoKThreshold} the samples are unreliable)";
                weighted.Samples.Dispose();
                weighted.LogWeights.Dispose();
                break;
            }
            case VIPosterior vi:
            {
                var m = s.Method;
                using (var interrupt = Interrupt.Listen(ctx.Err, "sbi-net: interrupted; stopping VI training, nothing will be written (Ctrl-C again to quit at once)"))
                {
                    try
                    {
                        vi.Train(xo, nParticles: m.ViParticles ?? 256, maxNumIters: m.ViMaxIters ?? 2000, cancellationToken: interrupt.Token);
                    }
                    catch (OperationCanceledException) when (interrupt.Requested)
                    {
                        ctx.Err.WriteLine("sbi-net: sample interrupted during VI training (nothing written)");
                        return ExitCodes.Interrupted;
                    }
                }
                samples = vi.Sample(s.N);
                report = ViReport(vi);
                if (m.SaveVi is { } path)
                {
                    VIModelFile.Save(path, vi);
                    report += $"\nsaved the fitted q to {path} (sbi-net export --model {path} --out FOLDER serves it through ONNX Runtime)";
                }
                break;
            }
            case McmcPosterior mcmc:
            {
                var mp = mcmc.Parameters;
                using (var interrupt = Interrupt.Listen(ctx.Err, "sbi-net: interrupted; stopping the chains, nothing will be written (Ctrl-C again to quit at once)"))
                    samples = McmcProgressDisplay.Run(ctx, $"MCMC {mp.Method}, {mp.NumChains} chains",
                                                      progress => mcmc.Sample(s.N, xo, progress, interrupt.Token));
                report = mcmc.Diagnostics is { } d ? McmcReport(d) : null;
                break;
            }
            default:
                samples = posterior.Sample(s.N, xo);
                break;
        }
        using (samples)
        using (logWeights)
        {
            var array = samples.ToNpy();
            AtomicFile.Write(s.Out, stream => Npy.Write(stream, array));
            if (logWeights is not null && weightsOut is not null)
            {
                var w = logWeights.ToNpy();
                AtomicFile.Write(weightsOut, stream => Npy.Write(stream, w));
            }
            ctx.Out.WriteLine($"wrote {s.N} samples ({samples.shape[1]} parameters) to {s.Out} in {clock.Elapsed.TotalSeconds:F2} s");
            if (weightsOut is not null) ctx.Out.WriteLine($"wrote their log importance weights to {weightsOut}");
            if (report is not null) ctx.Out.WriteLine(report);
        }
        return ExitCodes.Success;
    }

    /// <summary>What VI training did and the fitted q's PSIS Pareto-k̂, in one line.</summary>
    private static string ViReport(VIPosterior vi)
    {
        var t = vi.TrainingSummary!;
        var quality = vi.Evaluate("psis");
        return $"VI {t.Method} (q {vi.Parameters.Q}): {t.Iterations:N0} iterations + {t.WarmUpSteps} warm-up in {t.Seconds:F1} s" +
               (t.Converged ? ", converged" : ", iteration limit reached") + $"; Pareto-k̂ {quality.Value:F2}" +
               (quality.Value > ImportanceWeights.ParetoKThreshold ? " (above 0.7: q is a poor fit; train longer or try --vi-method fKL or IW)" : "");
    }

    /// <summary>The chains' diagnostics in one line.</summary>
    internal static string McmcReport(Sbi.Samplers.McmcDiagnostics d) =>
        $"MCMC diagnostics ({d.NumChains} chains × {d.DrawsPerChain:N0} kept draws): max split-R̂ {d.MaxSplitRhat:F3}, min bulk ESS {d.MinBulkEss:N0}" +
        (d.AcceptanceRate is double a ? $", acceptance {a:F2}" : "") + $", divergences {d.Divergences}" +
        (d.MaxSplitRhat > 1.01 ? " (R̂ above 1.01: the chains have not mixed; run longer warm-up or more draws)" : "");

    private static int FromPackage(CliContext ctx, Settings s)
    {
        using var posterior = Sbi.Onnx.Runtime.OnnxPosterior.Load(s.Package!, new Sbi.Onnx.Runtime.OnnxPosteriorOptions { IntraOpThreads = s.Threads });
        var x = s.X!.Values();
        SampleBudget.Check(s.N, posterior.D);
        var clock = Stopwatch.StartNew();
        var samples = posterior.Sample(s.N, x, new Random(s.Seed), s.MaxSamplingTime);
        var flat = new float[samples.Length];
        Buffer.BlockCopy(samples, 0, flat, 0, flat.Length * sizeof(float));
        var array = NpyArray.FromFloat32(flat, new long[] { samples.GetLength(0), samples.GetLength(1) });
        AtomicFile.Write(s.Out, stream => Npy.Write(stream, array));
        ctx.Out.WriteLine($"wrote {s.N} samples ({samples.GetLength(1)} parameters) to {s.Out} in {clock.Elapsed.TotalSeconds:F2} s (ONNX Runtime, {posterior.ExecutionProvider})");
        return ExitCodes.Success;
    }
}
