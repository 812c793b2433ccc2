using System.Buffers.Binary;

namespace Mmse.Numerics;

/// <summary>
/// Streaming 64-bit checksum for artifact files: four independent multiply-rotate lanes over
/// 32-byte stripes (the xxHash64 round and constants; the framing is ours, so values are not
/// xxHash64-compatible). Fast enough to cover a 256 MiB model in a fraction of a second.
/// </summary>
public sealed class Checksum64
{
    private const ulong P1 = 0x9E3779B185EBCA87UL, P2 = 0xC2B2AE3D27D4EB4FUL, P3 = 0x165667B19E3779F9UL, P4 = 0x85EBCA77C2B2AE63UL;
    private ulong _a = unchecked(P1 + P2), _b = P2, _c, _d = unchecked(0 - P1);
    private readonly byte[] _pending = new byte[32];
    private int _pendingCount;
    private long _total;

    private static ulong Round(ulong acc, ulong input) => ulong.RotateLeft(acc + input * P2, 31) * P1;

    public void Append(ReadOnlySpan<byte> data)
    {
        _total += data.Length;
        if (_pendingCount > 0)
        {
            var take = Math.Min(32 - _pendingCount, data.Length);
            data[..take].CopyTo(_pending.AsSpan(_pendingCount));
            _pendingCount += take;
            data = data[take..];
            if (_pendingCount < 32)
                return;
            Stripe(_pending);
            _pendingCount = 0;
        }
        var stripes = data.Length / 32;
        ulong a = _a, b = _b, c = _c, d = _d;
        for (var o = 0; o < stripes * 32; o += 32)
        {
            a = Round(a, BinaryPrimitives.ReadUInt64LittleEndian(data[o..]));
            b = Round(b, BinaryPrimitives.ReadUInt64LittleEndian(data[(o + 8)..]));
            c = Round(c, BinaryPrimitives.ReadUInt64LittleEndian(data[(o + 16)..]));
            d = Round(d, BinaryPrimitives.ReadUInt64LittleEndian(data[(o + 24)..]));
        }
        (_a, _b, _c, _d) = (a, b, c, d);
        var rest = data[(stripes * 32)..];
        rest.CopyTo(_pending);
        _pendingCount = rest.Length;
    }

    private void Stripe(ReadOnlySpan<byte> s)
    {
        _a = Round(_a, BinaryPrimitives.ReadUInt64LittleEndian(s));
        _b = Round(_b, BinaryPrimitives.ReadUInt64LittleEndian(s[8..]));
        _c = Round(_c, BinaryPrimitives.ReadUInt64LittleEndian(s[16..]));
        _d = Round(_d, BinaryPrimitives.ReadUInt64LittleEndian(s[24..]));
    }

    public ulong Value
    {
        get
        {
            var h = ulong.RotateLeft(_a, 1) + ulong.RotateLeft(_b, 7) + ulong.RotateLeft(_c, 12) + ulong.RotateLeft(_d, 18);
            h = (h ^ Round(0, _a)) * P1 + P4;
            h = (h ^ Round(0, _b)) * P1 + P4;
            h = (h ^ Round(0, _c)) * P1 + P4;
            h = (h ^ Round(0, _d)) * P1 + P4;
            h += (ulong)_total;
            for (var i = 0; i < _pendingCount; i++)
                h = ulong.RotateLeft(h ^ (_pending[i] * 0x27D4EB2F165667C5UL), 11) * P1;
            h ^= h >> 33;
            h *= P2;
            h ^= h >> 29;
            h *= P3;
            h ^= h >> 32;
            return h;
        }
    }

    public static ulong Of(ReadOnlySpan<byte> data)
    {
        var c = new Checksum64();
        c.Append(data);
        return c.Value;
    }
}
