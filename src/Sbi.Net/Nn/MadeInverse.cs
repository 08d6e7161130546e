using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Nn;

/// <summary>
/// Degree-pruned inverse of a sequential-mask MADE affine layer (MAF sampling). Pass i only needs output rows
/// 2i, 2i+1, which see hidden units of degree ≤ i and inputs 0..i−1. Sorting the hidden units by degree (a free
/// re-ordering) makes those units a prefix, so each pass multiplies narrow views of the masked weights: about
/// (D−1)/3 full hidden layers of work instead of D for nflows' D full passes. Same arithmetic per unit, so results
/// equal nflows' to float rounding of the (reordered) sums. Without gradients only.
/// </summary>
internal sealed class MadeInverse : IDisposable
{
    private readonly int _d;
    private readonly long[] _prefix;        // _prefix[i] = number of hidden units with degree ≤ i
    private readonly Tensor _w0, _b0, _wf, _bf;
    private readonly Tensor? _wc, _bc;
    private readonly (Tensor W, Tensor B)[] _blocks;
    private readonly Func<Tensor, Tensor> _activation;

    public MadeInverse(Made made, IReadOnlyList<(Tensor W, Tensor B)> maskedLayers, (Tensor W, Tensor B)? context, Func<Tensor, Tensor> activation)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        _d = made.Features;
        _activation = activation;
        var degrees = made.MaskedLayers.First().Degrees;
        var order = degrees.sort(0, false, true).Indices;
        var sorted = degrees.index_select(0, order);
        _prefix = Enumerable.Range(0, _d).Select(i => sorted.le(Scalars.Of(i)).sum().item<long>()).ToArray();
        (_w0, _b0) = (Keep(maskedLayers[0].W.index_select(0, order)), Keep(maskedLayers[0].B.index_select(0, order)));
        _blocks = maskedLayers.Skip(1).Take(maskedLayers.Count - 2)
            .Select(l => (Keep(l.W.index_select(0, order).index_select(1, order)), Keep(l.B.index_select(0, order)))).ToArray();
        (_wf, _bf) = (Keep(maskedLayers[^1].W.index_select(1, order)), Keep(maskedLayers[^1].B.clone()));
        if (context is { } c) { _wc = Keep(c.W.index_select(0, order)); _bc = Keep(c.B.index_select(0, order)); }
    }

    private static Tensor Keep(Tensor t) => t.contiguous().DetachFromDisposeScope();

    /// <summary>Inverts y = s(x_&lt;i)·x + t(x_&lt;i); returns x and −Σ log s.</summary>
    public (Tensor Outputs, Tensor LogAbsDet) Invert(Tensor inputs, Tensor? context)
    {
        long n = inputs.shape[0];
        var outputs = zeros_like(inputs);
        var ctx = _wc is not null && context is not null ? _activation(nn.functional.linear(context, _wc, _bc)) : null;
        var logScales = new List<Tensor>(_d);
        for (int i = 0; i < _d; i++)
        {
            long k = _prefix[i];
            Tensor ut;
            if (k == 0)
                ut = _bf.narrow(0, 2 * i, 2).expand(n, 2);   // degree-1 feature: bias-only scale and shift
            else
            {
                var h = i == 0 ? _b0.narrow(0, 0, k).expand(n, k)
                               : nn.functional.linear(outputs.narrow(1, 0, i), _w0.narrow(0, 0, k).narrow(1, 0, i), _b0.narrow(0, 0, k));
                if (ctx is not null) h = h.Plus(ctx.narrow(1, 0, k));
                h = _activation(h);
                foreach (var (w, b) in _blocks)
                    h = _activation(nn.functional.linear(h, w.narrow(0, 0, k).narrow(1, 0, k), b.narrow(0, 0, k)));
                ut = nn.functional.linear(h, _wf.narrow(0, 2 * i, 2).narrow(1, 0, k), _bf.narrow(0, 2 * i, 2));
            }
            var scale = Scalars.Softplus(ut.select(1, 0)).Plus(Scalars.Of(EstimatorConstants.MafMinScale));
            outputs.select(1, i).copy_((inputs.select(1, i) - ut.select(1, 1)) / scale);
            logScales.Add(scale.log());
        }
        return (outputs, -stack(logScales, 1).sum(-1));
    }

    public void Dispose()
    {
        foreach (var t in new[] { _w0, _b0, _wf, _bf, _wc, _bc }) t?.Dispose();
        foreach (var (w, b) in _blocks) { w.Dispose(); b.Dispose(); }
    }
}
