using System.Runtime.CompilerServices;
using Mmse.Numerics;

namespace Mmse.Index;

/// <summary>Scores one node against the current query; a struct so the JIT inlines it into the traversal.</summary>
internal interface IScorer
{
    float Score(int node);

    void Prefetch(int node);
}

/// <summary>Inner product against float32 vectors [count, dim].</summary>
internal readonly unsafe struct FloatScorer(float* query, float* vectors, int dim) : IScorer
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Score(int node) => VectorKernels.Dot(query, vectors + (long)node * dim, dim);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(int node) => VectorKernels.Prefetch(vectors + (long)node * dim, dim * sizeof(float));
}

/// <summary>
/// Inner product against 8-bit codes: q . (offset + scale * c) = bias + (q * scale) . c, with
/// <paramref name="scaledQuery"/> = q * scale [dim] and <paramref name="bias"/> = q . offset
/// precomputed once per query.
/// </summary>
internal readonly unsafe struct Int8Scorer(float* scaledQuery, float bias, byte* codes, int dim) : IScorer
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Score(int node) => bias + VectorKernels.DotU8(scaledQuery, codes + (long)node * dim, dim);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(int node) => VectorKernels.Prefetch(codes + (long)node * dim, dim);
}

/// <summary>The fused score of every head [heads, dim] against float32 vectors [count, dim].</summary>
internal readonly unsafe struct FusedFloatScorer(float* heads, int headCount, float beta, float* vectors, int dim) : IScorer
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Score(int node)
    {
        var v = vectors + (long)node * dim;
        var fusion = new PostFusion.Accumulator(VectorKernels.Dot(heads, v, dim), beta);
        for (var h = 1; h < headCount; h++)
            fusion.Add(VectorKernels.Dot(heads + (long)h * dim, v, dim));
        return fusion.Score;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(int node) => VectorKernels.Prefetch(vectors + (long)node * dim, dim * sizeof(float));
}

/// <summary>
/// The fused score over 8-bit codes: z_h = bias_h + (q_h * scale) . c for every head, with
/// <paramref name="scaledHeads"/> [heads, dim] and <paramref name="biases"/> [heads] as for
/// <see cref="Int8Scorer"/>. A node's codes (one cache line at d = 64) are loaded once for all heads.
/// </summary>
internal readonly unsafe struct FusedInt8Scorer(float* scaledHeads, float* biases, int headCount, float beta, byte* codes, int dim) : IScorer
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Score(int node)
    {
        var c = codes + (long)node * dim;
        var fusion = new PostFusion.Accumulator(biases[0] + VectorKernels.DotU8(scaledHeads, c, dim), beta);
        for (var h = 1; h < headCount; h++)
            fusion.Add(biases[h] + VectorKernels.DotU8(scaledHeads + (long)h * dim, c, dim));
        return fusion.Score;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(int node) => VectorKernels.Prefetch(codes + (long)node * dim, dim);
}

/// <summary>
/// Per-thread search state, reused across queries: the visited set is an array of generation
/// stamps (a node is visited when its stamp equals the current generation), so starting a
/// query costs one increment instead of clearing n entries.
/// </summary>
internal sealed class Searcher
{
    private int _generation;
    private int[] _union = new int[256];
    private float[] _headScores = new float[8];

    public Searcher(int capacity, int m0, int dim)
    {
        Visited = new int[capacity];
        Candidates = new ScoreHeap(256);
        Results = new ScoreHeap(256);
        Links = new int[m0 + 1];
        Pending = new int[m0 + 1];
        ScaledQuery = new float[dim];
        OutScores = new float[256];
        OutNodes = new int[256];
        SelectScores = new float[256];
        SelectNodes = new int[256];
        PruneScores = new float[m0 + 2];
        PruneNodes = new int[m0 + 2];
    }

    public int[] Visited { get; private set; }

    public ScoreHeap Candidates { get; }

    public ScoreHeap Results { get; }

    /// <summary>A copy of one neighbour list [M0 + 1], taken under the node's lock during a parallel build.</summary>
    public int[] Links { get; }

    /// <summary>The unvisited neighbours of the node being expanded [M0 + 1].</summary>
    public int[] Pending { get; }

    /// <summary>query * scale for int8 traversal [dim].</summary>
    public float[] ScaledQuery { get; }

    public float[] OutScores { get; private set; }

    public int[] OutNodes { get; private set; }

    public float[] SelectScores { get; private set; }

    public int[] SelectNodes { get; private set; }

    public float[] PruneScores { get; }

    public int[] PruneNodes { get; }

    /// <summary>Starts a new visited generation over at least <paramref name="capacity"/> nodes.</summary>
    public int NextGeneration(int capacity)
    {
        if (Visited.Length < capacity)
        {
            Visited = new int[Math.Max(capacity, Visited.Length * 2)];
            _generation = 0;
        }
        if (++_generation == int.MaxValue)
        {
            Array.Clear(Visited);
            _generation = 1;
        }
        return _generation;
    }

    /// <summary>The heads' candidates of a multi-head search, at least <paramref name="count"/> long (contents kept when it grows).</summary>
    public int[] Union(int count)
    {
        if (_union.Length < count)
            Array.Resize(ref _union, Math.Max(count, _union.Length * 2));
        return _union;
    }

    private float[] _scaledHeads = [];
    private int[] _entries = new int[8];

    /// <summary>One entry point per head for the fused walk [heads].</summary>
    public int[] Entries(int heads)
    {
        if (_entries.Length < heads)
            _entries = new int[heads];
        return _entries;
    }


    /// <summary>Every head times the int8 scales [heads * dim], then one bias per head [heads].</summary>
    public float[] ScaledHeads(int heads, int dim)
    {
        if (_scaledHeads.Length < (heads * dim) + heads)
            _scaledHeads = new float[(heads * dim) + heads];
        return _scaledHeads;
    }

    /// <summary>Per-head cosines of one candidate [heads].</summary>
    public Span<float> HeadScores(int heads)
    {
        if (_headScores.Length < heads)
            _headScores = new float[heads];
        return _headScores.AsSpan(0, heads);
    }

    /// <summary>Drains <see cref="Results"/> best first into OutScores/OutNodes; returns the count.</summary>
    public int DrainResults()
    {
        Ensure(Results.Count);
        return Results.DrainDescending(OutScores, OutNodes);
    }

    /// <summary>Drains <see cref="Results"/> best first into SelectScores/SelectNodes; returns the count.</summary>
    public int DrainToSelect()
    {
        if (SelectScores.Length < Results.Count)
        {
            SelectScores = new float[Results.Count * 2];
            SelectNodes = new int[Results.Count * 2];
        }
        return Results.DrainDescending(SelectScores, SelectNodes);
    }

    private void Ensure(int count)
    {
        if (OutScores.Length >= count)
            return;
        OutScores = new float[count * 2];
        OutNodes = new int[count * 2];
    }
}
