using Mmse.Data;
using Mmse.Internals;
using Mmse.Retrieval;

namespace Mmse.Garnet;

/// <summary>
/// The loader of <c>mmse serve --backend garnet://...</c>: the model and catalog from files as
/// usual, the item vectors from the cluster. Refuses a manifest that is missing, incomplete
/// (a publish is running or was interrupted) or written by another model or dimension.
/// </summary>
public sealed class GarnetEngineLoader(GarnetTarget target, string model, string catalog, GarnetSearchOptions? options = null,
    SearchLimits? limits = null) : IEngineLoader
{
    /// <inheritdoc/>
    public string Description => $"model {model}, garnet {string.Join(',', target.Endpoints)} ({target.ManifestKey}), catalog {catalog}";

    /// <inheritdoc/>
    public SearchEngine Load(CancellationToken cancellationToken)
    {
        var encoder = BuiltInEngineLoader.LoadEncoder(model);
        var items = CatalogReader.Read(catalog);
        cancellationToken.ThrowIfCancellationRequested();
        // IItemIndex.Search is synchronous, so each request thread blocks while its shards answer
        // on other pool threads; with the default minimum the pool adds threads ~1/s and a paced
        // load queues for seconds (measured: 16 requests/s, p50 0.6 s at 10 connections).
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 128), io);
        var connection = target.Connect();
        try
        {
            var manifest = new GarnetPublisher(connection, target).ReadManifest()
                ?? ThrowHelper.Input<PublishManifest>($"Garnet at {string.Join(',', target.Endpoints)} has no {target.ManifestKey}: run 'mmse publish' first");
            if (!manifest.Complete)
                ThrowHelper.Input($"{target.ManifestKey}: a publish is running or was interrupted; run 'mmse publish' again to finish it");
            if (manifest.ModelVersion != encoder.Version || manifest.Dim != encoder.Dim)
                ThrowHelper.Input($"{target.ManifestKey} holds vectors of model {manifest.ModelVersion} (d={manifest.Dim}), " +
                    $"but --model {model} is {encoder.Version} (d={encoder.Dim}): publish this model first");
            var index = new GarnetItemIndex(connection, manifest, items, options, ownsConnection: true);
            return new SearchEngine(encoder, index, items, limits);
        }
        catch
        {
            connection.Dispose();
            (encoder as IDisposable)?.Dispose();
            throw;
        }
    }
}
