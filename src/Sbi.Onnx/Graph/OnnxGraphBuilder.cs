using System.Runtime.InteropServices;
using Google.Protobuf;
using Sbi.Onnx.Proto;

namespace Sbi.Onnx.Graph;

/// <summary>
/// Builds one ONNX graph in memory: named inputs and outputs, constant initializers and nodes.
/// Tensor names are generated ("hint_N") so that exporters can chain ops without bookkeeping.
/// Op-specific helpers live in <c>OnnxGraphBuilder.Ops.cs</c>.
/// </summary>
public sealed partial class OnnxGraphBuilder
{
    /// <summary>ONNX IR version written (IR 10 = ONNX 1.16; ONNX Runtime 1.31 reads IR 7-13).</summary>
    public const long IrVersion = 10;

    /// <summary>Default-domain opset written. 17 keeps the axes of ReduceMax/ReduceLogSumExp as attributes.</summary>
    public const long Opset = 17;

    private readonly GraphProto _graph;
    private readonly Dictionary<string, int> _nameCounts = new();
    private readonly Dictionary<string, string> _scalarCache = new();

    public OnnxGraphBuilder(string graphName)
    {
        _graph = new GraphProto { Name = graphName };
    }

    /// <summary>Number of nodes added so far (for diagnostics and tests).</summary>
    public int NodeCount => _graph.Node.Count;

    /// <summary>A fresh tensor name derived from <paramref name="hint"/>.</summary>
    public string NewName(string hint)
    {
        _nameCounts.TryGetValue(hint, out int n);
        _nameCounts[hint] = n + 1;
        return n == 0 ? hint : $"{hint}_{n}";
    }

    /// <summary>Declares a graph input. A dimension is a <see cref="long"/> (fixed) or a <see cref="string"/> (symbolic, e.g. "B").</summary>
    public string Input(string name, TensorProto.Types.DataType type, params object[] dims)
    {
        Reserve(name);
        _graph.Input.Add(ValueInfo(name, type, dims));
        return name;
    }

    /// <summary>Declares a graph output, renaming <paramref name="tensor"/> to <paramref name="name"/> through an Identity node.</summary>
    public void Output(string tensor, string name, TensorProto.Types.DataType type, params object[] dims)
    {
        Reserve(name);
        AddNode("Identity", new[] { tensor }, new[] { name });
        _graph.Output.Add(ValueInfo(name, type, dims));
    }

    /// <summary>Adds a float32 initializer.</summary>
    public string Const(float[] data, long[] dims, string hint = "w")
    {
        CheckCount(data.Length, dims);
        var t = new TensorProto { Name = NewName(hint), DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        t.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data.AsSpan()));
        _graph.Initializer.Add(t);
        return t.Name;
    }

    /// <summary>Adds an int64 initializer.</summary>
    public string ConstInt64(long[] data, long[] dims, string hint = "i")
    {
        CheckCount(data.Length, dims);
        var t = new TensorProto { Name = NewName(hint), DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.AddRange(dims);
        t.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data.AsSpan()));
        _graph.Initializer.Add(t);
        return t.Name;
    }

    /// <summary>A 1-D int64 constant (shapes, axes, indices).</summary>
    public string Ints(params long[] values) => ConstInt64(values, new long[] { values.Length }, "ints");

    /// <summary>A float32 scalar constant (0-d), shared between uses of the same value.</summary>
    public string Scalar(float value)
    {
        string key = "f" + BitConverter.SingleToInt32Bits(value).ToString("x8");
        if (!_scalarCache.TryGetValue(key, out var name))
        {
            name = Const(new[] { value }, Array.Empty<long>(), "c");
            _scalarCache[key] = name;
        }
        return name;
    }

    /// <summary>Adds a node with generated output names and returns them.</summary>
    public string[] Node(string opType, string[] inputs, int outputs = 1, params AttributeProto[] attributes)
    {
        var outs = new string[outputs];
        for (int i = 0; i < outputs; i++) outs[i] = NewName(opType.ToLowerInvariant());
        AddNode(opType, inputs, outs, attributes);
        return outs;
    }

    /// <summary>Adds a single-output node and returns its output name.</summary>
    public string Op(string opType, params string[] inputs) => Node(opType, inputs)[0];

    /// <summary>Adds a single-output node with attributes.</summary>
    public string OpA(string opType, string[] inputs, params AttributeProto[] attributes) => Node(opType, inputs, 1, attributes)[0];

    /// <summary>Wraps the graph in a model with this project's IR version and opset.</summary>
    public ModelProto ToModel(string docString, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "Sbi.Onnx",
            ProducerVersion = typeof(OnnxGraphBuilder).Assembly.GetName().Version?.ToString() ?? "0",
            ModelVersion = 1,
            DocString = docString,
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        if (metadata != null)
            foreach (var kv in metadata)
                model.MetadataProps.Add(new StringStringEntryProto { Key = kv.Key, Value = kv.Value });
        return model;
    }

    /// <summary>Serialises the model to bytes (protobuf wire format).</summary>
    public byte[] ToBytes(string docString, IReadOnlyDictionary<string, string>? metadata = null) =>
        ToModel(docString, metadata).ToByteArray();

    private void AddNode(string opType, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = NewName("n_" + opType) };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
    }

    private void Reserve(string name)
    {
        if (_nameCounts.ContainsKey(name)) throw new InvalidOperationException($"Tensor name '{name}' is already used.");
        _nameCounts[name] = 1;
    }

    private static void CheckCount(int count, long[] dims)
    {
        long n = 1;
        foreach (var d in dims) n *= d;
        if (n != count) throw new ArgumentException($"Initializer has {count} values but shape [{string.Join(",", dims)}] holds {n}.");
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d switch
            {
                string s => new TensorShapeProto.Types.Dimension { DimParam = s },
                int i => new TensorShapeProto.Types.Dimension { DimValue = i },
                long l => new TensorShapeProto.Types.Dimension { DimValue = l },
                _ => throw new ArgumentException($"Dimension {d} must be int, long or string."),
            });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}
