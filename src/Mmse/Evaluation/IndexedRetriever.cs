using Mmse.Data;
using Mmse.Index;
using Mmse.Internals;
using Mmse.Model;
using Mmse.Retrieval;

namespace Mmse.Evaluation;

/// <summary>
/// Approximate retrieval for `search --index` and `eval --index`: the server's
/// <see cref="SearchEngine"/> over the model (<see cref="ModelQueryEncoder"/>) and the HNSW index
/// (<see cref="HnswItemIndex"/>: one walk by the fused score or one walk per head, candidates
/// re-scored with the fused score, DESIGN §7), so ids missing from the catalog follow the one
/// rule of <see cref="CatalogPositions"/>. Thread-safe.
/// </summary>
public sealed class IndexedRetriever
{
    /// <param name="model">The model whose item vectors the index holds.</param>
    /// <param name="index">An index built from <c>mmse embed</c> output of the same model (the caller keeps ownership).</param>
    /// <param name="catalog">The catalog the index's ids refer to.</param>
    /// <param name="ef">Search breadth per head; 0 for the index's default. It is raised to k when smaller.</param>
    /// <param name="walk">How a multi-head query walks the graph (one fused walk by default).</param>
    public IndexedRetriever(MmseModel model, HnswIndex index, Catalog catalog, int ef = 0, MultiHeadWalk walk = MultiHeadWalk.Fused)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(catalog);
        if (index.Dim != model.Dim)
            ThrowHelper.Input($"the index holds {index.Dim}-dimensional vectors but the model's are {model.Dim}-dimensional: was it built from this model's 'mmse embed' output?");
        // Not disposed here: the index belongs to the caller.
        Engine = new SearchEngine(new ModelQueryEncoder(model), new HnswItemIndex(index, catalog, ef, walk: walk), catalog);
    }

    /// <summary>The engine every query goes through.</summary>
    public SearchEngine Engine { get; }

    /// <summary>The top k catalog items for a query, best first, with their fused scores.</summary>
    public (int[] Items, float[] Scores) Search(string query, int k)
    {
        var hits = Engine.SearchItems(query, k, null);
        return (hits.Items.ToArray(), hits.Scores.ToArray());
    }
}
