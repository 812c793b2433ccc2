using Mmse.Backbone;
using Mmse.Data;
using Mmse.Evaluation;
using Mmse.Internals;
using Mmse.Retrieval;

namespace Mmse.Experiments;

/// <summary>
/// The <c>pretrained</c> row: a frozen sentence encoder ranks the catalog with no training, by
/// exact cosine between the query's vector (with the backbone's query prefix) and each item
/// title's vector. Title vectors go through an <see cref="ItemVectorCache"/> when a path is given,
/// so a second run over the same catalog encodes nothing. <see cref="Open"/> loads the encoder and
/// opens the cache at once, so a missing backbone or a corrupt cache fails before any training.
/// </summary>
public sealed class PretrainedRanker : IDisposable
{
    private readonly BackboneEncoder _encoder;
    private readonly ItemVectorCache? _cache;
    private readonly int _threads;

    private PretrainedRanker(BackboneEncoder encoder, ItemVectorCache? cache, int threads)
    {
        _encoder = encoder;
        _cache = cache;
        _threads = threads;
    }

    /// <summary>The backbone's name.</summary>
    public string Backbone => _encoder.Model.Name;

    /// <summary>Vector width.</summary>
    public int Dimension => _encoder.Dimension;

    /// <summary>
    /// Loads backbone <paramref name="backbone"/> and opens (or creates) the cache at
    /// <paramref name="cachePath"/> when given. An unknown name is an <see cref="MmseInputException"/>;
    /// a backbone that cannot load, or a foreign, corrupt or other backbone's cache, an
    /// <see cref="MmseArtifactException"/>.
    /// </summary>
    public static PretrainedRanker Open(string backbone, string? cachePath = null, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        var encoder = BackboneEncoder.Load(backbone, new BackboneOptions { Threads = threads, QueryCacheCapacity = 0 });
        try
        {
            if (cachePath is not null && Path.GetDirectoryName(Path.GetFullPath(cachePath)) is { } directory)
                Directory.CreateDirectory(directory);
            var cache = cachePath is null ? null : ItemVectorCache.Open(cachePath, encoder.Model);
            return new PretrainedRanker(encoder, cache, threads);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>The unit vectors [catalog, Dimension] of every item's title, from the cache where it has them.</summary>
    public float[] EncodeCatalog(Catalog catalog, ProgressReporter? progress = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        progress ??= ProgressReporter.Silent;
        var vectors = new float[catalog.Count * Dimension];
        if (_cache is null)
        {
            // Chunks only so the progress bar moves; the vectors do not depend on the chunking.
            const int chunk = 1024;
            for (var start = 0; start < catalog.Count; start += chunk)
            {
                var count = Math.Min(chunk, catalog.Count - start);
                _encoder.EncodeItems(new ArraySegment<string>(catalog.Titles, start, count), vectors.AsSpan(start * Dimension, count * Dimension));
                progress.Report(start + count, catalog.Count, "titles");
            }
            return vectors;
        }
        var scratch = new float[Dimension];
        var missing = catalog.Titles.Distinct(StringComparer.Ordinal).Count(t => !_cache.TryGet(t, scratch));
        _cache.GetOrEncode(_encoder, catalog.Titles, vectors, 1024, new Progress<int>(n => progress.Report(n, missing, "titles")));
        return vectors;
    }

    /// <summary>The top <paramref name="k"/> items of each query by cosine with <paramref name="items"/> [count, Dimension].</summary>
    public RankedList[] Search(float[] items, int count, IReadOnlyList<string> queries, int k)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(queries);
        var vectors = new float[queries.Count * Dimension]; // [queries, dim], unit length
        _encoder.EncodeQueries(queries, vectors);
        var index = new ExactPanelIndex(items, count, Dimension, _threads);
        var hits = index.SearchMany(vectors, queries.Count, 1, 1f, Math.Min(k, count), _threads);
        return [.. hits.Select(h => new RankedList(h.Items, h.Scores))];
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _cache?.Dispose();
        _encoder.Dispose();
    }
}
