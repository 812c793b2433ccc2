using Mmse.Data;
using Mmse.Index;
using Mmse.Model;

namespace Mmse.Evaluation;

/// <summary>
/// Approximate retrieval for `search --index` and `eval --index`: encodes the query with the
/// model, searches the HNSW index with every scoring head (one walk by the fused score or one walk
/// per head, candidates re-scored with the fused score, DESIGN §7) and maps index positions back to catalog items. Thread-safe.
/// </summary>
public sealed class IndexedRetriever
{
    private readonly MmseModel _model;
    private readonly HnswIndex _index;
    private readonly int[] _catalogItemAt;
    private readonly int _ef;
    private readonly MultiHeadWalk _walk;

    /// <param name="model">The model whose item vectors the index holds.</param>
    /// <param name="index">An index built from <c>mmse embed</c> output of the same model.</param>
    /// <param name="catalog">The catalog the index's ids refer to.</param>
    /// <param name="ef">Search breadth per head; 0 for the index's default. It is raised to k when smaller.</param>
    /// <param name="walk">How a multi-head query walks the graph (one fused walk by default).</param>
    public IndexedRetriever(MmseModel model, HnswIndex index, Catalog catalog, int ef = 0, MultiHeadWalk walk = MultiHeadWalk.Fused)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(catalog);
        if (index.Dim != model.Dim)
            throw new MmseInputException($"the index holds {index.Dim}-dimensional vectors but the model's are {model.Dim}-dimensional: was it built from this model's 'mmse embed' output?");
        _model = model;
        _index = index;
        _ef = ef;
        _walk = walk;
        _catalogItemAt = index.CatalogItems(catalog);
        var missing = _catalogItemAt.Count(i => i < 0);
        if (missing == _catalogItemAt.Length && missing > 0)
            throw new MmseInputException("none of the index's ids is in the catalog: was it built for another catalog?");
    }

    /// <summary>The top k catalog items for a query, best first, with their fused scores.</summary>
    public (int[] Items, float[] Scores) Search(string query, int k)
    {
        var heads = new float[_model.Heads * _model.Dim];
        _model.EncodeQuery(query, heads);
        var scoring = new float[_model.ScoringHeads * _model.Dim];
        _model.ScoringQuery(heads, scoring);
        var ef = Math.Max(_ef, k);
        var items = new List<int>(k);
        var scores = new List<float>(k);
        if (_model.ScoringHeads == 1)
        {
            foreach (var hit in _index.Search(scoring, k, ef))
                Add(hit.Position, hit.Score);
        }
        else
        {
            foreach (var hit in _index.SearchMultiHead(scoring, _model.ScoringHeads, _model.Beta, k, ef, null, _walk))
                Add(hit.Position, hit.Score);
        }
        return ([.. items], [.. scores]);

        void Add(int position, float score)
        {
            var item = _catalogItemAt[position];
            if (item < 0) return;  // an id the catalog does not have
            items.Add(item);
            scores.Add(score);
        }
    }
}
