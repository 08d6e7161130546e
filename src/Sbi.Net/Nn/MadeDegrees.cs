using static TorchSharp.torch;

namespace Sbi.Nn;

/// <summary>nflows' sequential (non-random) MADE degree and mask rules.</summary>
public static class MadeDegrees
{
    /// <summary>Input degrees 1..D (feature i has degree i + 1).</summary>
    public static Tensor Input(int features) => arange(1, features + 1, dtype: ScalarType.Int64);

    /// <summary>Hidden degrees: (j mod max(1, D−1)) + min(1, D−1).</summary>
    public static Tensor Hidden(int outFeatures, int autoregressiveFeatures)
    {
        long max = Math.Max(1, autoregressiveFeatures - 1), min = Math.Min(1, autoregressiveFeatures - 1);
        using var scope = NewDisposeScope();
        return (arange(outFeatures, dtype: ScalarType.Int64) % max + min).MoveToOuterDisposeScope();
    }

    /// <summary>Output degrees: the input degrees, each repeated outFeatures / D times (outputs grouped per feature).</summary>
    public static Tensor Output(int outFeatures, int autoregressiveFeatures)
    {
        using var scope = NewDisposeScope();
        return Input(autoregressiveFeatures).repeat_interleave(outFeatures / autoregressiveFeatures).MoveToOuterDisposeScope();
    }

    /// <summary>Mask (out, in): hidden layers connect when out ≥ in; output layers when out &gt; in (strict).</summary>
    public static Tensor Mask(Tensor outDegrees, Tensor inDegrees, bool isOutput)
    {
        using var scope = NewDisposeScope();
        var o = outDegrees.unsqueeze(1);
        var m = isOutput ? o > inDegrees : o >= inDegrees;
        return m.to(ScalarType.Float32).MoveToOuterDisposeScope();
    }
}
