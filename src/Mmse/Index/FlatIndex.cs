using Mmse.Numerics;

namespace Mmse.Index;

// Why this stays beside Retrieval.ExactPanelIndex (the one exact scan for items, evaluation and the
// bench's ground truth, ExactPanelIndex.GroundTruth): FlatIndex is the single-query exact search over
// index *positions* with ids, and its loops (Exact below) are the ones HnswIndex itself runs for its
// filtered and multi-head fall-backs over its own storage (raw pointers, deleted rows, HNSW ids, the
// row order that breaks HNSW's ties). The HNSW tests compare against it bit for bit, so it must score
// with the same kernels (VectorKernels.Dot, PostFusion.Fuse) as HnswIndex, not the panel's FMA chain.

/// <summary>
/// Exact (brute-force) inner-product search over positions: the ground truth the approximate index's
/// tests compare with, scoring exactly as <see cref="HnswIndex"/>'s own brute-force fall-back does.
/// </summary>
public sealed unsafe class FlatIndex : IPositionIds
{
    private readonly float[] _vectors; // [count, dim]
    private readonly string[] _ids;

    /// <summary>
    /// An exact index over <paramref name="vectors"/> [count, dim] (copied; scaled to unit
    /// length when <paramref name="normalize"/>). Ids default to the positions as text.
    /// </summary>
    public FlatIndex(ReadOnlySpan<float> vectors, int dim, IReadOnlyList<string>? ids = null, bool normalize = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        if (vectors.Length % dim != 0)
            throw new ArgumentException($"'vectors':{vectors.Length} values must be a multiple of 'dim':{dim}");
        Dim = dim;
        Count = vectors.Length / dim;
        if (ids is not null && ids.Count != Count)
            throw new ArgumentException($"'ids':{ids.Count} must equal the number of vectors {Count}");
        _vectors = vectors.ToArray();
        if (normalize)
        {
            for (var i = 0; i < Count; i++)
                VectorKernels.Normalize(_vectors.AsSpan(i * dim, dim));
        }
        _ids = ids is null ? [.. Enumerable.Range(0, Count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))] : [.. ids];
    }

    public int Count { get; }

    public int Dim { get; }

    public string IdAt(int position) => _ids[position];

    /// <summary>The vector stored at a position [dim].</summary>
    public ReadOnlySpan<float> Vector(int position) => _vectors.AsSpan(position * Dim, Dim);

    /// <summary>The k items with the highest inner product with <paramref name="query"/> [dim], best first.</summary>
    public IndexHit[] Search(ReadOnlySpan<float> query, int k, AllowedSet? filter = null)
    {
        CheckQuery(query.Length, 1);
        var heap = new ScoreHeap(k + 1);
        fixed (float* v = _vectors)
        fixed (float* q = query)
            Exact.TopK(v, Count, Dim, q, k, filter, null, heap);
        var scores = new float[heap.Count];
        var nodes = new int[heap.Count];
        heap.DrainDescending(scores, nodes);
        return [.. nodes.Select((n, i) => new IndexHit(n, _ids[n], scores[i]))];
    }

    /// <summary>
    /// Exact post-fusion search: the k items with the highest fused score of the
    /// <paramref name="headCount"/> heads [headCount, dim] (DESIGN §4), with per-head scores.
    /// </summary>
    public MultiHeadHit[] SearchMultiHead(ReadOnlySpan<float> heads, int headCount, float beta, int k, AllowedSet? filter = null)
    {
        CheckQuery(heads.Length, headCount);
        fixed (float* v = _vectors)
        fixed (float* h = heads)
            return Exact.FusedTopK(v, Count, Dim, h, headCount, beta, k, filter, null, _ids.AsSpan(), null);
    }

    private void CheckQuery(int length, int heads)
    {
        if (heads < 1 || length != heads * Dim)
            throw new ArgumentException($"'query':{length} values must equal {heads} x the index's dimension {Dim}");
    }
}

/// <summary>Brute-force loops shared by <see cref="FlatIndex"/> and <see cref="HnswIndex"/>'s filtered fall-back.</summary>
internal static unsafe class Exact
{
    /// <summary>Pushes the best k of the allowed, live rows into <paramref name="heap"/> (cleared first).</summary>
    public static void TopK(float* vectors, int count, int dim, float* query, int k, AllowedSet? filter, byte* deleted, ScoreHeap heap)
    {
        heap.Clear();
        if (k <= 0)
            return;
        if (filter is not null && filter.AllowedCount < count / 8)
        {
            foreach (var p in filter.Positions())
            {
                if (p < count && (deleted == null || deleted[p] == 0))
                    heap.PushBounded(VectorKernels.Dot(query, vectors + (long)p * dim, dim), p, k);
            }
            return;
        }
        for (var p = 0; p < count; p++)
        {
            if ((deleted != null && deleted[p] != 0) || (filter is not null && !filter.Contains(p)))
                continue;
            var s = VectorKernels.Dot(query, vectors + (long)p * dim, dim);
            if (heap.Count < k || s > heap.TopScore)
                heap.PushBounded(s, p, k);
        }
    }

    /// <summary>Fused multi-head scores over the given candidates (all rows when null); best k first.</summary>
    public static MultiHeadHit[] FusedTopK(
        float* vectors, int count, int dim, float* heads, int headCount, float beta, int k,
        AllowedSet? filter, byte* deleted, ReadOnlySpan<string> ids, IEnumerable<int>? candidates,
        Func<int, string>? idAt = null)
    {
        var heap = new ScoreHeap(k + 1);
        var z = new float[headCount];
        IEnumerable<int> rows = candidates ?? (filter is not null ? filter.Positions() : Enumerable.Range(0, count));
        foreach (var p in rows)
        {
            if ((uint)p >= (uint)count || (deleted != null && deleted[p] != 0) || (filter is not null && !filter.Contains(p)))
                continue;
            for (var h = 0; h < headCount; h++)
                z[h] = VectorKernels.Dot(heads + (long)h * dim, vectors + (long)p * dim, dim);
            heap.PushBounded(PostFusion.Fuse(z, beta), p, k);
        }
        var scores = new float[heap.Count];
        var nodes = new int[heap.Count];
        heap.DrainDescending(scores, nodes);
        var hits = new MultiHeadHit[nodes.Length];
        for (var i = 0; i < hits.Length; i++)
        {
            var perHead = new float[headCount];
            for (var h = 0; h < headCount; h++)
                perHead[h] = VectorKernels.Dot(heads + (long)h * dim, vectors + (long)nodes[i] * dim, dim);
            hits[i] = new MultiHeadHit(nodes[i], idAt is null ? ids[nodes[i]] : idAt(nodes[i]), scores[i], perHead);
        }
        return hits;
    }
}
