using System.Numerics.Tensors;
using Mmse.Data;

namespace Mmse.Retrieval;

/// <summary>
/// Exact (brute-force) multi-head search over in-memory item vectors, the server's exact engine:
/// the rows are scaled to unit length and searched by <see cref="ExactPanelIndex"/> (the one exact
/// scan; items rank by <see cref="Numerics.PostFusion.FuseBounded"/> of their per-head cosines, ties
/// to the lower item). Right by construction, so it is the reference for approximate indexes and
/// serves small catalogs.
/// </summary>
public sealed class ExactItemIndex : IItemIndex
{
    private readonly ExactPanelIndex _panel;

    /// <summary>Wraps item vectors [count, dim] (row i is catalog item i); rows are L2-normalised in place, then packed.</summary>
    public ExactItemIndex(float[] vectors, int dim)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 1);
        if (vectors.Length % dim != 0)
            throw new ArgumentException($"'vectors':{vectors.Length} is not a whole number of rows of {dim}");
        var count = vectors.Length / dim;
        for (var i = 0; i < count; i++)
        {
            var row = vectors.AsSpan(i * dim, dim);
            var norm = TensorPrimitives.Norm(row);
            if (norm > 0)
                TensorPrimitives.Divide(row, norm, row);
        }
        _panel = new ExactPanelIndex(vectors, count, dim);
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

    /// <inheritdoc/>
    public int Count => _panel.Count;

    /// <inheritdoc/>
    public int Dim => _panel.Dim;

    /// <summary>The item vectors' bytes [Count, Dim] (what the server reports; the panels pad the last 32 items).</summary>
    public long SizeBytes => (long)Count * Dim * sizeof(float);

    /// <summary>Row i [Dim] (unit length).</summary>
    public ReadOnlySpan<float> Vector(int item) => _panel.Vector(item);

    /// <inheritdoc/>
    public SearchHits Search(ReadOnlySpan<float> heads, int headCount, float beta, int k, ItemFilter? filter) =>
        _panel.Search(heads, headCount, beta, k, filter);

    /// <summary>The plain version (<see cref="ExactPanelIndex"/>'s reference): tests hold the fast path to it.</summary>
    internal SearchHits SearchReference(ReadOnlySpan<float> heads, int headCount, float beta, int k, ItemFilter? filter) =>
        _panel.SearchReference(heads, headCount, beta, k, filter);
}
