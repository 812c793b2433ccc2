using System.Globalization;
using Mmse.Data;
using Mmse.Index;
using Mmse.Internals;

namespace Mmse.Retrieval;

/// <summary>
/// Builds a <see cref="SearchEngine"/> from files. The server calls it once at start and again
/// on every reload, so a reload re-reads whatever the files hold then.
/// </summary>
public interface IEngineLoader
{
    /// <summary>What it loads, for logs and errors (e.g. "model m.bin, index i.hnsw, catalog c.jsonl").</summary>
    string Description { get; }

    /// <summary>Loads a complete engine, or throws (<see cref="MmseInputException"/> for a missing or bad file).</summary>
    SearchEngine Load(CancellationToken cancellationToken);
}

/// <summary>A loader from a function (tests, and adapters that need no class of their own).</summary>
public sealed class DelegateEngineLoader(string description, Func<CancellationToken, SearchEngine> load) : IEngineLoader
{
    public string Description { get; } = description;

    public SearchEngine Load(CancellationToken cancellationToken) => load(cancellationToken);
}

/// <summary>
/// Where <c>mmse serve</c> loads from: <c>--model</c>, <c>--index</c>, <c>--catalog</c>, the
/// HNSW candidate list per head <c>--ef</c> (default 64; 0 = the value stored in the index file)
/// and how a multi-head query walks the graph <c>--walk</c> (default one fused walk).
/// </summary>
public sealed record EngineSource(string Model, string Index, string Catalog, int Ef = EngineSource.DefaultEf,
    MultiHeadWalk Walk = MultiHeadWalk.Fused)
{
    public const int DefaultEf = 64;
}

/// <summary>
/// The loader of <c>mmse serve</c>. The model is a file written by <c>mmse train</c>
/// (<see cref="ModelQueryEncoder"/>) or the built-in, untrained <c>hashing</c> encoder
/// (<c>hashing:dim=N</c>; a stand-in for tests and demos that need no trained model). The index
/// is an HNSW file written by <c>mmse index</c> (<see cref="HnswItemIndex"/>, memory-mapped),
/// <c>exact</c> (exact search over the catalog's items, embedded with the model at load time),
/// or a <c>.fvecs</c> file of item vectors, one row per catalog item in catalog order, searched
/// exactly. Every load re-reads the files, so a reload picks up whatever they hold then.
/// </summary>
public sealed class BuiltInEngineLoader(EngineSource source, SearchLimits? limits = null) : IEngineLoader
{
    public EngineSource Source { get; } = source ?? throw new ArgumentNullException(nameof(source));

    public string Description => $"model {Source.Model}, index {Source.Index}, catalog {Source.Catalog}";

    public SearchEngine Load(CancellationToken cancellationToken)
    {
        var encoder = LoadEncoder(Source.Model);
        var catalog = CatalogReader.Read(Source.Catalog);
        cancellationToken.ThrowIfCancellationRequested();
        var index = LoadIndex(encoder, catalog);
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            return new SearchEngine(encoder, index, catalog, limits);
        }
        catch (MmseInputException e) when (e is not SearchInputException)
        {
            (index as IDisposable)?.Dispose();
            return ThrowHelper.Input<SearchEngine>($"model {Source.Model} and index {Source.Index} do not fit: {e.Message}", e);
        }
        catch
        {
            (index as IDisposable)?.Dispose();
            throw;
        }
    }

    private IItemIndex LoadIndex(IQueryEncoder encoder, Catalog catalog)
    {
        if (Source.Index == "exact")
        {
            return encoder switch
            {
                HashingQueryEncoder hashing => ExactItemIndex.Build(catalog, hashing),
                ModelQueryEncoder model => new ExactItemIndex(model.Model.EncodeItems(catalog), model.Dim),
                _ => throw new InvalidOperationException($"no item encoder for {encoder.GetType().Name}"),
            };
        }
        ThrowHelper.IfFileMissing(Source.Index);
        if (Source.Index.EndsWith(".fvecs", StringComparison.OrdinalIgnoreCase))
        {
            var vectors = Vectors.ReadFvecs(Source.Index, out var count, out var dim);
            if (count != catalog.Count)
                ThrowHelper.Artifact(Source.Index, $"holds {count} vectors but the catalog {Source.Catalog} has {catalog.Count} items; one row per item, in catalog order");
            VectorManifest.VerifyServed(Source.Index, count, dim, catalog.Ids, Source.Catalog, (encoder as ModelQueryEncoder)?.Version);
            return new ExactItemIndex(vectors, dim);
        }
        return HnswItemIndex.Open(Source.Index, catalog, Source.Ef, Source.Walk);
    }

    /// <summary>The built-in <c>hashing</c> / <c>hashing:dim=N</c> encoder, or a trained model file.</summary>
    public static IQueryEncoder LoadEncoder(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model == "hashing" || model.StartsWith("hashing:", StringComparison.Ordinal))
            return LoadHashingEncoder(model);
        return ModelQueryEncoder.Load(model);
    }

    /// <summary>Parses <c>hashing</c> or <c>hashing:dim=N</c>.</summary>
    public static HashingQueryEncoder LoadHashingEncoder(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model == "hashing")
            return new HashingQueryEncoder();
        const string prefix = "hashing:dim=";
        if (model.StartsWith(prefix, StringComparison.Ordinal)
            && int.TryParse(model.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var dim)
            && dim is >= 8 and <= 4096)
            return new HashingQueryEncoder(new HashingEncoderOptions { Dim = dim });
        return ThrowHelper.Input<HashingQueryEncoder>($"--model '{model}': the built-in encoder is 'hashing' or 'hashing:dim=N' (8..4096)");
    }
}
