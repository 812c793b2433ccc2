using System.Numerics;

namespace Mmse.Index;

/// <summary>
/// An allowed set over index positions (a bitset). Searches test it during graph traversal:
/// disallowed items are walked through but never returned. The filter grammar that builds one
/// from catalog fields is <see cref="Retrieval.ItemFilterParser"/>; <see cref="Retrieval.CatalogFilter"/>
/// turns a parsed filter into this set for an index.
/// </summary>
public sealed class AllowedSet
{
    private readonly ulong[] _bits;

    /// <summary>An empty filter over <paramref name="length"/> positions (nothing allowed).</summary>
    public AllowedSet(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        _bits = new ulong[(length + 63) >> 6];
    }

    /// <summary>Positions covered; positions at or past it (items added later) are not allowed.</summary>
    public int Length { get; }

    /// <summary>How many positions are allowed.</summary>
    public int AllowedCount { get; private set; }

    /// <summary>The bits, 64 positions per word (bit p % 64 of word p / 64).</summary>
    internal ReadOnlySpan<ulong> Words => _bits;

    /// <summary>True when <paramref name="position"/> is allowed.</summary>
    public bool Contains(int position) =>
        (uint)position < (uint)Length && (_bits[position >> 6] & (1UL << position)) != 0;

    public void Allow(int position)
    {
        if ((uint)position >= (uint)Length)
            throw new ArgumentOutOfRangeException(nameof(position), position, $"must be in [0, {Length})");
        ref var word = ref _bits[position >> 6];
        var bit = 1UL << position;
        if ((word & bit) == 0)
        {
            word |= bit;
            AllowedCount++;
        }
    }

    /// <summary>A filter allowing exactly the given positions.</summary>
    public static AllowedSet FromPositions(int length, IEnumerable<int> positions)
    {
        ArgumentNullException.ThrowIfNull(positions);
        var filter = new AllowedSet(length);
        foreach (var p in positions)
            filter.Allow(p);
        return filter;
    }

    /// <summary>A filter allowing every position where <paramref name="allowed"/> is true.</summary>
    public static AllowedSet FromPredicate(int length, Func<int, bool> allowed)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        var filter = new AllowedSet(length);
        for (var p = 0; p < length; p++)
        {
            if (allowed(p))
                filter.Allow(p);
        }
        return filter;
    }

    /// <summary>Bits [32 i, 32 i + 32) as one word (bit j = position 32 i + j); 0 past the end.</summary>
    internal uint Word32(int index)
    {
        var w = index >> 1;
        return w < _bits.Length ? (uint)(_bits[w] >> ((index & 1) * 32)) : 0;
    }

    /// <summary>Allowed positions in ascending order.</summary>
    public IEnumerable<int> Positions()
    {
        for (var w = 0; w < _bits.Length; w++)
        {
            var word = _bits[w];
            while (word != 0)
            {
                yield return (w << 6) + BitOperations.TrailingZeroCount(word);
                word &= word - 1;
            }
        }
    }

    /// <summary>Both filters allow the position.</summary>
    public AllowedSet Intersect(AllowedSet other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var result = new AllowedSet(Math.Min(Length, other.Length));
        for (var w = 0; w < result._bits.Length; w++)
        {
            result._bits[w] = _bits[w] & other._bits[w];
            result.AllowedCount += BitOperations.PopCount(result._bits[w]);
        }
        return result;
    }
}
