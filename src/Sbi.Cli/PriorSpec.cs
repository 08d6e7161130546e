using System.Globalization;
using Sbi.Distributions;
using static TorchSharp.torch;

namespace Sbi.Cli;

/// <summary>
/// A parsed --prior: "box:LOW,HIGH" (same bounds in every dimension), "box:L1;L2;…,H1;H2;…" (per dimension),
/// "normal" (N(0, I)) or "normal:MEAN,STD" (isotropic). <see cref="Parse"/> checks the text when the command line is
/// parsed; <see cref="Build"/> checks the dimension once the data's θ is known.
/// </summary>
internal sealed record PriorSpec(string Text, bool IsBox, float[] First, float[] Second)
{
    /// <summary>The help text of --prior.</summary>
    public const string Help = "prior over θ: box:LOW,HIGH | box:L1;L2;…,H1;H2;… (per dimension) | normal | normal:MEAN,STD";

    /// <summary>Parses the text; a malformed one is a <see cref="FormatException"/> whose message names --prior.</summary>
    public static PriorSpec Parse(string spec)
    {
        int colon = spec.IndexOf(':');
        var (kind, args) = colon >= 0 ? (spec[..colon], spec[(colon + 1)..]) : (spec, "");
        var parts = args.Length == 0 ? Array.Empty<string>() : args.Split(',');
        switch (kind.ToLowerInvariant())
        {
            case "box":
                if (parts.Length != 2) throw new FormatException($"--prior box needs LOW,HIGH (e.g. box:-2,2); got '{spec}'");
                var low = Values(parts[0], spec);
                var high = Values(parts[1], spec);
                if (low.Length != high.Length && low.Length != 1 && high.Length != 1)
                    throw new FormatException($"--prior '{spec}': {low.Length} lower and {high.Length} upper bounds");
                int n = Math.Max(low.Length, high.Length);
                for (int i = 0; i < n; i++)
                {
                    float l = low[low.Length == 1 ? 0 : i], h = high[high.Length == 1 ? 0 : i];
                    if (!(l < h)) throw new FormatException($"--prior '{spec}': the lower bound {l} is not below the upper bound {h} (dimension {i + 1})");
                }
                return new PriorSpec(spec, true, low, high);
            case "normal":
                if (parts.Length is not (0 or 2)) throw new FormatException($"--prior normal takes nothing or MEAN,STD; got '{spec}'");
                var mean = parts.Length == 0 ? new[] { 0f } : Values(parts[0], spec);
                var std = parts.Length == 0 ? new[] { 1f } : Values(parts[1], spec);
                if (std.Any(s => !(s > 0))) throw new FormatException($"--prior '{spec}': every STD must be positive");
                return new PriorSpec(spec, false, mean, std);
            default:
                throw new FormatException($"--prior must be box:LOW,HIGH or normal[:MEAN,STD]; got '{spec}'");
        }
    }

    /// <summary>The prior for a <paramref name="dim"/>-dimensional θ; per-dimension values must number <paramref name="dim"/>.</summary>
    public IDistribution Build(int dim)
    {
        var a = Expand(First, dim);
        var b = Expand(Second, dim);
        if (IsBox) return new BoxUniform(a, b);
        using var m = tensor(a);
        using var s = tensor(b);
        using var variance = s.square();
        using var cov = diag(variance);
        return new MultivariateNormal(m, cov);
    }

    private float[] Expand(float[] v, int dim)
    {
        if (v.Length == 1) return Enumerable.Repeat(v[0], dim).ToArray();
        if (v.Length != dim) throw new UsageException($"--prior '{Text}': {v.Length} values for the data's {dim}-dimensional θ");
        return v;
    }

    private static float[] Values(string s, string spec) =>
        s.Split(';').Select(p => float.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && float.IsFinite(f)
            ? f : throw new FormatException($"--prior '{spec}': '{p}' is not a finite number")).ToArray();
}
