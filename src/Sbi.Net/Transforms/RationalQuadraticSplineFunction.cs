using Sbi.Utils;
using TorchSharp;
using static TorchSharp.torch;

namespace Sbi.Transforms;

/// <summary>
/// The forward rational-quadratic spline (<see cref="RationalQuadraticSpline.ApplyPacked"/>) as one custom autograd
/// function with an analytic backward. Training an NSF spends most of its time in the spline's ~60 small tensor ops and
/// their ~60 autograd nodes; here the forward runs the same ops without recording a graph (identical values), and the
/// backward computes the gradients with respect to the inputs and the packed parameters directly: the chain rule through
/// the rational-quadratic formula, the bin gather (a scatter-add), the cumulative knot sums (a product with a
/// triangular 0/1 matrix), the softmax and the softplus.
/// Arguments of <c>apply</c>: inputs (S), parameters (S, 3K − 1), K, tail bound, width/height divisor, min bin width,
/// min bin height, min derivative. Outputs: spline outputs (S) and log|dy/dx| (S). First-order gradients only (the
/// backward is not itself differentiable), which is all training and MAP need.
/// </summary>
internal sealed class RationalQuadraticSplineFunction : autograd.MultiTensorFunction<RationalQuadraticSplineFunction>
{
    /// <inheritdoc/>
    public override string Name => nameof(RationalQuadraticSplineFunction);

    /// <inheritdoc/>
    public override List<Tensor> forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var inputs = (Tensor)vars[0];
        var parameters = (Tensor)vars[1];
        int k = (int)vars[2];
        double tailBound = (double)vars[3], divisor = (double)vars[4];
        double minW = (double)vars[5], minH = (double)vars[6], minD = (double)vars[7];
        var saved = new List<Tensor>();
        var (outputs, logAbsDet) = RationalQuadraticSpline.Evaluate(inputs, parameters, k, false, tailBound, divisor, minW, minH, minD, saved);
        ctx.save_for_backward(saved);
        ctx.save_data("k", k);
        ctx.save_data("tailBound", tailBound);
        ctx.save_data("divisor", divisor);
        ctx.save_data("minW", minW);
        ctx.save_data("minH", minH);
        return new List<Tensor> { outputs, logAbsDet };
    }

    /// <inheritdoc/>
    public override List<Tensor> backward(autograd.AutogradContext ctx, List<Tensor> gradOutputs)
    {
        using var scope = NewDisposeScope();
        var v = ctx.get_saved_variables();
        Tensor inside = v[0], xi = v[1], xi1m = v[2], t = v[3], s = v[4], h = v[5], w = v[6], d0 = v[7], d1 = v[8],
               dSum = v[9], den = v[10], a = v[11], bracket = v[12], bin = v[13], probabilities = v[14], rawDerivatives = v[15];
        int k = (int)ctx.get_data("k");
        double tailBound = (double)ctx.get_data("tailBound"), divisor = (double)ctx.get_data("divisor");
        double minW = (double)ctx.get_data("minW"), minH = (double)ctx.get_data("minH");
        var lead = probabilities.shape[..^2];

        var gOut = gradOutputs[0];
        var gLd = gradOutputs[1];
        var insideF = inside.to(gOut.dtype);
        var gy = gOut * insideF;      // the spline branch; outside [−B, B] the identity takes the gradient
        var gl = gLd * insideF;

        // y = y0 + h·a/den with a = s ξ² + d0 t, den = s + Δ t, Δ = d0 + d1 − 2s, t = ξ(1 − ξ);
        // log|dy/dx| = 2 log s + log(bracket) − 2 log den with bracket = d1 ξ² + 2 s t + d0 (1 − ξ)².
        var invDen = den.reciprocal();
        var invBracket = bracket.reciprocal();
        var hOverDen = h * invDen;
        var hAOverDen2 = hOverDen * a * invDen;
        var oneMinus2Xi = xi1m - xi;
        var two = Scalars.Of(2);
        var oneMinus2T = (two * t).SubtractedFrom(Scalars.Of(1));
        var twoTOverDen = two * t * invDen;
        var gXi = (gy * (hOverDen * (two * s * xi).Plus(d0 * oneMinus2Xi) - hAOverDen2 * dSum * oneMinus2Xi))
                .Plus(gl * (((two * d1 * xi).Plus(two * s * oneMinus2Xi) - two * d0 * xi1m) * invBracket - two * dSum * oneMinus2Xi * invDen));
        var gS = (gy * (hOverDen * xi.Squared() - hAOverDen2 * oneMinus2T))
               .Plus(gl * ((two * s.reciprocal()).Plus(two * t * invBracket) - two * oneMinus2T * invDen));
        var gD0 = (gy * (hOverDen - hAOverDen2) * t).Plus(gl * (xi1m.Squared() * invBracket - twoTOverDen));
        var gD1 = (-gy * hAOverDen2 * t).Plus(gl * (xi.Squared() * invBracket - twoTOverDen));
        // ξ = (x − x0)/w, s = h/w, w = x1 − x0, h = y1 − y0.
        var invW = w.reciprocal();
        var gX = gXi * invW;
        var gW = -(gXi * xi).Plus(gS * s) * invW;
        var gH = (gy * a * invDen).Plus(gS * invW);
        var picked = stack(new[] { -gX - gW, gW, gy - gH, gH, gD0, gD1 }, -1).view(lead.Append(3L).Append(2L).ToArray());
        var index = bin.Plus(tensor(new long[] { 0, 1 }, device: bin.device)).unsqueeze(-2).expand(lead.Append(3L).Append(2L).ToArray());
        var gTable = zeros(lead.Append(3L).Append((long)k + 1).ToArray(), dtype: gOut.dtype, device: gOut.device)
            .scatter_add_(-1, index, picked);

        // Interior knots 2B·cumsum(frac)[j], j < K − 1 (the end knots are constants): d/dfrac_i = 2B Σ_{j ≥ i} g_j.
        var gInterior = gTable.narrow(-2, 0, 2).narrow(-1, 1, k - 1) * Scalars.Of(2 * tailBound);
        var triangle = ones(new long[] { k - 1, k }, dtype: gOut.dtype, device: gOut.device).tril_();
        var gFrac = gInterior.matmul(triangle);                                           // (S, 2, K)
        gFrac = minW == minH
            ? gFrac * Scalars.Of(1 - minW * k)
            : gFrac * tensor(new[] { 1 - minW * k, 1 - minH * k }).view(2, 1).to(gOut.dtype, gOut.device);
        // softmax backward, then the division by the divisor.
        var gLogits = probabilities * (gFrac - (gFrac * probabilities).sum(-1, keepdim: true));
        if (divisor != 1.0) gLogits = gLogits / Scalars.Of(divisor);
        // d = m + softplus(u): d/du = sigmoid(u) (interior knots only; the boundary derivatives are constants).
        var gDerivatives = gTable.select(-2, 2).narrow(-1, 1, k - 1) * sigmoid(rawDerivatives);
        var gParameters = cat(new[] { gLogits.reshape(lead.Append(2L * k).ToArray()), gDerivatives }, -1);
        var gInputs = gX.Plus(gOut * insideF.SubtractedFrom(Scalars.Of(1)));
        return new List<Tensor> { gInputs.MoveToOuterDisposeScope(), gParameters.MoveToOuterDisposeScope(), null!, null!, null!, null!, null!, null! };
    }
}
