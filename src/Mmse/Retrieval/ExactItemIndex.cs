using System.Numerics.Tensors;
using Mmse.Data;
using Mmse.Numerics;

namespace Mmse.Retrieval;

/// <summary>
/// Exact (brute-force) multi-head search over in-memory item vectors: every item is scored with
/// the fused score of its per-head cosines and the best k are kept. Right by construction, so it
/// is the reference for approximate indexes and serves small catalogs.
/// </summary>
public sealed class ExactItemIndex : IItemIndex
{
    private readonly float[] _vectors; // [count, dim], rows L2-normalised

    /// <summary>Wraps item vectors [count, dim] (row i is catalog item i); rows are L2-normalised in place.</summary>
    public ExactItemIndex(float[] vectors, int dim)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 1);
        if (vectors.Length % dim != 0)
            throw new ArgumentException($"'vectors':{vectors.Length} is not a whole number of rows of {dim}");
        _vectors = vectors;
        Dim = dim;
        Count = vectors.Length / dim;
        for (var i = 0; i < Count; i++)
        {
            var row = _vectors.AsSpan(i * dim, dim);
            var norm = TensorPrimitives.Norm(row);
            if (norm > 0)
                TensorPrimitives.Divide(row, norm, row);
        }
    }

    /// <summary>Embeds every catalog item with <paramref name="encoder"/>.</summary>
    public static ExactItemIndex Build(Catalog catalog, HashingQueryEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(encoder);
        var vectors = new float[(long)catalog.Count * encoder.Dim];
        for (var i = 0; i < catalog.Count; i++)
            encoder.EncodeItem(catalog.Titles[i], catalog.Brands[i], catalog.Categories[i], vectors.AsSpan(i * encoder.Dim, encoder.Dim));
        return new ExactItemIndex(vectors, encoder.Dim);
    }

    public int Count { get; }

    public int Dim { get; }

    public long SizeBytes => (long)_vectors.Length * sizeof(float);

    /// <summary>Row i [Dim].</summary>
    public ReadOnlySpan<float> Vector(int item) => _vectors.AsSpan(item * Dim, Dim);

    /// <inheritdoc/>
    public SearchHits Search(ReadOnlySpan<float> heads, int headCount, float beta, int k, ItemFilter? filter)
    {
        CheckArguments(heads, headCount, k);
        // Min-heap of the best k so far: the root is the worst kept hit, replaced when beaten.
        var heapItems = new int[Math.Min(k, Count)];
        var heapScores = new float[heapItems.Length];
        var size = 0;
        Span<float> z = stackalloc float[headCount];
        for (var i = 0; i < Count; i++)
        {
            if (filter is not null && !filter.Allows(i))
                continue;
            var row = _vectors.AsSpan(i * Dim, Dim);
            var maxZ = float.NegativeInfinity;
            for (var h = 0; h < headCount; h++)
            {
                z[h] = TensorPrimitives.Dot(heads.Slice(h * Dim, Dim), row);
                maxZ = MathF.Max(maxZ, z[h]);
            }
            // The fused score is a weighted mean of the z_k, so it never exceeds their max: an
            // item whose best head cannot beat the worst kept hit is skipped without the exps.
            if (size == heapItems.Length && size > 0 && maxZ < heapScores[0])
                continue;
            var score = PostFusion.Fuse(z, beta);
            if (size < heapItems.Length)
            {
                heapItems[size] = i;
                heapScores[size] = score;
                SiftUp(heapItems, heapScores, size++);
            }
            else if (size > 0 && Better(score, i, heapScores[0], heapItems[0]))
            {
                heapItems[0] = i;
                heapScores[0] = score;
                SiftDown(heapItems, heapScores, size);
            }
        }
        // Pop worst-first into the back of the result so it ends best-first.
        var items = new int[size];
        var scores = new float[size];
        for (var n = size - 1; n >= 0; n--)
        {
            items[n] = heapItems[0];
            scores[n] = heapScores[0];
            heapItems[0] = heapItems[n];
            heapScores[0] = heapScores[n];
            SiftDown(heapItems, heapScores, n);
        }
        return new SearchHits(headCount, items, scores, HeadScores(heads, headCount, items));
    }

    /// <summary>The plain version: score everything with scalar loops, sort, take k. Tests hold the fast path to it.</summary>
    internal SearchHits SearchReference(ReadOnlySpan<float> heads, int headCount, float beta, int k, ItemFilter? filter)
    {
        CheckArguments(heads, headCount, k);
        var all = new List<(int Item, float Score)>();
        var z = new float[headCount];
        for (var i = 0; i < Count; i++)
        {
            if (filter is not null && !filter.Allows(i))
                continue;
            for (var h = 0; h < headCount; h++)
            {
                double dot = 0;
                for (var d = 0; d < Dim; d++)
                    dot += heads[h * Dim + d] * _vectors[i * Dim + d];
                z[h] = (float)dot;
            }
            all.Add((i, PostFusion.Fuse(z, beta)));
        }
        all.Sort((a, b) => Better(a.Score, a.Item, b.Score, b.Item) ? -1 : Better(b.Score, b.Item, a.Score, a.Item) ? 1 : 0);
        var top = all.Take(k).ToArray();
        int[] items = [.. top.Select(t => t.Item)];
        return new SearchHits(headCount, items, [.. top.Select(t => t.Score)], HeadScores(heads, headCount, items));
    }

    private void CheckArguments(ReadOnlySpan<float> heads, int headCount, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(headCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (heads.Length != headCount * Dim)
            throw new ArgumentException($"'heads':{heads.Length} must equal headCount x dim = {headCount * Dim}");
    }

    private float[] HeadScores(ReadOnlySpan<float> heads, int headCount, int[] items)
    {
        var result = new float[items.Length * headCount]; // [hits, heads]
        for (var n = 0; n < items.Length; n++)
        {
            var row = Vector(items[n]);
            for (var h = 0; h < headCount; h++)
                result[n * headCount + h] = TensorPrimitives.Dot(heads.Slice(h * Dim, Dim), row);
        }
        return result;
    }

    // Higher score first; equal scores by lower item number, so results never depend on scan order.
    private static bool Better(float scoreA, int itemA, float scoreB, int itemB) =>
        scoreA > scoreB || (scoreA == scoreB && itemA < itemB);

    private static void SiftUp(int[] items, float[] scores, int n)
    {
        while (n > 0)
        {
            var parent = (n - 1) / 2;
            if (!Better(scores[parent], items[parent], scores[n], items[n]))
                break;
            Swap(items, scores, n, parent);
            n = parent;
        }
    }

    private static void SiftDown(int[] items, float[] scores, int size)
    {
        var n = 0;
        while (true)
        {
            var left = 2 * n + 1;
            if (left >= size)
                break;
            var worst = left;
            var right = left + 1;
            if (right < size && Better(scores[worst], items[worst], scores[right], items[right]))
                worst = right;
            if (!Better(scores[n], items[n], scores[worst], items[worst]))
                break;
            Swap(items, scores, n, worst);
            n = worst;
        }
    }

    private static void Swap(int[] items, float[] scores, int a, int b)
    {
        (items[a], items[b]) = (items[b], items[a]);
        (scores[a], scores[b]) = (scores[b], scores[a]);
    }
}
