using System.Numerics;
using Mmse.Data;

namespace Mmse.Index;

/// <summary>
/// An allowed set over index positions (a bitset). Searches test it during graph traversal:
/// disallowed items are walked through but never returned.
/// </summary>
public sealed class ItemFilter
{
    private readonly ulong[] _bits;

    /// <summary>An empty filter over <paramref name="length"/> positions (nothing allowed).</summary>
    public ItemFilter(int length)
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
    public static ItemFilter FromPositions(int length, IEnumerable<int> positions)
    {
        ArgumentNullException.ThrowIfNull(positions);
        var filter = new ItemFilter(length);
        foreach (var p in positions)
            filter.Allow(p);
        return filter;
    }

    /// <summary>A filter allowing every position where <paramref name="allowed"/> is true.</summary>
    public static ItemFilter FromPredicate(int length, Func<int, bool> allowed)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        var filter = new ItemFilter(length);
        for (var p = 0; p < length; p++)
        {
            if (allowed(p))
                filter.Allow(p);
        }
        return filter;
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
    public ItemFilter Intersect(ItemFilter other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var result = new ItemFilter(Math.Min(Length, other.Length));
        for (var w = 0; w < result._bits.Length; w++)
        {
            result._bits[w] = _bits[w] & other._bits[w];
            result.AllowedCount += BitOperations.PopCount(result._bits[w]);
        }
        return result;
    }
}

/// <summary>
/// Builds an <see cref="ItemFilter"/> from catalog fields for the items of an index:
/// <c>category:Tools</c> (matches "Tools" and every path below it, "Tools &gt; Hardware"),
/// <c>brand:X</c>, <c>shop:X</c>, or any attribute <c>key:value</c>. Values compare
/// case-insensitively; several expressions are combined with AND.
/// </summary>
public static class CatalogFilter
{
    /// <summary>
    /// The filter over <paramref name="index"/>'s positions allowing the items that satisfy every
    /// expression. An index item whose id the catalog lacks is not allowed.
    /// </summary>
    /// <exception cref="MmseInputException">Malformed expression or unknown field.</exception>
    public static ItemFilter Parse(Catalog catalog, IItemIndex index, params string[] expressions)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(expressions);
        var predicates = expressions.Select(e => Compile(catalog, e)).ToArray();
        var filter = new ItemFilter(index.Count);
        for (var p = 0; p < index.Count; p++)
        {
            var item = catalog.IndexOf(index.IdAt(p));
            if (item < 0)
                continue;
            var ok = true;
            foreach (var predicate in predicates)
            {
                if (!predicate(item))
                {
                    ok = false;
                    break;
                }
            }
            if (ok)
                filter.Allow(p);
        }
        return filter;
    }

    /// <summary>A predicate over catalog item indices for one <c>field:value</c> expression.</summary>
    public static Func<int, bool> Compile(Catalog catalog, string expression)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(expression);
        var colon = expression.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == expression.Length - 1)
            throw new MmseInputException($"filter '{expression}': expected field:value, e.g. category:Tools or brand:HardCo or color:black");
        var field = expression[..colon].Trim();
        var value = expression[(colon + 1)..].Trim();
        var cmp = StringComparer.OrdinalIgnoreCase;
        switch (field.ToLowerInvariant())
        {
            case "category":
                var prefix = value + " > ";
                return i => catalog.Categories[i] is { } c
                    && (cmp.Equals(c, value) || c.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));
            case "brand":
                return i => cmp.Equals(catalog.Brands[i], value);
            case "shop":
                return i => cmp.Equals(catalog.Shops[i], value);
            default:
                var key = catalog.AttributeKeys.FirstOrDefault(k => cmp.Equals(k, field));
                if (key is null)
                {
                    var known = new SortedSet<string>(catalog.AttributeKeys, StringComparer.Ordinal) { "category", "brand", "shop" };
                    throw new MmseInputException(
                        $"filter '{expression}': unknown field '{field}' (known: {string.Join(", ", known.Take(30))})");
                }
                return i =>
                {
                    for (var a = catalog.AttributeOffsets[i]; a < catalog.AttributeOffsets[i + 1]; a++)
                    {
                        if (cmp.Equals(catalog.AttributeKeys[a], key) && cmp.Equals(catalog.AttributeValues[a], value))
                            return true;
                    }
                    return false;
                };
        }
    }
}
