using System.Buffers.Binary;

namespace Sbi.Tracking;

/// <summary>
/// A minimal protocol-buffers wire-format reader (varint, 64-bit, length-delimited and 32-bit fields;
/// https://protobuf.dev/programming-guides/encoding/) for the few TensorBoard messages <see cref="TensorBoardEvents"/>
/// decodes. Hand-written rather than Google.Protobuf with generated classes: the reader then shares no code with
/// TorchSharp's writer (whose generated <c>Tensorboard.Event</c> classes would agree with themselves), and needs
/// neither a .proto compiler in this project nor TorchSharp's copy of the generated types.
/// Every length is checked against the bytes left; a malformed message raises <see cref="FormatException"/>.
/// </summary>
internal ref struct ProtoReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _pos;

    public ProtoReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _pos = 0;
    }

    /// <summary>Whether every byte has been read.</summary>
    public readonly bool AtEnd => _pos >= _data.Length;

    /// <summary>Reads the next field's key; false at the end of the message.</summary>
    public bool Next(out int field, out int wireType)
    {
        if (_pos >= _data.Length) { field = 0; wireType = 0; return false; }
        ulong key = Varint();
        field = (int)(key >> 3);
        wireType = (int)(key & 7);
        if (field <= 0 || key >> 3 > int.MaxValue) throw new FormatException($"invalid field number {key >> 3} at byte {_pos}.");
        return true;
    }

    public ulong Varint()
    {
        ulong v = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (_pos >= _data.Length) throw new FormatException("truncated varint.");
            byte b = _data[_pos++];
            v |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return v;
        }
        throw new FormatException($"varint longer than 10 bytes at byte {_pos}.");
    }

    public double Double() => BitConverter.Int64BitsToDouble((long)Fixed64());

    public float Float() => BitConverter.Int32BitsToSingle((int)Fixed32());

    public ulong Fixed64()
    {
        var s = Take(8);
        return BinaryPrimitives.ReadUInt64LittleEndian(s);
    }

    public uint Fixed32()
    {
        var s = Take(4);
        return BinaryPrimitives.ReadUInt32LittleEndian(s);
    }

    /// <summary>A length-delimited field's bytes (a string, bytes, a nested message or a packed array).</summary>
    public ReadOnlySpan<byte> Bytes()
    {
        ulong n = Varint();
        if (n > (ulong)(_data.Length - _pos)) throw new FormatException($"length {n} at byte {_pos} runs past the message end ({_data.Length - _pos} bytes left).");
        return Take((int)n);
    }

    /// <summary>Skips a field of a wire type this reader does not decode.</summary>
    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case 0: Varint(); break;
            case 1: Take(8); break;
            case 2: Bytes(); break;
            case 5: Take(4); break;
            default: throw new FormatException($"unsupported wire type {wireType} at byte {_pos} (groups are not used by TensorBoard).");
        }
    }

    private ReadOnlySpan<byte> Take(int n)
    {
        if (n > _data.Length - _pos) throw new FormatException($"field runs past the message end at byte {_pos}.");
        var s = _data.Slice(_pos, n);
        _pos += n;
        return s;
    }
}
