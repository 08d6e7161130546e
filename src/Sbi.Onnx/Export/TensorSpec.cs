using Sbi.Onnx.Model;

namespace Sbi.Onnx.Export;

/// <summary>
/// A graph input or output as recorded in the manifest. <see cref="Shape"/> entries are symbolic names
/// ("B", "S", "N": dynamic) or fixed sizes. <see cref="Role"/> tells the runtime what to feed:
/// "x" (observation rows), "standard_normal" (i.i.d. N(0,1) noise), "uniform" (i.i.d. U[0,1)),
/// "theta" (parameters), or "output".
/// </summary>
public sealed record TensorSpec(string Name, string Role, IReadOnlyList<object> Shape)
{
    /// <summary>The size of the last (event) axis; all our tensors have a fixed last axis.</summary>
    public int EventSize => Shape[^1] is int i ? i : Shape[^1] is long l ? (int)l : throw new InvalidOperationException($"{Name} has a symbolic last axis.");
}
