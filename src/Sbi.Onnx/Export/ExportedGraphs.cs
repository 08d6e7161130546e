namespace Sbi.Onnx.Export;

/// <summary>The two graphs of one posterior package, serialised, with their interfaces.</summary>
public sealed record ExportedGraphs(
    byte[] SampleOnnx, IReadOnlyList<TensorSpec> SampleInputs, TensorSpec SampleOutput,
    byte[] LogProbOnnx, IReadOnlyList<TensorSpec> LogProbInputs, TensorSpec LogProbOutput,
    IReadOnlyDictionary<string, object> Notes);
