namespace Sbi.Numpy.Pickle;

/// <summary>
/// The check of an unpickled result before it is handed out: no container refers to itself (pickles can build
/// cycles through the memo, which would send a recursive consumer into endless recursion), nesting stays within
/// <see cref="ReadLimits.MaxNestingDepth"/>, and the values a walk of the whole result reaches, counting a shared
/// reference each time it is reached, stay within <see cref="ReadLimits.MaxPickleValues"/> (a list holding one list
/// twice, 40 levels down, is 2^40 values to anyone who walks it, from a file of a few hundred bytes). The walk itself
/// is iterative and stops at the first limit, so it costs at most MaxPickleValues steps.
/// </summary>
internal static class PickleGraphCheck
{
    public static void Check(object? root, ReadLimits limits, string? source)
    {
        var onPath = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(object Node, IEnumerator<object?> Children)>();
        long reached = 0;

        void Enter(object? o)
        {
            if (++reached > limits.MaxPickleValues)
                throw new ReadLimitException(source, "the number of values reached walking the unpickled result (shared references counted each time they are reached)",
                    nameof(ReadLimits.MaxPickleValues), $"more than {limits.MaxPickleValues}", limits.MaxPickleValues);
            if (o is null || Children(o) is not { } children) return;
            if (!onPath.Add(o))
                throw new SbiDataException(source, $"malformed pickle: a {PickleReader.Describe(o)} contains itself (a reference cycle); only tree-shaped data (tensors in tuples, lists and dicts) is read");
            if (stack.Count + 1 > limits.MaxNestingDepth)
                throw new ReadLimitException(source, "the nesting depth of containers in the pickle", nameof(ReadLimits.MaxNestingDepth), $"more than {limits.MaxNestingDepth}", limits.MaxNestingDepth);
            stack.Push((o, children.GetEnumerator()));
        }

        Enter(root);
        while (stack.Count > 0)
        {
            var (node, children) = stack.Peek();
            if (children.MoveNext()) Enter(children.Current);
            else
            {
                stack.Pop();
                onPath.Remove(node);
            }
        }
    }

    /// <summary>The values a container holds (a dict's keys, values and BUILD state), or null for a leaf.</summary>
    private static IEnumerable<object?>? Children(object o) => o switch
    {
        object?[] tuple => tuple,
        List<object?> list => list,
        PickleDict dict => DictChildren(dict),
        HashSet<object?> set => set,
        _ => null,
    };

    private static IEnumerable<object?> DictChildren(PickleDict d)
    {
        foreach (var (k, v) in d)
        {
            yield return k;
            yield return v;
        }
        if (d.State != null) yield return d.State;
    }
}
