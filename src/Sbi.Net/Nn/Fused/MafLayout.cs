using Sbi.Estimators;
using Sbi.Transforms;
using static TorchSharp.torch;

namespace Sbi.Nn.Fused;

/// <summary>
/// The shape of an sbi MAF as the fused CPU kernels need it: optional θ z-scoring, then T pairs of a tanh MADE
/// affine layer (with context, no dropout, equal sizes) and a permutation, over a standard-normal base.
/// </summary>
internal sealed class MafLayout
{
    /// <summary>nflows' MAF scale floor in float32 (the kernels' arithmetic).</summary>
    public const float MinScale = (float)EstimatorConstants.MafMinScale;

    public required int D, H, C, Blocks;
    /// <summary>θ z-scoring y = θ·scale + shift per feature (1 and 0 without z-scoring).</summary>
    public required float[] Scale, Shift;
    /// <summary>Σ log|scale|, the z-scoring's log|det J|.</summary>
    public required double LogScaleSum;
    public required IReadOnlyList<(Made Made, int[] Perm)> Layers;

    /// <summary>Reads the layout of a float32 CPU flow, or returns null with the reason it does not qualify.</summary>
    public static MafLayout? TryRead(Flow flow, out string reason)
    {
        reason = Check(flow);
        if (reason.Length > 0) return null;
        using var scope = NewDisposeScope();
        var ts = ((CompositeTransform)flow.Transform).Transforms;
        int start = ts[0] is PointwiseAffineTransform ? 1 : 0;
        var made0 = ((MaskedAffineAutoregressiveTransform)ts[start]).AutoregressiveNet;
        int d = made0.Features;
        var (scale, shift, logScaleSum) = KernelInputs.ThetaZScore(start == 1 ? (PointwiseAffineTransform)ts[0] : null, d);
        var layers = new List<(Made, int[])>();
        for (int i = start; i < ts.Count; i += 2)
            layers.Add((((MaskedAffineAutoregressiveTransform)ts[i]).AutoregressiveNet,
                        ((RandomPermutation)ts[i + 1]).Permutation.cpu().data<long>().ToArray().Select(v => (int)v).ToArray()));
        return new MafLayout
        {
            D = d, H = (int)made0.MaskedLayers.First().Weight.shape[0], C = (int)made0.ContextLayer!.weight!.shape[1],
            Blocks = made0.Blocks.Count, Scale = scale, Shift = shift,
            LogScaleSum = logScaleSum, Layers = layers,
        };
    }

    private static string Check(Flow flow)
    {
        if (FusedAvailability.Reason is { } unavailable) return unavailable;
        if (flow.Distribution is not StandardNormal) return "the base distribution is not a standard normal";
        if (flow.Transform is not CompositeTransform composite) return "the transform is not composite";
        var ts = composite.Transforms;
        int start = ts.Count > 0 && ts[0] is PointwiseAffineTransform ? 1 : 0;
        if (ts.Count == start || (ts.Count - start) % 2 != 0) return "the transforms are not [z-score] + pairs of MADE layer and permutation";
        int? d = null, h = null, c = null, blocks = null;
        for (int i = start; i < ts.Count; i += 2)
        {
            if (ts[i] is not MaskedAffineAutoregressiveTransform maf || ts[i + 1] is not RandomPermutation) return "a transform is not a MAF layer followed by a permutation";
            var made = maf.AutoregressiveNet;
            if (!made.ActivationIsTanh) return "the MADE activation is not tanh";
            if (made.ContextLayer is null) return "the MADE has no context";
            if (made.Blocks.Any(b => b.DropoutProbability > 0)) return "the MADE uses dropout";
            int hh = (int)made.MaskedLayers.First().Weight.shape[0], cc = (int)made.ContextLayer.weight!.shape[1];
            if ((d ?? made.Features) != made.Features || (h ?? hh) != hh || (c ?? cc) != cc || (blocks ?? made.Blocks.Count) != made.Blocks.Count)
                return "the MADE layers differ in shape";
            (d, h, c, blocks) = (made.Features, hh, cc, made.Blocks.Count);
        }
        return KernelInputs.CpuFloat32Reason(flow);
    }
}
