using Sbi.Parity.Data;
using static TorchSharp.torch;

namespace Sbi.Parity.Checks;

/// <summary>
/// Case 0: the Sbi.Net estimator built from sbi's configuration has sbi's state dict: the same keys, dtypes and shapes,
/// the same trainable tensors and parameter count, and (MADE) the masks and degrees it recomputes from the
/// architecture equal sbi's stored ones. Exact: no tolerance.
/// </summary>
public static class StructureCheck
{
    public static IReadOnlyList<CaseResult> Run(string id, ArrayBundle b)
    {
        using var scope = NewDisposeScope();
        var ours = PosteriorNnRebuild(b);
        var sbis = b.WithPrefix("sd/");
        var sd = ours.state_dict();
        var missing = sbis.Keys.Except(sd.Keys).Concat(sd.Keys.Except(sbis.Keys)).ToList();
        var mismatched = sbis.Where(kv => sd.ContainsKey(kv.Key))
            .Where(kv => !sd[kv.Key].shape.SequenceEqual(kv.Value.Shape) || sd[kv.Key].dtype != kv.Value.ToTensor().dtype)
            .Select(kv => kv.Key).ToList();
        // Architecture-derived buffers (MADE masks and degrees) are not loaded here: they must already be sbi's.
        var derived = sbis.Keys.Where(k => (k.EndsWith(".mask", StringComparison.Ordinal) || k.EndsWith(".degrees", StringComparison.Ordinal)) && sd.ContainsKey(k))
            .Where(k => !sd[k].shape.SequenceEqual(sbis[k].Shape) || !sd[k].eq(sbis[k].ToTensor().to(sd[k].dtype)).all().item<bool>())
            .ToList();
        var trainable = ours.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToHashSet();
        var sbiTrainable = EstimatorLoader.TrainableKeys(b);
        var trainDiff = trainable.Except(sbiTrainable).Concat(sbiTrainable.Except(trainable)).ToList();
        long sbiCount = b.Json("config_json")["num_trainable_parameters"]!.GetValue<long>();
        long count = ours.NumTrainableParameters;
        ours.Dispose();
        return new[]
        {
            CaseResult.Check(id, b.Origin, "state-dict keys differing from sbi's", missing.Count, 0, missing.Count == 0 ? $"{sd.Count} keys" : $"e.g. {missing[0]}"),
            CaseResult.Check(id, b.Origin, "keys with another shape or dtype", mismatched.Count, 0, mismatched.Count == 0 ? "" : $"e.g. {mismatched[0]}"),
            CaseResult.Check(id, b.Origin, "recomputed masks/degrees differing from sbi's", derived.Count, 0, derived.Count == 0 ? "" : $"e.g. {derived[0]}"),
            CaseResult.Check(id, b.Origin, "trainable tensors differing from sbi's", trainDiff.Count, 0, trainDiff.Count == 0 ? $"{trainable.Count} tensors" : $"e.g. {trainDiff[0]}"),
            CaseResult.Check(id, b.Origin, "|trainable parameters − sbi's|", Math.Abs(count - sbiCount), 0, $"sbi {sbiCount}"),
        };
    }

    private static Sbi.Estimators.ConditionalDensityEstimator PosteriorNnRebuild(ArrayBundle b) =>
        Sbi.Estimators.PosteriorNn.Rebuild(EstimatorLoader.Config(b.Json("config_json"), b.Origin));
}
