namespace Mmse.Retrieval;

/// <summary>
/// Answers a multi-head query with the top-k catalog items by fused score (DESIGN §7). Item
/// numbers are dense catalog indices. Implementations must be thread-safe for searches.
/// </summary>
public interface IItemIndex
{
    /// <summary>How many items the index holds (at most the catalog's count).</summary>
    int Count { get; }

    /// <summary>The vector length d; must equal the encoder's.</summary>
    int Dim { get; }

    /// <summary>Memory the index takes (its file size for a mapped index), for /metrics.</summary>
    long SizeBytes { get; }

    /// <summary>
    /// The best <paramref name="k"/> items for the query heads <paramref name="heads"/>
    /// [<paramref name="headCount"/>, Dim], by <c>PostFusion.Fuse(per-head cosines, beta)</c> (the exact
    /// indexes use its bounded form <c>PostFusion.FuseBounded</c>, equal within float rounding),
    /// best first, keeping only items <paramref name="filter"/> allows (all when null).
    /// </summary>
    SearchHits Search(ReadOnlySpan<float> heads, int headCount, float beta, int k, ItemFilter? filter);
}

/// <summary>
/// The hits of one search, best first: item i is <c>Items[i]</c> with fused score
/// <c>Scores[i]</c> and per-head cosines <c>HeadScores(i)</c>.
/// </summary>
public sealed class SearchHits
{
    private readonly int[] _items;
    private readonly float[] _scores;
    private readonly float[] _headScores; // [count, heads]

    /// <summary>Wraps the arrays (not copied); <paramref name="headScores"/> is [items.Length, heads].</summary>
    public SearchHits(int heads, int[] items, float[] scores, float[] headScores)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(headScores);
        ArgumentOutOfRangeException.ThrowIfLessThan(heads, 1);
        if (scores.Length != items.Length || headScores.Length != items.Length * heads)
            throw new ArgumentException($"'scores':{scores.Length} and 'headScores':{headScores.Length} must hold {items.Length} hits of {heads} heads");
        Heads = heads;
        _items = items;
        _scores = scores;
        _headScores = headScores;
    }

    public int Count => _items.Length;

    /// <summary>
    /// The parts of a distributed index (Garnet shards, issue 14) that did not answer in time,
    /// so these hits come from the rest only; empty for a complete answer.
    /// </summary>
    public IReadOnlyList<string> MissingShards { get; init; } = [];

    /// <summary>True when some shard did not answer (<see cref="MissingShards"/>).</summary>
    public bool Partial => MissingShards.Count > 0;

    public int Heads { get; }

    public ReadOnlySpan<int> Items => _items;

    public ReadOnlySpan<float> Scores => _scores;

    /// <summary>The per-head cosines of hit <paramref name="hit"/> [Heads].</summary>
    public ReadOnlySpan<float> HeadScores(int hit) => _headScores.AsSpan(hit * Heads, Heads);

    /// <summary>The head with the highest cosine for hit <paramref name="hit"/>: the intent that matched.</summary>
    public int BestHead(int hit)
    {
        var z = HeadScores(hit);
        var best = 0;
        for (var h = 1; h < z.Length; h++)
        {
            if (z[h] > z[best])
                best = h;
        }
        return best;
    }

    public static SearchHits Empty(int heads) => new(heads, [], [], []);
}
