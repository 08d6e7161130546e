using Sbi.Numpy;
using Microsoft.ML.OnnxRuntime;

namespace Sbi.Onnx.Runtime;

/// <summary>
/// One ONNX Runtime session with float32 inputs and a single float32 output. Inputs and the output are
/// bound to caller-owned (pooled, preallocated) managed arrays through OrtValue views, so repeated calls
/// allocate no tensors. InferenceSession.Run is thread-safe; callers use separate buffers per thread.
/// </summary>
internal sealed class GraphRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly RunOptions _runOptions = new();

    /// <summary>A session over the graph <paramref name="onnx"/> (already read and checked); <paramref name="path"/> names it in errors.</summary>
    public GraphRunner(byte[] onnx, string path, SessionOptions options, IReadOnlyList<string> inputNames, string outputName)
    {
        _session = new InferenceSession(onnx, options);
        _inputNames = inputNames.ToArray();
        _outputNames = new[] { outputName };
        foreach (var n in _inputNames)
            if (!_session.InputMetadata.ContainsKey(n))
                throw new SbiDataException(null, $"Graph '{path}' has no input '{n}' (manifest and graph disagree).");
        if (!_session.OutputMetadata.ContainsKey(outputName))
            throw new SbiDataException(null, $"Graph '{path}' has no output '{outputName}'.");
    }

    /// <summary>Runs the graph; input i uses the first Π shapes[i] values of inputs[i].</summary>
    public void Run(float[][] inputs, long[][] shapes, float[] output, long[] outputShape)
    {
        var values = new OrtValue[inputs.Length];
        try
        {
            for (int i = 0; i < inputs.Length; i++)
                values[i] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(inputs[i], 0, (int)Count(shapes[i])), shapes[i]);
            using var outValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(output, 0, (int)Count(outputShape)), outputShape);
            _session.Run(_runOptions, _inputNames, values, _outputNames, new[] { outValue });
        }
        finally
        {
            foreach (var v in values) v?.Dispose();
        }
    }

    private static long Count(long[] shape)
    {
        long n = 1;
        foreach (var d in shape) n *= d;
        return n;
    }

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }
}
