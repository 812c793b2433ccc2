using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Mmse.Data;

/// <summary>
/// Maps item ids to dense indices with few cache misses: the ids' UTF-8 bytes sit in one blob,
/// and an open-addressing table holds (hash, index) pairs in one long[]. A lookup hashes the
/// UTF-8 bytes straight from the log line (no string, no transcoding) and usually touches one
/// slot, one offset pair and the id's bytes. A Dictionary&lt;string, int&gt; over a 1M-item
/// catalog chases pointers into strings scattered over a heap of titles instead, which made the
/// search-log read several times slower.
/// </summary>
internal sealed class IdIndex
{
    private readonly byte[] _blob;     // [total id bytes] UTF-8 of every id, concatenated
    private readonly int[] _offsets;   // [count + 1] id i is _blob[_offsets[i] .. _offsets[i + 1]]
    private readonly long[] _slots;    // [power of two >= 2 count] (hash << 32) | (index + 1); 0 = empty
    private readonly int _mask;

    public IdIndex(IReadOnlyList<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        _offsets = new int[ids.Count + 1];
        long total = 0;
        for (var i = 0; i < ids.Count; i++)
        {
            total += Encoding.UTF8.GetByteCount(ids[i]);
            if (total > Array.MaxLength)
                throw new InvalidOperationException("the catalog's ids exceed 2 GB");
            _offsets[i + 1] = (int)total;
        }
        _blob = new byte[total];
        for (var i = 0; i < ids.Count; i++)
            Encoding.UTF8.GetBytes(ids[i], _blob.AsSpan(_offsets[i]));

        var capacity = (int)Math.Max(16, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, ids.Count) * 2));
        _slots = new long[capacity];
        _mask = capacity - 1;
        for (var i = 0; i < ids.Count; i++)
        {
            var id = Id(i);
            var hash = Hash(id);
            var slot = (int)hash & _mask;
            while (_slots[slot] != 0)
            {
                if ((uint)(_slots[slot] >> 32) == hash && Id((int)_slots[slot] - 1).SequenceEqual(id))
                    throw new ArgumentException($"duplicate id '{ids[i]}'", nameof(ids));
                slot = (slot + 1) & _mask;
            }
            _slots[slot] = ((long)hash << 32) | (uint)(i + 1);
        }
    }

    /// <summary>The dense index of a UTF-8 id, or -1.</summary>
    public int IndexOf(ReadOnlySpan<byte> utf8)
    {
        var hash = Hash(utf8);
        var slot = (int)hash & _mask;
        while (true)
        {
            var entry = _slots[slot];
            if (entry == 0)
                return -1;
            if ((uint)(entry >> 32) == hash)
            {
                var index = (int)entry - 1;
                if (_blob.AsSpan(_offsets[index], _offsets[index + 1] - _offsets[index]).SequenceEqual(utf8))
                    return index;
            }
            slot = (slot + 1) & _mask;
        }
    }

    /// <summary>The dense index of an id given as UTF-16, or -1.</summary>
    public int IndexOf(ReadOnlySpan<char> id)
    {
        var max = Encoding.UTF8.GetMaxByteCount(id.Length);
        byte[]? rented = null;
        var buffer = max <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(max));
        var n = Encoding.UTF8.GetBytes(id, buffer);
        var index = IndexOf(buffer[..n]);
        if (rented is not null)
            ArrayPool<byte>.Shared.Return(rented);
        return index;
    }

    private ReadOnlySpan<byte> Id(int i) => _blob.AsSpan(_offsets[i], _offsets[i + 1] - _offsets[i]);

    /// <summary>
    /// A fast 32-bit hash of short byte strings: 8 bytes per multiply-xorshift round, the tail
    /// packed into one more word. Catalog ids are trusted input, so no per-process seed.
    /// </summary>
    internal static uint Hash(ReadOnlySpan<byte> bytes)
    {
        var h = 0x9E3779B97F4A7C15UL ^ ((ulong)bytes.Length * 0xC2B2AE3D27D4EB4FUL);
        while (bytes.Length >= 8)
        {
            h = (h ^ BinaryPrimitives.ReadUInt64LittleEndian(bytes)) * 0xFF51AFD7ED558CCDUL;
            h ^= h >> 32;
            bytes = bytes[8..];
        }
        if (!bytes.IsEmpty)
        {
            ulong tail = 0;
            for (var i = 0; i < bytes.Length; i++)
                tail |= (ulong)bytes[i] << (8 * i);
            h = (h ^ tail) * 0xC4CEB9FE1A85EC53UL;
        }
        h ^= h >> 29;
        h *= 0xBF58476D1CE4E5B9UL;
        h ^= h >> 32;
        return (uint)h;
    }
}
