using System.Globalization;
using Sbi.Distributions;
using static TorchSharp.torch;

namespace Sbi.Cli;

/// <summary>
/// Parses --prior: "box:LOW,HIGH" (same bounds in every dimension), "box:L1;L2;…,H1;H2;…" (per dimension),
/// "normal" (N(0, I)) or "normal:MEAN,STD" (isotropic).
/// </summary>
internal static class PriorSpec
{
    public static IDistribution Parse(string spec, int dim)
    {
        var (kind, args) = spec.Contains(':') ? (spec[..spec.IndexOf(':')], spec[(spec.IndexOf(':') + 1)..]) : (spec, "");
        var parts = args.Length == 0 ? Array.Empty<string>() : args.Split(',');
        switch (kind.ToLowerInvariant())
        {
            case "box":
                if (parts.Length != 2) throw new CliException($"--prior box needs LOW,HIGH (e.g. box:-2,2); got '{spec}'");
                return new BoxUniform(Values(parts[0], dim, spec), Values(parts[1], dim, spec));
            case "normal":
                if (parts.Length is not (0 or 2)) throw new CliException($"--prior normal takes nothing or MEAN,STD; got '{spec}'");
                var mean = parts.Length == 0 ? new float[dim] : Values(parts[0], dim, spec);
                var std = parts.Length == 0 ? Enumerable.Repeat(1f, dim).ToArray() : Values(parts[1], dim, spec);
                using (var m = tensor(mean))
                using (var cov = diag(tensor(std).pow(2)))
                    return new MultivariateNormal(m, cov);
            default:
                throw new CliException($"--prior must be box:LOW,HIGH or normal[:MEAN,STD]; got '{spec}'");
        }
    }

    private static float[] Values(string s, int dim, string spec)
    {
        var v = s.Split(';').Select(p => float.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var f)
            ? f : throw new CliException($"--prior '{spec}': '{p}' is not a number")).ToArray();
        if (v.Length == 1) return Enumerable.Repeat(v[0], dim).ToArray();
        if (v.Length != dim) throw new CliException($"--prior '{spec}': {v.Length} values for a {dim}-dimensional θ");
        return v;
    }
}
