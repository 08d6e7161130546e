namespace Sbi.Numpy.Pickle;

/// <summary>Short descriptions of the values the safe readers return (tensors and arrays, tuples, lists, dicts), for error messages.</summary>
public static class PickleValues
{
    /// <summary>"a tensor of shape (…)", "a tuple of 2 (tensor, tensor)", "a dict with keys (…)", …</summary>
    public static string Describe(object? o) => o switch
    {
        null => "None",
        NpyArray t => $"an array of shape ({string.Join(", ", t.Shape)}) and dtype {t.DType}",
        object?[] a => $"a tuple of {a.Length} ({string.Join(", ", a.Select(Short))})",
        List<object?> l => $"a list of {l.Count} ({string.Join(", ", l.Take(5).Select(Short))}{(l.Count > 5 ? ", ..." : "")})",
        PickleDict d => $"a dict with keys ({string.Join(", ", d.Keys.Take(8).Select(k => k is string s ? "'" + s + "'" : k.ToString()))}{(d.Count > 8 ? ", ..." : "")})",
        _ => Short(o),
    };

    private static string Short(object? o) => o switch
    {
        null => "None",
        NpyArray => "array",
        object?[] => "tuple",
        List<object?> => "list",
        PickleDict => "dict",
        string => "str",
        _ => o.GetType().Name,
    };
}
