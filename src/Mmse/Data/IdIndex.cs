using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using System.Text;
using Mmse.Internals;

namespace Mmse.Data;

/// <summary>
/// Maps item ids to dense indices with few cache misses. Ids of up to 8 UTF-8 bytes (most SKU
/// and JDsearch ids) are stored inside the open-addressing slot itself, so a lookup usually
/// costs one cache miss; longer ids keep a hash in the slot and their bytes in one blob. A
/// lookup hashes the UTF-8 bytes straight from the log line (no string, no transcoding). A
/// Dictionary&lt;string, int&gt; over a 1M-item catalog chases pointers into strings scattered
/// over a heap of titles instead, which made reading a 30M-item log several times slower.
/// </summary>
internal sealed class IdIndex
{
    private struct Slot
    {
        public ulong Key;   // the id's bytes, little-endian, when it is at most 8 bytes long; else its 64-bit hash
        public uint Tag;    // hash bits 8..31 and min(length, 255) in the low byte
        public int Index;   // dense index + 1; 0 = empty slot
    }

    private const int Inline = 8;

    private readonly byte[] _blob;     // [total id bytes] UTF-8 of every id, concatenated
    private readonly int[] _offsets;   // [count + 1] id i is _blob[_offsets[i] .. _offsets[i + 1]]
    private readonly Slot[] _slots;    // [power of two >= 2 count]
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
                ThrowHelper.Input("the catalog's ids exceed 2 GB");
            _offsets[i + 1] = (int)total;
        }
        _blob = new byte[total];
        for (var i = 0; i < ids.Count; i++)
            Encoding.UTF8.GetBytes(ids[i], _blob.AsSpan(_offsets[i]));

        var capacity = (int)Math.Max(16, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, ids.Count) * 2));
        _slots = new Slot[capacity];
        _mask = capacity - 1;
        for (var i = 0; i < ids.Count; i++)
        {
            var id = _blob.AsSpan(_offsets[i], _offsets[i + 1] - _offsets[i]);
            if (IndexOf(id) >= 0)
                throw new ArgumentException($"duplicate id '{ids[i]}'", nameof(ids));
            var (key, tag, slot) = Locate(id);
            while (_slots[slot].Index != 0)
                slot = (slot + 1) & _mask;
            _slots[slot] = new Slot { Key = key, Tag = tag, Index = i + 1 };
        }
    }

    /// <summary>The dense index of a UTF-8 id, or -1.</summary>
    public int IndexOf(ReadOnlySpan<byte> utf8)
    {
        var (key, tag, slot) = Locate(utf8);
        return Probe(utf8, key, tag, slot);
    }

    /// <summary>
    /// Looks up many ids at once: <c>results[k]</c> = the index of
    /// <c>source[starts[k] .. starts[k] + lengths[k]]</c>, or -1; entries with a negative length
    /// are left as they are. Same answers as <see cref="IndexOf(ReadOnlySpan{byte})"/> per id,
    /// but the slots of a whole batch are hashed and prefetched first, so their cache misses
    /// overlap instead of queueing one after another (a request's 30 ids cost about one miss).
    /// </summary>
    public void IndexOfMany(ReadOnlySpan<byte> source, ReadOnlySpan<int> starts, ReadOnlySpan<int> lengths, Span<int> results)
    {
        const int Batch = 32;
        Span<ulong> keys = stackalloc ulong[Batch];
        Span<uint> tags = stackalloc uint[Batch];
        Span<int> slots = stackalloc int[Batch];
        for (var b = 0; b < lengths.Length; b += Batch)
        {
            var m = Math.Min(Batch, lengths.Length - b);
            for (var k = 0; k < m; k++)
            {
                if (lengths[b + k] < 0)
                    continue;
                (keys[k], tags[k], slots[k]) = Locate(source.Slice(starts[b + k], lengths[b + k]));
                Prefetch(ref _slots[slots[k]]);
            }
            for (var k = 0; k < m; k++)
            {
                if (lengths[b + k] >= 0)
                    results[b + k] = Probe(source.Slice(starts[b + k], lengths[b + k]), keys[k], tags[k], slots[k]);
            }
        }
    }

    private static unsafe void Prefetch(ref Slot slot)
    {
        // A hint only: if the GC moves the array meanwhile, a stale address costs nothing.
        if (Sse.IsSupported)
            Sse.Prefetch0(Unsafe.AsPointer(ref slot));
    }

    private int Probe(ReadOnlySpan<byte> utf8, ulong key, uint tag, int slot)
    {
        while (true)
        {
            ref var entry = ref _slots[slot];
            if (entry.Index == 0)
                return -1;
            if (entry.Key == key && entry.Tag == tag)
            {
                var index = entry.Index - 1;
                if (utf8.Length <= Inline
                    || _blob.AsSpan(_offsets[index], _offsets[index + 1] - _offsets[index]).SequenceEqual(utf8))
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

    /// <summary>The slot key and tag of an id, and its first slot.</summary>
    private (ulong Key, uint Tag, int Slot) Locate(ReadOnlySpan<byte> id)
    {
        var hash = Hash(id);
        ulong key;
        if (id.Length <= Inline)
        {
            key = 0;
            for (var i = 0; i < id.Length; i++)
                key |= (ulong)id[i] << (8 * i);
        }
        else
        {
            key = hash;
        }
        var tag = ((uint)(hash >> 32) & ~0xFFu) | (uint)Math.Min(id.Length, 255);
        return (key, tag, (int)hash & _mask);
    }

    /// <summary>
    /// A fast 64-bit hash of short byte strings: 8 bytes per multiply-xorshift round, the tail
    /// packed into one more word. Catalog ids are trusted input, so no per-process seed.
    /// </summary>
    internal static ulong Hash(ReadOnlySpan<byte> bytes)
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
        return h;
    }
}
