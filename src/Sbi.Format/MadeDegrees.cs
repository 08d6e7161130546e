namespace Sbi.Format;

/// <summary>
/// nflows' sequential (non-random) MADE degree rules (nflows/nn/nde/made.py, <c>_get_input_degrees</c> and
/// <c>MaskedLinear._get_mask_and_degrees</c>): one definition for the TorchSharp modules and the ONNX exporter.
/// </summary>
public static class MadeDegrees
{
    /// <summary>Input degrees 1..D (feature i has degree i + 1).</summary>
    public static long[] Input(int features) => Enumerable.Range(1, features).Select(i => (long)i).ToArray();

    /// <summary>Hidden degrees: (j mod max(1, D − 1)) + min(1, D − 1).</summary>
    public static long[] Hidden(int outFeatures, int autoregressiveFeatures)
    {
        long max = Math.Max(1, autoregressiveFeatures - 1), min = Math.Min(1, autoregressiveFeatures - 1);
        return Enumerable.Range(0, outFeatures).Select(j => j % max + min).ToArray();
    }

    /// <summary>Output degrees: the input degrees, each repeated outFeatures / D times (outputs grouped per feature).</summary>
    public static long[] Output(int outFeatures, int autoregressiveFeatures) =>
        Input(autoregressiveFeatures).SelectMany(d => Enumerable.Repeat(d, outFeatures / autoregressiveFeatures)).ToArray();

    /// <summary>Whether unit (out) sees unit (in): hidden layers connect when out ≥ in, output layers when out &gt; in.</summary>
    public static bool Connected(long outDegree, long inDegree, bool isOutput) => isOutput ? outDegree > inDegree : outDegree >= inDegree;
}
