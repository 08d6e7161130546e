using Sbi.Inference;
using Sbi.Optim;
using Sbi.Parity.Data;
using static TorchSharp.torch;

namespace Sbi.Parity.Checks;

/// <summary>
/// Case 3: from sbi's weights and batch, one Sbi.Net training step (fresh Adam, lr from the bundle, zero_grad,
/// loss, backward, clip_grad_norm_, step) gives sbi's weights after its own step. Also checks that both sides
/// train the same set of tensors, and the pre-clip gradient norm.
/// </summary>
public static class StepCheck
{
    public static IReadOnlyList<CaseResult> Run(string id, ArrayBundle b)
    {
        var results = new List<CaseResult> { TrainableKeys(id, b) };
        results.AddRange(OneStep(id, b, "step/sd/", false, b.Scalar("clip_max_norm"), "grad_norm_before_clip", "NPE-B loss"));
        if (b.Names.Any(n => n.StartsWith("step_round0_clip/sd/", StringComparison.Ordinal)))
            results.AddRange(OneStep(id, b, "step_round0_clip/sd/", true, b.Scalar("clip_max_norm_round0_clip"), "grad_norm_before_clip_round0", "round-0 NLL"));
        return results;
    }

    private static CaseResult TrainableKeys(string id, ArrayBundle b)
    {
        using var est = EstimatorLoader.Load(b);
        var ours = est.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToHashSet();
        var theirs = EstimatorLoader.TrainableKeys(b);
        var diff = ours.Except(theirs).Concat(theirs.Except(ours)).ToList();
        return CaseResult.Check(id, b.Origin, "trainable tensors differing from sbi's", diff.Count, 0,
            diff.Count == 0 ? $"{ours.Count} tensors" : $"e.g. {diff[0]}");
    }

    private static IReadOnlyList<CaseResult> OneStep(string id, ArrayBundle b, string prefix, bool firstRoundLoss, double clip, string normKey, string lossName)
    {
        using var scope = NewDisposeScope();
        using var est = EstimatorLoader.Load(b);
        using var inputs = new RecordedProposals(b);
        est.train();
        using var adam = new FlatAdam(est.parameters().Where(p => p.requires_grad), b.Scalar("learning_rate"));
        adam.ZeroGrad();
        var loss = firstRoundLoss
            ? est.Loss(inputs.Theta, inputs.X)
            : NpeBLoss.Loss(est, inputs.Theta, inputs.X, inputs.Prior, inputs.Proposals, inputs.Counts);
        loss.mean().backward();
        double norm = adam.ClipGradNorm(clip).item<float>();
        adam.Step();
        est.eval();

        var expected = b.WithPrefix(prefix);
        var actual = est.state_dict();
        double worst = 0;
        string worstKey = "";
        foreach (var (key, want) in expected)
        {
            double d = Diff.MaxAbs(actual[key], want.ToTensor());
            if (!(d <= worst)) { worst = d; worstKey = key; }
        }
        double sbiNorm = b.Scalar(normKey);
        string what = $"{lossName}, clip {clip:G3}";
        return new[]
        {
            CaseResult.Check(id, b.Origin, $"grad norm before clip, rel ({what})", Diff.Rel(norm, sbiNorm), Tolerances.GradNormRel, $"{norm:G6} vs sbi {sbiNorm:G6}"),
            CaseResult.Check(id, b.Origin, $"weights after 1 Adam step, max abs ({what})", worst, Tolerances.StepAbs,
                worstKey.Length > 0 ? $"worst: {worstKey}" : ""),
        };
    }
}
