using Mmse.Text;

namespace Mmse.Data;

/// <summary>Summary of a search log against its catalog: what `mmse data stats` reports.</summary>
public sealed record LogStatistics
{
    public required int Requests { get; init; }
    public required int DistinctQueries { get; init; }
    public required int CatalogItems { get; init; }

    /// <summary>Displayed items per action: order, cart, click, none.</summary>
    public required long Order { get; init; }
    public required long Cart { get; init; }
    public required long Click { get; init; }
    public required long None { get; init; }

    public required int RequestsWithPositive { get; init; }
    public required int RequestsWithOrder { get; init; }
    public required double ItemsPerRequestMean { get; init; }
    public required int ItemsPerRequestP50 { get; init; }
    public required int ItemsPerRequestP95 { get; init; }
    public required int ItemsPerRequestMax { get; init; }

    /// <summary>Displayed ids absent from the catalog (dropped; only possible with skip-bad).</summary>
    public required long UnknownItemIds { get; init; }

    /// <summary>Items repeated within one request (merged, deepest action kept).</summary>
    public required long DuplicateItemsInRequest { get; init; }

    /// <summary>Distinct (normalised query, item) pairs acted on (click, cart or order) in one request and exposed but ignored in another.</summary>
    public required long InconsistentPairs { get; init; }

    /// <summary>Distinct catalog items displayed at least once.</summary>
    public required int DisplayedItems { get; init; }

    /// <summary>Most frequent normalised queries with their request counts.</summary>
    public required IReadOnlyList<KeyValuePair<string, int>> TopQueries { get; init; }

    /// <summary>Computes the statistics; <paramref name="top"/> bounds <see cref="TopQueries"/>.</summary>
    public static LogStatistics Compute(Catalog catalog, SearchLog log, int top = 10)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(log);
        // Raw query -> normalised id; logs repeat queries, so each distinct spelling is normalised once.
        var queryIds = new Dictionary<string, int>(StringComparer.Ordinal);
        var rawIds = new Dictionary<string, int>(StringComparer.Ordinal);
        var queryCounts = new List<int>();
        var requestQuery = new int[log.Count];
        for (var r = 0; r < log.Count; r++)
        {
            var raw = log.Queries[r];
            if (!rawIds.TryGetValue(raw, out var id))
            {
                var q = QueryNormalizer.Normalize(raw);
                if (!queryIds.TryGetValue(q, out id))
                {
                    id = queryIds.Count;
                    queryIds.Add(q, id);
                    queryCounts.Add(0);
                }
                rawIds.Add(raw, id);
            }
            queryCounts[id]++;
            requestQuery[r] = id;
        }

        long order = 0, cart = 0, click = 0, none = 0;
        int withPositive = 0, withOrder = 0;
        var sizes = new int[log.Count];
        for (var r = 0; r < log.Count; r++)
        {
            var actions = log.ActionsOf(r);
            sizes[r] = actions.Length;
            bool positive = false, ordered = false;
            foreach (var a in actions)
            {
                switch (a)
                {
                    case UserAction.Order: order++; positive = ordered = true; break;
                    case UserAction.Cart: cart++; positive = true; break;
                    case UserAction.Click: click++; positive = true; break;
                    default: none++; break;
                }
            }
            if (positive) withPositive++;
            if (ordered) withOrder++;
        }

        var displayed = new bool[catalog.Count];
        foreach (var item in log.Items)
            displayed[item] = true;

        Array.Sort(sizes);
        var names = new string[queryIds.Count];
        foreach (var (q, id) in queryIds)
            names[id] = q;
        var topQueries = Enumerable.Range(0, names.Length)
            .OrderByDescending(i => queryCounts[i]).ThenBy(i => names[i], StringComparer.Ordinal)
            .Take(top).Select(i => new KeyValuePair<string, int>(names[i], queryCounts[i])).ToList();

        return new LogStatistics
        {
            Requests = log.Count,
            DistinctQueries = queryIds.Count,
            CatalogItems = catalog.Count,
            Order = order,
            Cart = cart,
            Click = click,
            None = none,
            RequestsWithPositive = withPositive,
            RequestsWithOrder = withOrder,
            ItemsPerRequestMean = log.Count == 0 ? 0 : (double)log.Items.Length / log.Count,
            ItemsPerRequestP50 = Percentile(sizes, 0.50),
            ItemsPerRequestP95 = Percentile(sizes, 0.95),
            ItemsPerRequestMax = sizes.Length == 0 ? 0 : sizes[^1],
            UnknownItemIds = log.UnknownItemIds,
            DuplicateItemsInRequest = log.DuplicateItemsMerged,
            InconsistentPairs = CountInconsistentPairs(log, requestQuery),
            DisplayedItems = displayed.Count(d => d),
            TopQueries = topQueries,
        };
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    private static int Percentile(int[] sorted, double p)
    {
        if (sorted.Length == 0) return 0;
        var rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    /// <summary>
    /// Distinct (query, item) pairs acted on somewhere and ignored elsewhere. Positives are a
    /// small share of displayed items, so their pairs go into a hash set, and each ignored item
    /// probes it. Most probes miss, so a small bit filter of the positive pairs (a one-hash
    /// Bloom filter that fits in cache) answers them first; only its few false hits and the
    /// true ones reach the set. Sorting every displayed pair (30M longs) took several times longer.
    /// </summary>
    private static long CountInconsistentPairs(SearchLog log, int[] requestQuery)
    {
        static long Key(int query, int item) => ((long)query << 32) | (uint)item;
        var positive = new HashSet<long>(MixedKeyComparer.Instance);
        for (var r = 0; r < log.Count; r++)
        {
            for (var i = log.Offsets[r]; i < log.Offsets[r + 1]; i++)
            {
                if (log.Actions[i] != UserAction.None)
                    positive.Add(Key(requestQuery[r], log.Items[i]));
            }
        }
        if (positive.Count == 0)
            return 0;

        // [2^bits] about 16 bits per positive pair: about 6% of absent pairs pass the filter.
        var bits = Math.Clamp(System.Numerics.BitOperations.Log2((uint)positive.Count) + 5, 10, 30);
        var filter = new ulong[1 << (bits - 6)];
        var shift = 64 - bits;
        foreach (var key in positive)
        {
            var bit = MixedKeyComparer.Mix(key) >> shift;
            filter[bit >> 6] |= 1UL << (int)(bit & 63);
        }

        var inconsistent = new HashSet<long>(MixedKeyComparer.Instance);
        for (var r = 0; r < log.Count; r++)
        {
            var query = requestQuery[r];
            for (var i = log.Offsets[r]; i < log.Offsets[r + 1]; i++)
            {
                if (log.Actions[i] != UserAction.None)
                    continue;
                var key = Key(query, log.Items[i]);
                var bit = MixedKeyComparer.Mix(key) >> shift;
                if ((filter[bit >> 6] & (1UL << (int)(bit & 63))) != 0 && positive.Contains(key))
                    inconsistent.Add(key);
            }
        }
        return inconsistent.Count;
    }
}

/// <summary>
/// long.GetHashCode xors the halves, so (query, item) keys with small numbers in both halves
/// collide en masse; a multiplicative (Fibonacci) hash spreads them.
/// </summary>
internal sealed class MixedKeyComparer : IEqualityComparer<long>
{
    public static readonly MixedKeyComparer Instance = new();

    public bool Equals(long x, long y) => x == y;

    public int GetHashCode(long obj) => (int)(Mix(obj) >> 32);

    /// <summary>Fibonacci hashing: the high bits of the product depend on every bit of the key.</summary>
    public static ulong Mix(long key) => (ulong)key * 0x9E3779B97F4A7C15UL;
}
