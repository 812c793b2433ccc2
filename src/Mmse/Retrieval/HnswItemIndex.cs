using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Mmse.Data;
using Mmse.Index;

namespace Mmse.Retrieval;

/// <summary>
/// An HNSW index file (<c>mmse index</c>, read into memory by <see cref="HnswIndex.Load"/>) as the
/// server's item index. Index positions are not catalog indices: they are mapped once at load,
/// by id; positions whose id the catalog lacks (and deleted ones) are never returned. A serving
/// filter becomes the index's allowed-position bitset, built once per distinct filter
/// (<see cref="ItemFilter.Key"/>) and cached, since a bitset over 1M positions costs tens of
/// milliseconds to build and 128 KB to keep.
/// </summary>
public sealed class HnswItemIndex : IItemIndex, IDisposable
{
    /// <summary>Distinct filters whose bitsets are kept; when full, the cache starts over.</summary>
    public const int FilterCacheCapacity = 64;

    // k * (2 + heads) floats up to this many live on the stack (k = 100 with 8 heads).
    private const int StackFloats = 1024;

    private readonly HnswIndex _index;
    private readonly CatalogPositions _positions; // position -> catalog index, -1 when not served
    private readonly ConcurrentDictionary<string, AllowedSet> _filters = new(StringComparer.Ordinal);

    /// <summary>
    /// Wraps an open index for <paramref name="catalog"/>; refuses it when more than
    /// <paramref name="maxMissingFraction"/> of its live items are not in the catalog
    /// (<see cref="CatalogPositions"/>: it was built from another catalog). Takes ownership:
    /// disposing this disposes the index.
    /// </summary>
    public HnswItemIndex(HnswIndex index, Catalog catalog, int ef = 0, string? name = null,
        double maxMissingFraction = CatalogPositions.DefaultMaxMissingFraction, MultiHeadWalk walk = MultiHeadWalk.Fused)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentOutOfRangeException.ThrowIfNegative(ef);
        if (!Enum.IsDefined(walk))
            throw new ArgumentOutOfRangeException(nameof(walk), walk, "unknown multi-head walk");
        _index = index;
        Ef = ef;
        Walk = walk;
        _positions = CatalogPositions.Map(index, catalog, name, maxMissingFraction);
    }

    /// <summary>
    /// Loads <paramref name="path"/> (checksum verified) for <paramref name="catalog"/> into memory
    /// of its own (<see cref="HnswIndex.Load"/>), so a server keeps answering when the file is
    /// overwritten, truncated or deleted while it serves.
    /// </summary>
    public static HnswItemIndex Open(string path, Catalog catalog, int ef = 0, MultiHeadWalk walk = MultiHeadWalk.Fused)
    {
        var index = HnswIndex.Load(path);
        try
        {
            return new HnswItemIndex(index, catalog, ef, path, walk: walk);
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    /// <summary>The candidate list per head (0: the one stored in the index file).</summary>
    public int Ef { get; }

    /// <summary>How a multi-head query walks the graph (one fused walk by default).</summary>
    public MultiHeadWalk Walk { get; }

    /// <summary>Items served: live index items whose id is in the catalog.</summary>
    public int Count => _positions.Served;

    /// <summary>Live index items left out because the catalog lacks their id.</summary>
    public int MissingIds => _positions.Missing;

    /// <summary>The HNSW index searched.</summary>
    public HnswIndex Index => _index;

    public int Dim => _index.Dim;

    public long SizeBytes => _index.SizeBytes;

    /// <summary>The catalog index of index position <paramref name="position"/>, or -1.</summary>
    public int CatalogIndex(int position) => _positions[position];

    /// <summary>Bitsets currently cached.</summary>
    public int CachedFilters => _filters.Count;

    /// <summary>Filtered walks that ran over their budget and were answered by the scan instead (since load).</summary>
    public long WalkFallbacks => _index.WalkFallbacks;

    /// <inheritdoc/>
    public SearchHits Search(ReadOnlySpan<float> heads, int headCount, float beta, int k, ItemFilter? filter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var allowed = filter is null ? _positions.ServedSet : Allowed(filter);
        if (allowed is not null && allowed.AllowedCount == 0)
            return SearchHits.Empty(headCount);
        // Scratch for the index's hits: on the stack for the usual k, pooled for a large one;
        // the only allocations are the returned hits.
        var length = k * (2 + headCount);
        var rented = length <= StackFloats ? null : ArrayPool<float>.Shared.Rent(length);
        var buffer = rented is null ? stackalloc float[length] : rented.AsSpan();
        try
        {
            var positions = MemoryMarshal.Cast<float, int>(buffer[..k]);
            var scores = buffer.Slice(k, k);
            var z = buffer.Slice(2 * k, k * headCount); // [k, heads]
            var found = _index.SearchMultiHead(heads, headCount, beta, k, Ef, allowed, positions, scores, z, Walk);
            var n = 0;
            for (var i = 0; i < found; i++)
            {
                if (_positions[positions[i]] >= 0)
                    n++;
            }
            var items = new int[n];
            var fused = new float[n];
            var headScores = new float[n * headCount];
            var j = 0;
            for (var i = 0; i < found; i++)
            {
                var item = _positions[positions[i]];
                if (item < 0)
                    continue;
                items[j] = item;
                fused[j] = scores[i];
                z.Slice(i * headCount, headCount).CopyTo(headScores.AsSpan(j * headCount, headCount));
                j++;
            }
            return new SearchHits(headCount, items, fused, headScores);
        }
        finally
        {
            if (rented is not null)
                ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>The index's allowed set for a serving filter (cached by its key).</summary>
    internal AllowedSet Allowed(ItemFilter filter)
    {
        if (_filters.TryGetValue(filter.Key, out var cached))
            return cached;
        var built = _positions.Allowed(filter);
        if (_filters.Count >= FilterCacheCapacity)
            _filters.Clear();
        return _filters.GetOrAdd(filter.Key, built);
    }

    public void Dispose() => _index.Dispose();
}
