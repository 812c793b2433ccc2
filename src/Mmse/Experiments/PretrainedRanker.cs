using Mmse.Backbone;
using Mmse.Data;
using Mmse.Evaluation;
using Mmse.Internals;
using Mmse.Retrieval;

namespace Mmse.Experiments;

/// <summary>
/// The <c>pretrained</c> row: the backbone alone, no training. Items are read as the models with a
/// backbone read them (<see cref="BackboneRuntime.ItemText"/>, through the same item-vector cache),
/// queries get the backbone's query prefix, and the ranking is exact cosine search over the whole
/// catalog, so this row is exactly where a model with a backbone starts.
/// </summary>
public sealed class PretrainedRanker : IDisposable
{
    private readonly BackboneRuntime _runtime;
    private readonly int _threads;

    private PretrainedRanker(BackboneRuntime runtime, int threads)
    {
        _runtime = runtime;
        _threads = threads;
    }

    /// <summary>The backbone's name.</summary>
    public string Backbone => _runtime.Name;

    /// <summary>The backbone's vector width.</summary>
    public int Dimension => _runtime.Dimension;

    /// <summary>The runtime (shared with the trained models of the same backbone and cache folder).</summary>
    public BackboneRuntime Runtime => _runtime;

    /// <summary>
    /// Loads <paramref name="backbone"/> (an <see cref="MmseArtifactException"/> naming its package when it
    /// cannot) with its item cache under <paramref name="cacheDirectory"/> (default
    /// <see cref="BackboneRuntime.DefaultCacheDirectory"/>), and checks the cache now: a corrupt one
    /// fails before any training.
    /// </summary>
    public static PretrainedRanker Open(string backbone, string? cacheDirectory = null, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        var runtime = BackboneRuntime.Shared(backbone, cacheDirectory);
        runtime.CheckCache();
        return new PretrainedRanker(runtime, threads);
    }

    /// <summary>Unit item vectors [catalog.Count, D], from the cache, the missing ones encoded (with progress).</summary>
    public float[] EncodeCatalog(Catalog catalog, ProgressReporter? progress = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return _runtime.EncodeCatalog(catalog, progress);
    }

    /// <summary>The top <paramref name="k"/> items of every query by exact cosine.</summary>
    public RankedList[] Search(float[] items, int count, IReadOnlyList<string> queries, int k)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(queries);
        var vectors = _runtime.EncodeQueries(queries); // [queries, dim], unit length
        var index = new ExactPanelIndex(items, count, Dimension, _threads);
        var hits = index.SearchMany(vectors, queries.Count, 1, 1f, Math.Min(k, count), _threads);
        return [.. hits.Select(h => new RankedList(h.Items, h.Scores))];
    }

    /// <summary>Nothing to release: the runtime is the process's shared one.</summary>
    public void Dispose()
    {
    }
}
