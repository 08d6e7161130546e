using Google.Protobuf;
using Sbi.Onnx.Graph;
using Sbi.Onnx.Proto;

namespace Sbi.Onnx.Export;

/// <summary>
/// Joins graphs built separately (an estimator family's own graph and a few operations before or after it) into one
/// model: every tensor, initializer and node name of an added piece gets a prefix, so names can never collide, except
/// the names that connect the pieces, which are mapped explicitly. Nodes are concatenated in the order given (each piece
/// is already topologically sorted and consumes only what the earlier pieces produce).
/// </summary>
internal static class GraphSplice
{
    /// <summary>A piece: its builder's graph with inputs and outputs renamed by <paramref name="Connect"/> and every other name prefixed.</summary>
    public sealed record Piece(GraphProto Graph, string Prefix, IReadOnlyDictionary<string, string> Connect);

    /// <summary>The graph of a builder (through its serialised model).</summary>
    public static GraphProto GraphOf(OnnxGraphBuilder g) => g.ToModel("piece").Graph;

    /// <summary>The graph of serialised model bytes.</summary>
    public static ModelProto Parse(byte[] model) => ModelProto.Parser.ParseFrom(model);

    /// <summary>
    /// The model of <paramref name="main"/> (its opset, IR version and producer) with its graph replaced by the pieces'
    /// nodes and initializers in order, the graph inputs <paramref name="inputs"/> and outputs <paramref name="outputs"/>.
    /// </summary>
    public static byte[] Join(ModelProto main, string graphName, string docString, IEnumerable<Piece> pieces,
                              IEnumerable<ValueInfoProto> inputs, IEnumerable<ValueInfoProto> outputs)
    {
        var graph = new GraphProto { Name = graphName };
        foreach (var piece in pieces)
        {
            string Map(string name) => name.Length == 0 ? name : piece.Connect.TryGetValue(name, out var to) ? to : piece.Prefix + name;
            foreach (var init in piece.Graph.Initializer)
            {
                var copy = init.Clone();
                copy.Name = Map(init.Name);
                graph.Initializer.Add(copy);
            }
            foreach (var node in piece.Graph.Node)
            {
                var copy = node.Clone();
                copy.Name = piece.Prefix + node.Name;
                copy.Input.Clear();
                copy.Input.AddRange(node.Input.Select(Map));
                copy.Output.Clear();
                copy.Output.AddRange(node.Output.Select(Map));
                graph.Node.Add(copy);
            }
        }
        graph.Input.AddRange(inputs.Select(v => v.Clone()));
        graph.Output.AddRange(outputs.Select(v => v.Clone()));
        var model = main.Clone();
        model.Graph = graph;
        model.DocString = docString;
        return model.ToByteArray();
    }
}
