using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Mmse.Numerics;

namespace Mmse.Internals;

/// <summary>
/// Writes an artifact: magic, int32 version, then typed little-endian fields (int32/int64, bytes as
/// int32 length + data, floats as int64 count + data), then a <see cref="Checksum64"/> of everything
/// before it. Models and training checkpoints are both written by it.
/// </summary>
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

    private readonly string _kind;

    /// <summary>
    /// Opens an artifact of <paramref name="kind"/> (a noun for messages: "model", "checkpoint"),
    /// refusing a foreign magic or another version by name.
    /// </summary>
    public ArtifactReader(Stream stream, string name, string magic, int version, string kind)
    {
        _stream = stream;
        _name = name;
        _kind = kind;
        var m = new byte[magic.Length];
        Get(m);
        if (Encoding.ASCII.GetString(m) != magic)
            ThrowHelper.Artifact(name, $"not an Mmse {kind} (magic '{Escape(m)}', expected '{magic}')");
        var v = ReadInt32();
        if (v != version)
            ThrowHelper.Artifact(name, $"{kind} format version {v} is not supported (this build reads {version})");
    }

    private static string Escape(byte[] bytes) =>
        new([.. bytes.Select(b => b is >= 32 and < 127 ? (char)b : '?')]);

    private void Get(Span<byte> bytes)
    {
        try
        {
            _stream.ReadExactly(bytes);
        }
        catch (EndOfStreamException)
        {
            ThrowHelper.Artifact(_name, $"truncated {_kind} file (ends early)");
        }
        _checksum.Append(bytes);
    }

    /// <summary>Reads exactly <paramref name="destination"/>.Length raw bytes (a field whose length the caller checked).</summary>
    public void ReadRaw(Span<byte> destination) => Get(destination);

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
            ThrowHelper.Artifact(_name, $"corrupt {_kind} file (a field claims {n} bytes)");
        var bytes = new byte[n];
        Get(bytes);
        return bytes;
    }

    /// <summary>Reads a float array into <paramref name="destination"/>, whose length must match.</summary>
    public void ReadFloats(float[] destination)
    {
        var n = ReadInt64();
        if (n != destination.Length)
            ThrowHelper.Artifact(_name, $"corrupt or mismatched file (an array holds {n} values, expected {destination.Length})");
        ReadFloatValues(destination);
    }

    /// <summary>Reads <paramref name="destination"/>.Length floats whose count the caller read and checked.</summary>
    public void ReadFloatValues(float[] destination)
    {
        for (var o = 0; o < destination.Length; o += 1 << 18)
            Get(MemoryMarshal.AsBytes(destination.AsSpan(o, Math.Min(1 << 18, destination.Length - o))));
    }

    /// <summary>Reads the trailing checksum and refuses the file when it differs from that of everything read.</summary>
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
            ThrowHelper.Artifact(_name, $"truncated {_kind} file (checksum missing)");
        }
        if (BinaryPrimitives.ReadUInt64LittleEndian(b) != expected)
            ThrowHelper.Artifact(_name, $"corrupt {_kind} file (checksum mismatch)");
    }
}
