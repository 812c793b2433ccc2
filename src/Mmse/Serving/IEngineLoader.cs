using System.Globalization;
using Mmse.Data;

namespace Mmse.Serving;

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

/// <summary>Where <c>mmse serve</c> loads from: <c>--model</c>, <c>--index</c>, <c>--catalog</c>.</summary>
public sealed record EngineSource(string Model, string Index, string Catalog);

/// <summary>
/// The loader for what this build can read: the model <c>hashing</c> (the built-in
/// <see cref="HashingQueryEncoder"/>, optionally <c>hashing:dim=N</c>) and the index <c>exact</c>
/// (exact search over the catalog's items, embedded at load time) or a <c>.fvecs</c> file of item
/// vectors, one row per catalog item in catalog order. Trained model and HNSW index files are
/// read by the loader of those formats, which replaces this one in <c>mmse serve</c>.
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
        IItemIndex index;
        if (Source.Index == "exact")
        {
            index = ExactItemIndex.Build(catalog, encoder);
        }
        else if (Source.Index.EndsWith(".fvecs", StringComparison.OrdinalIgnoreCase))
        {
            if (!File.Exists(Source.Index))
                throw new MmseInputException($"{Source.Index}: file not found");
            var vectors = Vectors.ReadFvecs(Source.Index, out var count, out var dim);
            if (count != catalog.Count)
                throw new MmseArtifactException(Source.Index, $"holds {count} vectors but the catalog {Source.Catalog} has {catalog.Count} items; one row per item, in catalog order");
            index = new ExactItemIndex(vectors, dim);
        }
        else
        {
            throw new MmseInputException($"--index '{Source.Index}': this build reads 'exact' or a .fvecs file of item vectors");
        }
        return new SearchEngine(encoder, index, catalog, limits);
    }

    /// <summary>Parses <c>hashing</c> or <c>hashing:dim=N</c>.</summary>
    public static HashingQueryEncoder LoadEncoder(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model == "hashing")
            return new HashingQueryEncoder();
        const string prefix = "hashing:dim=";
        if (model.StartsWith(prefix, StringComparison.Ordinal)
            && int.TryParse(model.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var dim)
            && dim is >= 8 and <= 4096)
            return new HashingQueryEncoder(new HashingEncoderOptions { Dim = dim });
        throw new MmseInputException($"--model '{model}': this build reads the built-in 'hashing' (or 'hashing:dim=N', 8..4096) encoder");
    }
}
