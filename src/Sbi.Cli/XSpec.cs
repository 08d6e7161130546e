using System.Globalization;
using Sbi.Data;
using Sbi.Numpy;
using static TorchSharp.torch;

namespace Sbi.Cli;

/// <summary>Parses an observation: a path to a .npy file (one row) or comma-separated values.</summary>
internal static class XSpec
{
    /// <summary>The observation as plain floats (for ONNX Runtime).</summary>
    public static float[] ParseValues(string spec, string option)
    {
        using var t = Parse(spec, option);
        return t.reshape(-1).data<float>().ToArray();
    }

    public static Tensor Parse(string spec, string option)
    {
        if (spec.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            var a = Npy.Read(spec);
            var t = a.ToTensor().to(ScalarType.Float32);
            return t.reshape(1, -1);
        }
        var values = spec.Split(',').Select(p => float.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var f)
            ? f : throw new CliException($"{option}: '{p}' is not a number (give a .npy path or comma-separated values)")).ToArray();
        return tensor(values).unsqueeze(0);
    }
}
