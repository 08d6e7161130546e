using System.Runtime.CompilerServices;
using Sbi.Nn;
using Sbi.Transforms;
using Sbi.Utils;
using static TorchSharp.torch;

namespace Sbi.Samplers.Vi;

/// <summary>
/// MAF sampling with gradients (reparameterised VI samples), degree-pruned: pass i of a MADE inverse only needs the
/// output rows 2i, 2i+1, which see the hidden units of degree ≤ i and the inputs 0..i−1; with the units sorted by degree
/// those are a prefix, so each pass multiplies narrow views of the masked weights (about 0.4 of nflows' D full passes'
/// arithmetic for D = 5). The same maths as nflows' inverse (<see cref="MaskedAffineAutoregressiveTransform.Inverse"/>)
/// up to float rounding (the masked zeros are left out of the sums), differentiable in the weights and the inputs —
/// the autograd counterpart of the no-gradient <c>MadeInverse</c>.
/// </summary>
internal static class PrunedMafInverse
{
    private sealed record Order(Tensor Units, long[] Prefix);

    private static readonly ConditionalWeakTable<Made, Order> Orders = new();

    /// <summary>
    /// The inverse of a MAF's composite transform (pointwise affine, MADE affine layers, permutations), or null for any
    /// other transform (the caller then uses the transform's own inverse).
    /// </summary>
    public static (Tensor Outputs, Tensor? LogAbsDet)? TryInverse(Transform transform, Tensor inputs, Tensor? context)
    {
        if (transform is not CompositeTransform composite) return null;
        var parts = composite.Transforms;
        if (!parts.All(t => t is RandomPermutation or PointwiseAffineTransform
                            || (t is MaskedAffineAutoregressiveTransform m && m.AutoregressiveNet.ActivationIsTanh
                                && m.AutoregressiveNet.Blocks.All(b => b.DropoutProbability == 0)))) return null;
        var outputs = inputs;
        var terms = new List<Tensor>();
        for (int k = parts.Count - 1; k >= 0; k--)
        {
            var (o, ld) = parts[k] is MaskedAffineAutoregressiveTransform maf ? Invert(maf.AutoregressiveNet, outputs, context) : parts[k].Inverse(outputs, context);
            outputs = o;
            if (ld is not null) terms.Add(ld);
        }
        return (outputs, terms.Count switch { 0 => null, 1 => terms[0], _ => stack(terms, 0).sum(dim: 0) });
    }

    private static (Tensor Outputs, Tensor? LogAbsDet) Invert(Made made, Tensor y, Tensor? context)
    {
        int d = made.Features;
        long n = y.shape[0];
        var order = Orders.GetValue(made, MakeOrder);
        var layers = made.MaskedLayers.ToList();
        Tensor Masked(MaskedLinear l) => l.Premasked ? l.Weight : l.Weight * l.Mask;
        var w0 = Masked(layers[0]).index_select(0, order.Units);
        var b0 = layers[0].Bias.index_select(0, order.Units);
        var blocks = layers.Skip(1).Take(layers.Count - 2)
                           .Select(l => (W: Masked(l).index_select(0, order.Units).index_select(1, order.Units), B: l.Bias.index_select(0, order.Units))).ToList();
        var wf = Masked(layers[^1]).index_select(1, order.Units);
        var bf = layers[^1].Bias;
        var ctx = made.ContextTerm(context)?.index_select(1, order.Units);
        var columns = new List<Tensor>(d);
        var logScales = new List<Tensor>(d);
        for (int i = 0; i < d; i++)
        {
            long k = order.Prefix[i];
            Tensor ut;
            if (k == 0) ut = bf.narrow(0, 2 * i, 2).expand(n, 2);   // no hidden unit sees inputs before i: bias only
            else
            {
                var previous = i == 1 ? columns[0] : cat(columns, 1);
                var h = nn.functional.linear(previous, w0.narrow(0, 0, k).narrow(1, 0, i), b0.narrow(0, 0, k));
                if (ctx is not null) h = h.Plus(ctx.narrow(1, 0, k));
                h = h.tanh();
                foreach (var (w, b) in blocks) h = nn.functional.linear(h, w.narrow(0, 0, k).narrow(1, 0, k), b.narrow(0, 0, k)).tanh();
                ut = nn.functional.linear(h, wf.narrow(0, 2 * i, 2).narrow(1, 0, k), bf.narrow(0, 2 * i, 2));
            }
            var scale = Scalars.Softplus(ut.select(1, 0)).Plus(Scalars.Of(EstimatorConstants.MafMinScale));
            columns.Add(((y.select(1, i) - ut.select(1, 1)) / scale).unsqueeze(1));
            logScales.Add(scale.log());
        }
        return (cat(columns, 1), -stack(logScales, 1).sum(-1));
    }

    private static Order MakeOrder(Made made)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var degrees = made.MaskedLayers.First().Degrees;
        var units = degrees.sort(0, false, true).Indices;
        var sorted = degrees.index_select(0, units).data<long>().ToArray();
        var prefix = Enumerable.Range(0, made.Features).Select(i => (long)sorted.Count(v => v <= i)).ToArray();
        return new Order(units.DetachFromDisposeScope(), prefix);
    }
}
