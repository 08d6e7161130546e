using System.Collections.Concurrent;
using System.Reflection;
using System.Reflection.Emit;

namespace Sbi.Testing;

/// <summary>
/// Finds TorchSharp <c>Scalar</c> temporaries in compiled code. TorchSharp 0.107 converts a .NET number to a native
/// <c>c10::Scalar</c> owned by a finalizable <c>Scalar</c> object that no dispose scope tracks; passed straight to a
/// method (<c>t.clamp_max(1.0)</c>), the object is unreachable once its handle is read, so the GC may finalize it,
/// freeing the native scalar, while libtorch still reads it. CI saw exactly that: <c>clamp_max</c> failing with
/// "Expected false to be true" from <c>c10::Scalar::toDouble</c> in the middle of a training run. TorchSharp's own
/// number overloads (<c>t * 0.5</c>, <c>t.add(1.0)</c> through <c>operator *(Tensor, double)</c>) do the same
/// inside TorchSharp, so a call to one of those counts too. The cure is a Scalar held by a <c>using</c> local (or a
/// static field) across the call.
/// </summary>
public static class ScalarTemporaries
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    private static readonly ConcurrentDictionary<MethodBase, bool> TorchSharpMakesTemporary = new();

    private const BindingFlags Everything = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance
                                            | BindingFlags.Static | BindingFlags.DeclaredOnly;

    /// <summary>One "Type.Method: what" entry per site in the assembly where a Scalar temporary reaches libtorch.</summary>
    public static IReadOnlyList<string> Find(Assembly assembly)
    {
        var sites = new List<string>();
        foreach (var type in assembly.GetTypes())
            foreach (var method in type.GetMethods(Everything).Cast<MethodBase>().Concat(type.GetConstructors(Everything)))
                foreach (var what in Temporaries(method, followTorchSharp: true))
                    sites.Add($"{type.FullName}.{method.Name}: {what}");
        return sites;
    }

    private static IEnumerable<string> Temporaries(MethodBase method, bool followTorchSharp)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null) yield break;
        int pos = 0;
        MethodBase? pending = null;
        while (pos < il.Length)
        {
            short value = il[pos] == 0xFE ? (short)(0xFE00 | il[pos + 1]) : il[pos];
            var op = OpCodesByValue[value];
            int operandStart = pos + op.Size;
            if (pending is not null && !IsStore(op)) yield return "converts a number to a Scalar argument";
            pending = null;
            if (op == OpCodes.Call || op == OpCodes.Callvirt || op == OpCodes.Newobj)
            {
                var callee = Resolve(method, BitConverter.ToInt32(il, operandStart));
                if (callee is not null && IsScalarConversion(callee)) pending = callee;
                else if (followTorchSharp && callee is not null && IsTorchSharp(callee) && MakesTemporary(callee, 0))
                    yield return $"calls {callee.DeclaringType?.Name}.{callee.Name}({string.Join(", ", callee.GetParameters().Select(p => p.ParameterType.Name))}), which converts a number inside TorchSharp";
            }
            pos = operandStart + OperandSize(op, il, operandStart);
        }
        if (pending is not null) yield return "converts a number to a Scalar argument";
    }

    // TorchSharp's overloads chain (a + b → add(b) → add(b, 1)), so follow its calls a few levels down; a cycle or a
    // deeper chain counts as clean, which errs towards missing a site, never towards inventing one.
    private static bool MakesTemporary(MethodBase torchSharpMethod, int depth)
    {
        if (TorchSharpMakesTemporary.TryGetValue(torchSharpMethod, out bool known)) return known;
        if (depth > 6) return false;
        TorchSharpMakesTemporary[torchSharpMethod] = false;
        bool result = Temporaries(torchSharpMethod, followTorchSharp: false).Any()
                      || Callees(torchSharpMethod).Where(IsTorchSharp).Any(c => MakesTemporary(c, depth + 1));
        TorchSharpMakesTemporary[torchSharpMethod] = result;
        return result;
    }

    private static IEnumerable<MethodBase> Callees(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null) yield break;
        int pos = 0;
        while (pos < il.Length)
        {
            short value = il[pos] == 0xFE ? (short)(0xFE00 | il[pos + 1]) : il[pos];
            var op = OpCodesByValue[value];
            int operandStart = pos + op.Size;
            if ((op == OpCodes.Call || op == OpCodes.Callvirt || op == OpCodes.Newobj)
                && Resolve(method, BitConverter.ToInt32(il, operandStart)) is { } callee)
                yield return callee;
            pos = operandStart + OperandSize(op, il, operandStart);
        }
    }

    private static MethodBase? Resolve(MethodBase context, int token)
    {
        try
        {
            return context.Module.ResolveMethod(token,
                context.DeclaringType?.IsGenericType == true ? context.DeclaringType.GetGenericArguments() : null,
                context.IsGenericMethod ? context.GetGenericArguments() : null);
        }
        catch (ArgumentException) { return null; }
    }

    private static bool IsTorchSharp(MethodBase m) => m.DeclaringType?.Assembly.GetName().Name == "TorchSharp";

    private static bool IsScalarConversion(MethodBase m) =>
        IsTorchSharp(m) && ((m.DeclaringType!.Name == "Scalar" && m.Name == "op_Implicit")
                            || (m.DeclaringType!.Name == "ScalarExtensionMethods" && m.Name == "ToScalar"));

    // A local or field keeps the object reachable; whether the local is a `using` is left to review.
    private static bool IsStore(OpCode op) =>
        op == OpCodes.Stloc || op == OpCodes.Stloc_S || op == OpCodes.Stloc_0 || op == OpCodes.Stloc_1
        || op == OpCodes.Stloc_2 || op == OpCodes.Stloc_3 || op == OpCodes.Stsfld || op == OpCodes.Stfld;

    private static int OperandSize(OpCode op, byte[] il, int at) => op.OperandType switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
        _ => 4,
    };
}
