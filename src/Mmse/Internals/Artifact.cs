using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Mmse.Numerics;

namespace Mmse.Internals;

/// <summary>Writes an artifact: magic, version, then typed fields, then a checksum of everything before it.</summary>
internal sealed class ArtifactWriter(Stream stream, string magic, int version)
{
    private readonly Checksum64 _checksum = new();
    private bool _started;

    private void Put(ReadOnlySpan<byte> bytes)
    {
        if (!_started)
        {
            _started = true;
            Put(Encoding.ASCII.GetBytes(magic));
            WriteInt32(version);
        }
        _checksum.Append(bytes);
        stream.Write(bytes);
    }

    public void WriteInt32(int value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(b, value);
        Put(b);
    }

    public void WriteInt64(long value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, value);
        Put(b);
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        WriteInt32(bytes.Length);
        Put(bytes);
    }

    public void WriteFloats(float[] values)
    {
        WriteInt64(values.Length);
        for (var o = 0; o < values.Length; o += 1 << 18)
            Put(MemoryMarshal.AsBytes(values.AsSpan(o, Math.Min(1 << 18, values.Length - o))));
    }

    public void Finish()
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, _checksum.Value);
        stream.Write(b);
    }
}

/// <summary>Reads what <see cref="ArtifactWriter"/> wrote; every problem is an <see cref="MmseArtifactException"/> naming the file.</summary>
internal sealed class ArtifactReader
{
    private readonly Stream _stream;
    private readonly string _name;
    private readonly Checksum64 _checksum = new();

    public ArtifactReader(Stream stream, string name, string magic, int version, string kind)
    {
        _stream = stream;
        _name = name;
        var m = new byte[magic.Length];
        Get(m);
        if (Encoding.ASCII.GetString(m) != magic)
            throw new MmseArtifactException(name, $"not an Mmse {kind} (expected magic '{magic}')");
        var v = ReadInt32();
        if (v != version)
            throw new MmseArtifactException(name, $"{kind} format version {v} is not supported (this build reads {version})");
    }

    private void Get(Span<byte> bytes)
    {
        try
        {
            _stream.ReadExactly(bytes);
        }
        catch (EndOfStreamException)
        {
            throw new MmseArtifactException(_name, "truncated file (ends early)");
        }
        _checksum.Append(bytes);
    }

    public int ReadInt32()
    {
        Span<byte> b = stackalloc byte[4];
        Get(b);
        return BinaryPrimitives.ReadInt32LittleEndian(b);
    }

    public long ReadInt64()
    {
        Span<byte> b = stackalloc byte[8];
        Get(b);
        return BinaryPrimitives.ReadInt64LittleEndian(b);
    }

    public byte[] ReadBytes(int maxLength)
    {
        var n = ReadInt32();
        if (n < 0 || n > maxLength)
            throw new MmseArtifactException(_name, $"corrupt file (a field claims {n} bytes)");
        var bytes = new byte[n];
        Get(bytes);
        return bytes;
    }

    /// <summary>Reads a float array into <paramref name="destination"/>, whose length must match.</summary>
    public void ReadFloats(float[] destination)
    {
        var n = ReadInt64();
        if (n != destination.Length)
            throw new MmseArtifactException(_name, $"corrupt or mismatched file (an array holds {n} values, expected {destination.Length})");
        for (var o = 0; o < destination.Length; o += 1 << 18)
            Get(MemoryMarshal.AsBytes(destination.AsSpan(o, Math.Min(1 << 18, destination.Length - o))));
    }

    public void Verify()
    {
        var expected = _checksum.Value;
        Span<byte> b = stackalloc byte[8];
        try
        {
            _stream.ReadExactly(b);
        }
        catch (EndOfStreamException)
        {
            throw new MmseArtifactException(_name, "truncated file (checksum missing)");
        }
        if (BinaryPrimitives.ReadUInt64LittleEndian(b) != expected)
            throw new MmseArtifactException(_name, "corrupt file (checksum mismatch)");
    }
}
