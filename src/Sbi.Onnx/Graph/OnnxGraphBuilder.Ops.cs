using Sbi.Onnx.Proto;

namespace Sbi.Onnx.Graph;

/// <summary>Typed helpers for the ONNX operators (opset 17) that the exporters use.</summary>
public sealed partial class OnnxGraphBuilder
{
    public static AttributeProto AttrInt(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto AttrFloat(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto AttrInts(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public string Add(string a, string b) => Op("Add", a, b);
    public string Sub(string a, string b) => Op("Sub", a, b);
    public string Mul(string a, string b) => Op("Mul", a, b);
    public string Div(string a, string b) => Op("Div", a, b);
    public string MatMul(string a, string b) => Op("MatMul", a, b);
    public string Neg(string a) => Op("Neg", a);
    public string Tanh(string a) => Op("Tanh", a);
    public string Relu(string a) => Op("Relu", a);
    public string Sigmoid(string a) => Op("Sigmoid", a);
    public string Exp(string a) => Op("Exp", a);
    public string Log(string a) => Op("Log", a);
    public string Sqrt(string a) => Op("Sqrt", a);
    public string Max(string a, string b) => Op("Max", a, b);
    public string Min(string a, string b) => Op("Min", a, b);
    public string Where(string cond, string a, string b) => Op("Where", cond, a, b);
    public string GreaterOrEqual(string a, string b) => Op("GreaterOrEqual", a, b);
    public string LessOrEqual(string a, string b) => Op("LessOrEqual", a, b);
    public string And(string a, string b) => Op("And", a, b);
    public string Shape(string a) => Op("Shape", a);
    public string Expand(string a, string shape) => Op("Expand", a, shape);
    public string Transpose(string a, params long[] perm) => OpA("Transpose", new[] { a }, AttrInts("perm", perm));

    /// <summary>softplus(v) = log(1 + exp(v)). ONNX Runtime evaluates it as x + log1p(exp(-x)) / log1p(exp(x)),
    /// so it neither overflows nor loses the far negative tail; a unit test pins this against float64.</summary>
    public string Softplus(string a) => Op("Softplus", a);

    /// <summary>Cast to float32 (ONNX TensorProto.FLOAT = 1).</summary>
    public string CastFloat(string a) => OpA("Cast", new[] { a }, AttrInt("to", (long)TensorProto.Types.DataType.Float));

    /// <summary>Cast to int64.</summary>
    public string CastInt64(string a) => OpA("Cast", new[] { a }, AttrInt("to", (long)TensorProto.Types.DataType.Int64));

    public string Concat(long axis, params string[] inputs) => OpA("Concat", inputs, AttrInt("axis", axis));

    /// <summary>Slice along one axis, [start, end).</summary>
    public string Slice(string x, long axis, long start, long end) =>
        Op("Slice", x, Ints(start), Ints(end), Ints(axis));

    /// <summary>Gather along <paramref name="axis"/> with constant indices.</summary>
    public string GatherConst(string x, long axis, params long[] indices) =>
        OpA("Gather", new[] { x, Ints(indices) }, AttrInt("axis", axis));

    public string GatherElements(string data, string indices, long axis) =>
        OpA("GatherElements", new[] { data, indices }, AttrInt("axis", axis));

    public string Unsqueeze(string x, params long[] axes) => Op("Unsqueeze", x, Ints(axes));
    public string Squeeze(string x, params long[] axes) => Op("Squeeze", x, Ints(axes));
    public string Reshape(string x, params long[] shape) => Op("Reshape", x, Ints(shape));

    public string ReduceSum(string x, long axis, bool keepDims) =>
        OpA("ReduceSum", new[] { x, Ints(axis) }, AttrInt("keepdims", keepDims ? 1 : 0));

    public string ReduceMax(string x, long axis, bool keepDims) =>
        OpA("ReduceMax", new[] { x }, AttrInts("axes", axis), AttrInt("keepdims", keepDims ? 1 : 0));

    public string Softmax(string x, long axis) => OpA("Softmax", new[] { x }, AttrInt("axis", axis));
    public string LogSoftmax(string x, long axis) => OpA("LogSoftmax", new[] { x }, AttrInt("axis", axis));
    public string CumSum(string x, long axis) => Op("CumSum", x, ConstInt64(new[] { axis }, Array.Empty<long>(), "axis"));

    /// <summary>Clip to [lo, hi] (float scalars).</summary>
    public string Clip(string x, float lo, float hi) => Op("Clip", x, Scalar(lo), Scalar(hi));

    /// <summary>log Σ exp along <paramref name="axis"/>, shifted by the maximum for stability (keepdims = 0).</summary>
    public string LogSumExp(string x, long axis)
    {
        var m = ReduceMax(x, axis, keepDims: true);
        var s = ReduceSum(Exp(Sub(x, m)), axis, keepDims: true);
        return Squeeze(Add(Log(s), m), axis);
    }

    /// <summary>y = x Wᵀ + b for a PyTorch-layout weight W (out × in, row-major). x has any leading dims.</summary>
    public string Linear(string x, float[] weight, int outFeatures, int inFeatures, float[]? bias, string hint = "lin")
    {
        var wt = new float[inFeatures * outFeatures];
        for (int o = 0; o < outFeatures; o++)
            for (int i = 0; i < inFeatures; i++)
                wt[i * outFeatures + o] = weight[o * inFeatures + i];
        var y = MatMul(x, Const(wt, new long[] { inFeatures, outFeatures }, hint + "_wT"));
        return bias == null ? y : Add(y, Const(bias, new long[] { outFeatures }, hint + "_b"));
    }

    /// <summary>A float constant of the given shape.</summary>
    public string Vector(float[] values, string hint = "v") => Const(values, new long[] { values.Length }, hint);
}
