using System.CommandLine;
using System.Globalization;
using Sbi.Numpy;

namespace Sbi.Cli;

/// <summary>
/// The inputs of `plot pairplot` that are not plain options: --limits and --labels (parsed with the command line,
/// checked against the samples' dimension once they are read) and the sample and point files (.npy, read as doubles).
/// </summary>
internal static class PairPlotInputs
{
    /// <summary>--limits LO,HI (every dimension) or LO,HI;LO,HI;… (one pair per dimension), each LO &lt; HI, finite.</summary>
    public static Option<(double Lo, double Hi)[]?> Limits() =>
        new("--limits")
        {
            Description = "axis limits: LO,HI for every dimension or LO,HI;LO,HI;... one pair per dimension (default: the samples' range widened by 10 %, sbi's)",
            HelpName = "LO,HI[;LO,HI...]",
            CustomParser = r =>
            {
                var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
                var pairs = new List<(double, double)>();
                foreach (var part in text.Split(';'))
                {
                    var ends = part.Split(',');
                    if (ends.Length != 2 || !TryFinite(ends[0], out var lo) || !TryFinite(ends[1], out var hi))
                    {
                        r.AddError($"--limits must be LO,HI or LO,HI;LO,HI;... with finite numbers; got '{text}' ('{part}' is not LO,HI)");
                        return null;
                    }
                    if (!(lo < hi))
                    {
                        r.AddError($"--limits: each LO must be below its HI; got '{part}'");
                        return null;
                    }
                    pairs.Add((lo, hi));
                }
                return pairs.ToArray();
            },
        };

    /// <summary>--labels NAME,NAME,…: one name per dimension.</summary>
    public static Option<string[]?> Labels() =>
        new("--labels")
        {
            Description = "parameter names, comma-separated, one per dimension (default dim 1, dim 2, ...)",
            HelpName = "NAME,NAME,...",
            CustomParser = r =>
            {
                var names = (r.Tokens.Count > 0 ? r.Tokens[0].Value : "").Split(',');
                if (names.Any(string.IsNullOrWhiteSpace))
                {
                    r.AddError($"--labels must be non-empty names separated by commas; got '{r.Tokens[0].Value}'");
                    return null;
                }
                return names;
            },
        };

    /// <summary>Checks --limits and --labels against the samples' dimension <paramref name="dim"/> (a usage error naming the option).</summary>
    public static void CheckAgainst(int dim, (double, double)[]? limits, string[]? labels)
    {
        if (limits is not null && limits.Length != 1 && limits.Length != dim)
            throw new UsageException($"--limits has {limits.Length} pairs, but --samples has {dim} dimensions; give one pair for all or one per dimension");
        if (labels is not null && labels.Length != dim)
            throw new UsageException($"--labels has {labels.Length} name(s), but --samples has {dim} dimensions; give one name per dimension");
    }

    /// <summary>
    /// A .npy file of <paramref name="option"/> as rows: (n, D), or one row for a 1-D array when
    /// <paramref name="vectorIsRow"/> (a single reference point); a non-numeric array or another shape is a data error
    /// naming the option.
    /// </summary>
    public static double[,] ReadMatrix(string path, string option, bool vectorIsRow)
    {
        NpyArray a;
        try
        {
            a = Npy.Read(path);
        }
        catch (SbiDataException e)
        {
            throw new SbiDataException(option, e.Message, e);
        }
        string shape = "(" + string.Join(", ", a.Shape) + ")";
        if (!a.IsNumeric) throw new SbiDataException(option, $"{path}: dtype {a.DType}; expected numbers");
        long[] s = a.NDim == 1 && vectorIsRow ? [1, a.Shape[0]] : a.Shape;
        if (s.Length != 2 || s[0] == 0 || s[1] == 0)
            throw new SbiDataException(option, $"{path}: shape {shape}; expected (n, D) with n, D ≥ 1{(vectorIsRow ? " or one point (D)" : "")}");
        var flat = a.AsFloat64();
        var m = new double[s[0], s[1]];
        Buffer.BlockCopy(flat, 0, m, 0, flat.Length * sizeof(double));
        return m;
    }

    private static bool TryFinite(string text, out double v) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out v) && double.IsFinite(v);
}
