using Mmse.Internals;
namespace Mmse.Index;

/// <summary>How the HNSW index stores vectors for graph traversal.</summary>
public enum VectorQuantization
{
    /// <summary>float32 everywhere.</summary>
    None = 0,

    /// <summary>
    /// 8-bit codes per dimension (per-dimension scale and offset) for traversal; the final
    /// candidates are re-scored exactly from the float vectors.
    /// </summary>
    Int8 = 1,
}

/// <summary>
/// How a post-fusion (multi-head) search walks the HNSW graph (docs/index.md, "Multi-head search").
/// Both re-score their candidates exactly with the fused score; they differ in how candidates are found.
/// </summary>
public enum MultiHeadWalk
{
    /// <summary>
    /// One walk ordered by the fused score itself: every node it meets is scored against every
    /// head (one load of its vector serves all heads), and the walk keeps ef x heads candidates.
    /// The default: at equal recall it scores about half the nodes of <see cref="PerHead"/>.
    /// </summary>
    Fused = 0,

    /// <summary>One walk per head, each keeping ef candidates, then the union is re-scored.</summary>
    PerHead = 1,
}

/// <summary>The names of <see cref="MultiHeadWalk"/> as the command line and /metrics spell them.</summary>
public static class MultiHeadWalkNames
{
    /// <summary>Every name, the default (<see cref="MultiHeadWalk.Fused"/>) first.</summary>
    public static IReadOnlyList<string> All { get; } = ["fused", "per-head"];

    public static string Name(this MultiHeadWalk walk) => walk switch
    {
        MultiHeadWalk.Fused => "fused",
        MultiHeadWalk.PerHead => "per-head",
        _ => throw new ArgumentOutOfRangeException(nameof(walk), walk, "unknown multi-head walk"),
    };

    /// <summary>The walk named <paramref name="name"/> (one of <see cref="All"/>).</summary>
    public static MultiHeadWalk Parse(string name) => name switch
    {
        "fused" => MultiHeadWalk.Fused,
        "per-head" => MultiHeadWalk.PerHead,
        _ => ThrowHelper.Input<MultiHeadWalk>($"unknown multi-head walk '{name}'; known: {string.Join(", ", All)}"),
    };
}

/// <summary>
/// Build and search parameters of <see cref="HnswIndex"/>. Every default is the value used when
/// the flag is not given on the command line.
/// </summary>
public sealed record HnswOptions
{
    /// <summary>Links per node on the upper layers (layer 0 keeps 2M). Default 16.</summary>
    public int M { get; init; } = 16;

    /// <summary>Candidate list size while building. Default 200.</summary>
    public int EfConstruction { get; init; } = 200;

    /// <summary>Candidate list size at query time when a search passes ef &lt;= 0. Default 64.</summary>
    public int EfSearch { get; init; } = 64;

    /// <summary>Traversal representation. Default <see cref="VectorQuantization.None"/>.</summary>
    public VectorQuantization Quantization { get; init; } = VectorQuantization.None;

    /// <summary>Build threads; 0 = all cores. 1 builds the same graph every time for a seed.</summary>
    public int Threads { get; init; }

    /// <summary>Seed of the level draws. Default 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Scale item vectors to unit length on insert, so inner product is cosine. Default true.</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>
    /// A filtered search whose allowed set holds fewer than this fraction of the items (or at
    /// most ef items) is always answered exactly over the allowed set; above it, a cost
    /// estimate chooses between the exact scan and the graph walk (docs/index.md). Default 0.02.
    /// </summary>
    public double ExactFilterFraction { get; init; } = 0.02;

    /// <summary>
    /// When more than this fraction of the items are deleted, the index is rebuilt from the
    /// live items (positions change). Default 0.25; 1 or more never compacts automatically.
    /// </summary>
    public double CompactDeletedFraction { get; init; } = 0.25;

    /// <summary>The worker threads a build uses: <see cref="Threads"/>, or every core when it is 0.</summary>
    public int ResolvedThreads => Threads > 0 ? Threads : Environment.ProcessorCount;

    internal void Validate()
    {
        if (M is < 2 or > 256)
            throw new ArgumentOutOfRangeException(nameof(M), M, "'M' must be in [2, 256]");
        if (EfConstruction < 1)
            throw new ArgumentOutOfRangeException(nameof(EfConstruction), EfConstruction, "'EfConstruction' must be >= 1");
        if (EfSearch < 1)
            throw new ArgumentOutOfRangeException(nameof(EfSearch), EfSearch, "'EfSearch' must be >= 1");
        if (Threads < 0)
            throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "'Threads' must be >= 0");
        if (!(ExactFilterFraction >= 0) || !(CompactDeletedFraction > 0))
            throw new ArgumentOutOfRangeException(nameof(ExactFilterFraction), "fractions must be >= 0 (compaction > 0)");
        if (!Enum.IsDefined(Quantization))
            throw new ArgumentOutOfRangeException(nameof(Quantization), Quantization, "unknown quantization");
    }
}

/// <summary>One search result: the item's position in the index, its id and its score (inner product).</summary>
public readonly record struct IndexHit(int Position, string Id, float Score);

/// <summary>One multi-head result: the fused score and the per-head scores z_k [heads].</summary>
public sealed record MultiHeadHit(int Position, string Id, float Score, float[] HeadScores);

/// <summary>
/// What every vector index offers to filters and to the catalog mapping: positions and their ids.
/// (The retrieval boundary, which answers with catalog items, is <see cref="Retrieval.IItemIndex"/>.)
/// </summary>
public interface IPositionIds
{
    /// <summary>Number of positions (deleted ones included).</summary>
    int Count { get; }

    /// <summary>Vector dimension.</summary>
    int Dim { get; }

    /// <summary>The id stored at a position.</summary>
    string IdAt(int position);

    /// <summary>True when the position holds a deleted item (never returned). Default: nothing is deleted.</summary>
    bool IsDeleted(int position) => false;
}
