namespace Sbi.Tracking;

/// <summary>
/// CRC-32C (Castagnoli) and the masked form TFRecord files store (tensorflow/core/lib/hash/crc32c.h, <c>Mask</c>):
/// rotate right by 15 bits and add 0xa282ead8. The CRC itself is .NET's <see cref="System.Numerics.BitOperations.Crc32C(uint, ulong)"/>
/// (SSE4.2/ARM CRC instructions, a software fallback elsewhere), not TorchSharp's, so reading an event file checks
/// TorchSharp's writer against an independent CRC.
/// </summary>
internal static class Crc32C
{
    /// <summary>The CRC-32C of <paramref name="data"/> (check value: "123456789" → 0xE3069283).</summary>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFFu;
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
            c = System.Numerics.BitOperations.Crc32C(c, System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(data[i..]));
        for (; i < data.Length; i++) c = System.Numerics.BitOperations.Crc32C(c, data[i]);
        return c ^ 0xFFFFFFFFu;
    }

    /// <summary>TFRecord's masked CRC of <paramref name="data"/>.</summary>
    public static uint Masked(ReadOnlySpan<byte> data)
    {
        uint c = Compute(data);
        return ((c >> 15) | (c << 17)) + 0xa282ead8u;
    }
}
