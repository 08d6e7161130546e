using Sbi.Transforms;
using static TorchSharp.torch;

namespace Sbi.Nn.Fused;

/// <summary>Shared input handling of the fused kernels: shape checks, the context copy and the θ z-scoring constants.</summary>
internal static unsafe class KernelInputs
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming the argument unless θ is (B, D) and the context (B, C).</summary>
    public static int CheckShapes(Tensor theta, Tensor context, int d, int c)
    {
        if (theta.dim() != 2 || theta.shape[1] != d)
            throw new ArgumentException($"theta must have shape (B, {d}); got ({string.Join(", ", theta.shape)}).", nameof(theta));
        int n = (int)theta.shape[0];
        if (context.dim() != 2 || context.shape[0] != n || context.shape[1] != c)
            throw new ArgumentException($"context must have shape ({n}, {c}); got ({string.Join(", ", context.shape)}).", nameof(context));
        return n;
    }

    /// <summary>Why the kernels cannot run on a module ("" when every parameter and buffer is a CPU tensor, floats float32).</summary>
    public static string CpuFloat32Reason(TorchSharp.torch.nn.Module module)
    {
        foreach (var p in module.parameters().Concat(module.buffers()))
        {
            if (p.device_type != TorchSharp.DeviceType.CPU) return "the estimator is not on the CPU";
            if (p.is_floating_point() && p.dtype != ScalarType.Float32) return "a parameter is not float32";
        }
        return "";
    }

    /// <summary>
    /// Why a kernel does not replace autograd for a module: "" when the parameters it bound (<paramref name="covered"/>
    /// scalars) are all the module's trainable ones, else the mismatch (a gradient would silently stay zero).
    /// </summary>
    public static string CoverageReason(TorchSharp.torch.nn.Module module, long covered)
    {
        long trainable = module.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
        return covered == trainable ? "" : $"the kernel covers {covered} of {trainable} trainable parameters";
    }

    /// <summary>
    /// Writes z-scored θ (B, D) into a kernel buffer, row i feature j at <c>destination[i·stride + offset + j]</c>:
    /// θ·scale + shift, nflows' <c>PointwiseAffineTransform</c>.
    /// </summary>
    public static void CopyStandardized(Tensor theta, float[] scale, float[] shift, float* destination, int stride, int offset = 0)
    {
        using var th = theta.contiguous();
        float* src = TorchNative.Data(th);
        int n = (int)th.shape[0], d = scale.Length;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) destination[(long)i * stride + offset + j] = src[i * d + j] * scale[j] + shift[j];
    }

    /// <summary>Copies the (B, C) context into a kernel buffer.</summary>
    public static void CopyContext(Tensor context, float* destination)
    {
        using var cx = context.contiguous();
        long bytes = cx.numel() * sizeof(float);
        Buffer.MemoryCopy(TorchNative.Data(cx), destination, bytes, bytes);
    }

    /// <summary>nflows' θ z-scoring y = θ·scale + shift per feature (1 and 0 without a z-scoring layer), and Σ log|scale|.</summary>
    public static (float[] Scale, float[] Shift, double LogScaleSum) ThetaZScore(PointwiseAffineTransform? zscore, int d)
    {
        if (zscore is null) return (Enumerable.Repeat(1f, d).ToArray(), new float[d], 0);
        using var scope = NewDisposeScope();
        var scale = zscore.Scale.cpu().to(ScalarType.Float32).expand(d).contiguous().data<float>().ToArray();
        var shift = zscore.Shift.cpu().to(ScalarType.Float32).expand(d).contiguous().data<float>().ToArray();
        return (scale, shift, scale.Sum(v => Math.Log(Math.Abs(v))));
    }
}
