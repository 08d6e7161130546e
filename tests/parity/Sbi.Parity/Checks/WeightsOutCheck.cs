using Sbi.Data;
using Sbi.Numpy;
using Sbi.Estimators;
using Sbi.IO;
using Sbi.Parity.Data;
using Sbi.Testing;
using static TorchSharp.torch;

namespace Sbi.Parity.Checks;

/// <summary>
/// Case 7 (live only): weights out. A Sbi.Net estimator (default configuration, initial weights perturbed away from
/// the near-identity initialisation) is saved with <see cref="SbiStateDict.Save"/>; sbi builds its own estimator of
/// the same kind, loads the file with load_state_dict(strict=True) and evaluates it on the batch. sbi's log q must be
/// Sbi.Net's, in float64 and float32 (<see cref="FloatAgreement"/>).
/// </summary>
public static class WeightsOutCheck
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), $"sbi-parity-weights-{Environment.ProcessId}");

    /// <summary>Writes the Sbi.Net state dict and asks sbi to load and evaluate it (the live source of the case).</summary>
    public static ArrayBundle Request(ParitySources s, string kind, int d, int seed)
    {
        using var scope = NewDisposeScope();
        manual_seed(seed);
        var theta = randn(300, d);
        var x = theta.sum(1, keepdim: true).repeat(1, 3) + 0.1 * randn(300, 3);
        using var est = PosteriorNn.Build(kind)(theta, x);
        using (no_grad())
            foreach (var p in est.parameters()) p.add_(0.05 * randn_like(p));
        Directory.CreateDirectory(Root);
        var pt = Path.Combine(Root, $"{kind}_D{d}_{seed}.pt");
        SbiStateDict.Save(pt, est);
        return s.Live("weights_out", new { estimator = kind, state_dict = pt },
            new Dictionary<string, NpyArray> { ["theta"] = theta.ToNpy(), ["x"] = x.ToNpy() });
    }

    public static IReadOnlyList<CaseResult> Run(string id, ArrayBundle b)
    {
        using var scope = NewDisposeScope();
        string pt = b.Info["state_dict"]!.GetValue<string>();
        using var est = SbiStateDict.Load(pt);
        using var est64 = Float64.Convert(SbiStateDict.Load(pt));
        using var _ = no_grad();
        var theta = b.Tensor("theta");
        var x = b.Tensor("x");
        var a = FloatAgreement.Of(est.LogProbPaired(theta, x), est64.LogProbPaired(theta.D(), x.D()),
                                  b.Tensor("log_prob"), b.Tensor("f64/log_prob"), est.Config.HiddenFeatures);
        return CaseResult.Agreement(id, b.Origin, $"sbi's log q of Sbi.Net's saved weights ({theta.shape[0]} rows)", a).ToList();
    }
}
