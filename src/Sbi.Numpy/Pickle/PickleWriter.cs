using System.Text;

namespace Sbi.Numpy.Pickle;

/// <summary>A minimal pickle (protocol 2) emitter for the values <see cref="TorchPt.Save"/> writes.</summary>
internal sealed class PickleWriter
{
    private readonly MemoryStream _s = new();

    public PickleWriter() => _s.Write(new byte[] { 0x80, 2 }); // PROTO 2

    public byte[] Finish()
    {
        _s.WriteByte((byte)'.'); // STOP
        return _s.ToArray();
    }

    public void Op(char op) => _s.WriteByte((byte)op);
    public void Op(byte op) => _s.WriteByte(op);
    public void Mark() => Op('(');

    public void Global(string module, string name)
    {
        Op('c');
        _s.Write(Encoding.ASCII.GetBytes(module + "\n" + name + "\n"));
    }

    public void None() => Op('N');
    public void Bool(bool b) => Op(b ? (byte)0x88 : (byte)0x89);

    public void Int(long v)
    {
        if (v >= 0 && v < 256) { Op('K'); _s.WriteByte((byte)v); }
        else if (v >= int.MinValue && v <= int.MaxValue) { Op('J'); _s.Write(BitConverter.GetBytes((int)v)); }
        else
        {
            Op(0x8a); // LONG1, little-endian two's complement
            var bytes = new System.Numerics.BigInteger(v).ToByteArray();
            _s.WriteByte((byte)bytes.Length);
            _s.Write(bytes);
        }
    }

    public void Float(double d)
    {
        Op('G');
        var b = BitConverter.GetBytes(d);
        if (BitConverter.IsLittleEndian) Array.Reverse(b);
        _s.Write(b);
    }

    public void String(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        Op('X');
        _s.Write(BitConverter.GetBytes((uint)b.Length));
        _s.Write(b);
    }

    public void Tuple(int n, Action items)
    {
        if (n == 0) { Op(')'); return; }
        Mark();
        items();
        Op('t');
    }
}
