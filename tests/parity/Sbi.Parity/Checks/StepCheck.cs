using Sbi.Estimators;
using Sbi.Inference;
using Sbi.Optim;
using Sbi.Parity.Data;
using Sbi.Testing;
using static TorchSharp.torch;

namespace Sbi.Parity.Checks;

/// <summary>
/// Case 3: from sbi's weights and batch, one Sbi.Net training step (fresh Adam, lr from the bundle, zero_grad, loss,
/// backward, clip_grad_norm_, step) against sbi's. Checked: both sides train the same tensors; the gradients and
/// their norm equal sbi's float64 ones (and are as accurate in float32 as sbi's, where sbi's float32 gradients are
/// stored); and every weight after the step is Adam's float64 step from sbi's float64 gradient within
/// <see cref="Tolerances.AdamFirstStep"/> of the gradient error, for Sbi.Net's step and for sbi's recorded one.
/// </summary>
public static class StepCheck
{
    public static IReadOnlyList<CaseResult> Run(string id, ArrayBundle b)
    {
        var results = new List<CaseResult> { TrainableKeys(id, b) };
        double clip = b.Scalar("clip_max_norm");
        results.AddRange(OneStep(id, b, "step/sd/", false, clip, "NPE-B loss"));
        if (Has(b, "step_round0/sd/")) results.AddRange(OneStep(id, b, "step_round0/sd/", true, clip, "round-0 NLL"));
        if (Has(b, "step_round0_clip/sd/"))
            results.AddRange(OneStep(id, b, "step_round0_clip/sd/", true, b.Scalar("clip_max_norm_round0_clip"), "round-0 NLL"));
        return results;
    }

    private static bool Has(ArrayBundle b, string prefix) => b.Names.Any(n => n.StartsWith(prefix, StringComparison.Ordinal));

    private static CaseResult TrainableKeys(string id, ArrayBundle b)
    {
        using var est = EstimatorLoader.Load(b);
        var ours = est.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToHashSet();
        var theirs = EstimatorLoader.TrainableKeys(b);
        var diff = ours.Except(theirs).Concat(theirs.Except(ours)).ToList();
        return CaseResult.Check(id, b.Origin, "trainable tensors differing from sbi's", diff.Count, 0,
            diff.Count == 0 ? $"{ours.Count} tensors" : $"e.g. {diff[0]}");
    }

    private static Tensor Losses(ConditionalDensityEstimator est, RecordedProposals inputs, bool firstRoundLoss) =>
        firstRoundLoss ? est.Loss(inputs.Theta, inputs.X)
                       : NpeB.Loss(est, inputs.Theta, inputs.X, inputs.Prior, inputs.Proposals, inputs.Counts);

    /// <summary>PyTorch's clip_grad_norm_ factor min(1, max_norm / (‖g‖ + 1e-6)).</summary>
    private static double ClipFactor(double clip, double norm) => Math.Min(1.0, clip / (norm + 1e-6));

    private static IReadOnlyList<CaseResult> OneStep(string id, ArrayBundle b, string prefix, bool firstRoundLoss, double clip, string lossName)
    {
        using var scope = NewDisposeScope();
        string what = $"{lossName}, clip {clip:G3}";
        double lr = b.Scalar("learning_rate");
        string gradKey = firstRoundLoss ? "grad_round0" : "grad";
        string normKey = firstRoundLoss ? "grad_norm_before_clip_round0" : "grad_norm_before_clip";

        // Sbi.Net, float32: gradient, clipped gradient, weights before and after one FlatAdam step.
        using var est = EstimatorLoader.Load(b);
        using var in32 = new RecordedProposals(b);
        est.train();
        var names = est.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();
        using var adam = new FlatAdam(est.parameters().Where(p => p.requires_grad), lr);
        adam.ZeroGrad();
        Losses(est, in32, firstRoundLoss).mean().backward();
        var g32 = adam.Gradients.clone();
        double norm32 = adam.ClipGradNorm(clip).item<float>();
        var gc32 = adam.Gradients.to(ScalarType.Float64);
        var w0 = adam.Parameters.to(ScalarType.Float64);
        adam.Step();
        var w1 = adam.Parameters.to(ScalarType.Float64);

        // Sbi.Net, float64: the gradient of the same loss.
        using var est64 = Float64.Convert(EstimatorLoader.Load(b));
        using var in64 = new RecordedProposals(b, float64: true);
        est64.train();
        Losses(est64, in64, firstRoundLoss).mean().backward();
        var g64 = cat(est64.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.parameter.grad!.reshape(-1)).ToList());

        // sbi: float64 gradient (always), float32 gradient (stored for the NPE-B loss of the committed D = 2 files).
        var gSbi64 = cat(names.Select(n => b.Tensor($"f64/{gradKey}/{n}").reshape(-1)).ToList());
        Tensor? gSbi32 = names.All(n => b.Names.Contains($"{gradKey}/{n}")) ? cat(names.Select(n => b.Tensor($"{gradKey}/{n}").reshape(-1)).ToList()) : null;
        long batch = in32.Theta.shape[0];
        var results = new List<CaseResult>();
        double oursGradErr = Diff.MaxAbs(g32, g64);
        double gScale = Diff.MaxAbsValue(gSbi64);
        if (gSbi32 is not null)
            results.AddRange(CaseResult.Agreement(id, b.Origin, $"gradients ({what})", FloatAgreement.Of(g32, g64, gSbi32, gSbi64, batch)));
        else
            // No float32 gradient of sbi's: the float32 error of Sbi.Net's own evaluation measures the conditioning.
            results.Add(CaseResult.Check(id, b.Origin, $"gradients ({what}), float64 max |ours − sbi|", Diff.MaxAbs(g64, gSbi64),
                Tolerances.SameMathsFloat64(oursGradErr, batch, gScale), $"Sbi.Net's float32 error {oursGradErr:G3}"));

        double norm64 = g64.norm().item<double>(), normSbi64 = b.Scalar($"f64/{normKey}"), normSbi32 = b.Scalar(normKey);
        results.AddRange(CaseResult.Agreement(id, b.Origin, $"grad norm before clip ({what})",
            FloatAgreement.OfScalars(norm32, norm64, normSbi32, normSbi64, g32.numel())));

        // Adam's first step in float64 from sbi's float64 gradient, clipped as PyTorch clips it.
        double c64 = ClipFactor(clip, normSbi64);
        var gc64 = gSbi64 * c64;
        var expected = w0 - lr * gc64 / (gc64.abs() + Tolerances.AdamEps);

        // Sbi.Net's step: its own clipped float32 gradient is off by |gc32 − gc64| per entry.
        var oursDelta = (gc32 - gc64).abs();
        results.Add(StepRow(id, b, $"Sbi.Net weights after 1 Adam step ({what})", w1, expected, gc64, oursDelta, w0, lr, names, est));

        // sbi's recorded step, with sbi's gradient error: measured where its float32 gradients are stored, else the
        // float32 gradient bound (Tolerances.Float32 with Sbi.Net's error as the reference), plus its clip factor's.
        double cSbi = ClipFactor(clip, normSbi32);
        Tensor sbiDelta = gSbi32 is not null
            ? (gSbi32.to(ScalarType.Float64) * cSbi - gc64).abs()
            : Tolerances.Float32(oursGradErr, batch, gScale) * cSbi + gSbi64.abs() * Math.Abs(cSbi - c64) + zeros_like(gc64);
        var sbiStep = cat(names.Select(n => b.Tensor(prefix + n).to(ScalarType.Float64).reshape(-1)).ToList());
        results.Add(StepRow(id, b, $"sbi weights after its Adam step ({what})", sbiStep, expected, gc64, sbiDelta, w0, lr, names, est));
        return results;
    }

    /// <summary>max over entries of |w − expected| / <see cref="Tolerances.AdamFirstStep"/> (pass when ≤ 1), with the worst entry named.</summary>
    private static CaseResult StepRow(string id, ArrayBundle b, string metric, Tensor w, Tensor expected, Tensor gc64, Tensor delta,
                                      Tensor w0, double lr, IReadOnlyList<string> names, ConditionalDensityEstimator est)
    {
        var bound = Tolerances.AdamFirstStep(gc64, delta.to(ScalarType.Float64), w0, lr);
        var ratio = (w - expected).abs() / bound;
        long worst = ratio.argmax().item<long>();
        long ill = bound.gt(lr * Tolerances.IllConditionedStepFraction).sum().item<long>();
        return CaseResult.Check(id, b.Origin, $"{metric}, max |Δ| / bound", ratio.max().item<double>(), 1.0,
            $"worst: {EntryName(worst, names, est)} |Δ| {(w - expected).abs()[worst].item<double>():G3} ≤ {bound[worst].item<double>():G3}; " +
            $"{ill} of {w.numel()} entries ill-conditioned (|g| within its error of 0 or near ε)");
    }

    private static string EntryName(long flatIndex, IReadOnlyList<string> names, ConditionalDensityEstimator est)
    {
        var sizes = est.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.parameter.numel()).ToList();
        for (int i = 0; i < sizes.Count; i++)
        {
            if (flatIndex < sizes[i]) return $"{names[i]}[{flatIndex}]";
            flatIndex -= sizes[i];
        }
        return "?";
    }
}
