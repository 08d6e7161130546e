using System.Globalization;
using Sbi.Data;
using Sbi.Numpy;
using static TorchSharp.torch;

namespace Sbi.Cli;

/// <summary>
/// A parsed observation option (--x, --x-o): a path to a .npy file (one row) or comma-separated values. The values
/// are parsed when the command line is; a file is checked before work starts and read by <see cref="Values"/>.
/// </summary>
internal sealed record XSpec(string Text, string Option, string? NpyPath, float[]? Inline)
{
    /// <summary>The help text shared by --x and --x-o.</summary>
    public const string Help = "comma-separated values (e.g. 0.5,0.5,0.5) or a .npy file holding one row";

    /// <summary>Parses the text; malformed values are a <see cref="FormatException"/> whose message names <paramref name="option"/>.</summary>
    public static XSpec Parse(string spec, string option)
    {
        if (spec.EndsWith(".npy", StringComparison.OrdinalIgnoreCase)) return new XSpec(spec, option, spec, null);
        var values = spec.Split(',').Select(p => float.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && float.IsFinite(f)
            ? f : throw new FormatException($"{option}: '{p}' is not a finite number (give a .npy path or comma-separated values)")).ToArray();
        return new XSpec(spec, option, null, values);
    }

    /// <summary>The observation as plain floats (a .npy file is read now).</summary>
    public float[] Values()
    {
        if (Inline is not null) return Inline;
        var a = Npy.Read(NpyPath!);
        using var t = a.ToTensor().to(ScalarType.Float32);
        return t.reshape(-1).data<float>().ToArray();
    }

    /// <summary>
    /// The observation as a batch of one, shape (1, <paramref name="shape"/>…); a value count other than the product of
    /// <paramref name="shape"/> (the data's or the model's x shape) is a usage error naming the option.
    /// </summary>
    public Tensor ToTensor(long[] shape, string whose)
    {
        var v = Values();
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (v.Length != count)
            throw new UsageException($"{Option} has {v.Length} value(s), but {whose} x has {count} (shape ({string.Join(", ", shape)}))");
        using var flat = tensor(v);
        return flat.reshape([1, .. shape]);
    }
}
