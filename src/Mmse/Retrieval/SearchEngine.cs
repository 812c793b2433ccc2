using System.Buffers;
using System.Diagnostics;
using Mmse.Data;
using Mmse.Internals;

namespace Mmse.Retrieval;

/// <summary>
/// Limits on one search, applied before any work is done. Defaults suit a shop front end.
/// </summary>
public sealed record SearchLimits
{
    public static SearchLimits Default { get; } = new();

    /// <summary>Longest query in characters, after trimming (default 256).</summary>
    public int MaxQueryLength { get; init; } = 256;

    /// <summary>Largest k (default 1000).</summary>
    public int MaxK { get; init; } = 1000;

    /// <summary>k when the request gives none (default 10).</summary>
    public int DefaultK { get; init; } = 10;

    /// <summary>Most filter clauses in one search (default 8).</summary>
    public int MaxFilters { get; init; } = 8;

    /// <summary>Most queries in one batch (default 64).</summary>
    public int MaxBatch { get; init; } = 64;
}

/// <summary>A bad search request (empty query, k out of range, unknown filter field...): HTTP 400.</summary>
public sealed class SearchInputException : MmseInputException
{
    public SearchInputException(string parameter, string problem) : base($"'{parameter}': {problem}")
    {
        Parameter = parameter;
        Problem = problem;
    }

    public SearchInputException() { Parameter = ""; Problem = ""; }

    public SearchInputException(string message) : base(message) { Parameter = ""; Problem = message; }

    public SearchInputException(string message, Exception inner) : base(message, inner) { Parameter = ""; Problem = message; }

    /// <summary>The request parameter at fault, e.g. "k" or "queries[2].q".</summary>
    public string Parameter { get; }

    public string Problem { get; }
}

/// <summary>One validated search: trimmed query, k in range, parsed filter.</summary>
public sealed record SearchQuery(string Text, int K, ItemFilter? Filter);

/// <summary>One hit as the API returns it.</summary>
public sealed record SearchHit(int Item, string Id, string Title, string? Category, string? Brand, float Score, float[] HeadScores, int Head);

/// <summary>The answer to one search: hits best first and the time the engine spent.</summary>
public sealed record SearchResult(string Query, int K, IReadOnlyList<SearchHit> Hits, double TookMs)
{
    /// <summary>The shards of a distributed index that did not answer in time (<see cref="SearchHits.MissingShards"/>); empty when complete.</summary>
    public IReadOnlyList<string> MissingShards { get; init; } = [];

    /// <summary>True when some shard did not answer (<see cref="MissingShards"/>).</summary>
    public bool Partial => MissingShards.Count > 0;
}

/// <summary>
/// One loaded model, index and catalog, answering searches. Immutable once built, so any
/// number of threads may search it; <see cref="SearchEngineHost"/> swaps whole engines on reload.
/// </summary>
public sealed class SearchEngine : IDisposable
{
    // Starts at 1: the host's own reference. Searches take one more while they run, so a
    // retired engine is disposed only when the last search on it has finished.
    private int _references = 1;
    private int _disposed;
    private int _ownerReleased;

    /// <summary>Composes an engine; the index must match the encoder's dimension and fit the catalog.</summary>
    public SearchEngine(IQueryEncoder encoder, IItemIndex index, Catalog catalog, SearchLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(catalog);
        if (index.Dim != encoder.Dim)
            ThrowHelper.Input($"the index's vectors have dimension {index.Dim} but the model's heads have {encoder.Dim}: they were not built together");
        if (index.Count > catalog.Count)
            ThrowHelper.Input($"the index holds {index.Count} items but the catalog only {catalog.Count}: it was built from another catalog");
        if (encoder.Heads < 1 || !(encoder.Beta > 0))
            ThrowHelper.Input($"the model has {encoder.Heads} heads and beta {encoder.Beta}; needs at least 1 head and beta > 0");
        Encoder = encoder;
        Index = index;
        Catalog = catalog;
        Limits = limits ?? SearchLimits.Default;
        Filters = new ItemFilterParser(catalog);
        LoadedAt = DateTimeOffset.UtcNow;
    }

    public IQueryEncoder Encoder { get; }

    public IItemIndex Index { get; }

    public Catalog Catalog { get; }

    public SearchLimits Limits { get; }

    public ItemFilterParser Filters { get; }

    public DateTimeOffset LoadedAt { get; }

    public string ModelVersion => Encoder.Version;

    /// <summary>
    /// Checks and normalises one request's parameters; throws <see cref="SearchInputException"/>
    /// naming the parameter (prefixed by <paramref name="prefix"/>, e.g. "queries[3].") when one is bad.
    /// </summary>
    public SearchQuery Validate(string? query, int? k, IReadOnlyList<string>? filters, string prefix = "")
    {
        var text = query?.Trim();
        if (string.IsNullOrEmpty(text))
            ThrowHelper.SearchInput(prefix + "q", query is null ? "is required" : "is empty");
        if (text.Length > Limits.MaxQueryLength)
            ThrowHelper.SearchInput(prefix + "q", $"is {text.Length} characters long; the limit is {Limits.MaxQueryLength}");
        var kk = k ?? Limits.DefaultK;
        if (kk < 1 || kk > Limits.MaxK)
            ThrowHelper.SearchInput(prefix + "k", $"{kk} is out of range [1, {Limits.MaxK}]");
        if (filters is not null && filters.Count > Limits.MaxFilters)
            ThrowHelper.SearchInput(prefix + "filter", $"{filters.Count} clauses; the limit is {Limits.MaxFilters}");
        return new SearchQuery(text, kk, Filters.Parse(filters, prefix + "filter"));
    }

    /// <summary>Encodes the query, searches the index and resolves the hits to catalog items.</summary>
    public SearchResult Search(SearchQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var start = Stopwatch.GetTimestamp();
        var hits = SearchItems(query.Text, query.K, query.Filter);
        var result = new SearchHit[hits.Count];
        for (var i = 0; i < hits.Count; i++)
        {
            var item = hits.Items[i];
            if ((uint)item >= (uint)Catalog.Count)
                throw new InvalidOperationException($"the index returned item {item}, outside the catalog's {Catalog.Count}");
            result[i] = new SearchHit(item, Catalog.Ids[item], Catalog.Titles[item], Catalog.Categories[item], Catalog.Brands[item],
                hits.Scores[i], hits.HeadScores(i).ToArray(), hits.BestHead(i));
        }
        return new SearchResult(query.Text, query.K, result, Stopwatch.GetElapsedTime(start).TotalMilliseconds) { MissingShards = hits.MissingShards };
    }

    /// <summary>
    /// The hits of a validated query (catalog indices, checked to lie in the catalog) and the
    /// engine's time for it in <paramref name="tookMs"/>: <see cref="Search"/> without building
    /// the <see cref="SearchHit"/> records (the server writes its JSON from these directly).
    /// </summary>
    public SearchHits SearchItems(SearchQuery query, out double tookMs)
    {
        ArgumentNullException.ThrowIfNull(query);
        var start = Stopwatch.GetTimestamp();
        var hits = SearchItems(query.Text, query.K, query.Filter);
        foreach (var item in hits.Items)
        {
            if ((uint)item >= (uint)Catalog.Count)
                throw new InvalidOperationException($"the index returned item {item}, outside the catalog's {Catalog.Count}");
        }
        tookMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        return hits;
    }

    /// <summary>The raw hits (catalog indices and scores) for query text, without validation.</summary>
    public SearchHits SearchItems(string text, int k, ItemFilter? filter)
    {
        var length = Encoder.Heads * Encoder.Dim;
        var rented = length <= 1024 ? null : ArrayPool<float>.Shared.Rent(length);
        var heads = rented is null ? stackalloc float[length] : rented.AsSpan(0, length); // [heads, dim]
        try
        {
            Encoder.EncodeQuery(text, heads);
            return Index.Search(heads, Encoder.Heads, Encoder.Beta, k, filter);
        }
        finally
        {
            if (rented is not null)
                ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>Takes a reference for one search; false when the engine is already retired.</summary>
    internal bool TryAcquire()
    {
        var current = Volatile.Read(ref _references);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, current + 1, current);
            if (seen == current)
                return true;
            current = seen;
        }
        return false;
    }

    /// <summary>Drops a reference; the last one disposes the model and the index.</summary>
    internal void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
            DisposeParts();
    }

    /// <summary>True once the model and index have been disposed.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Releases the host's reference; parts are disposed when no search still uses them.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _ownerReleased, 1) == 0)
            Release();
    }

    private void DisposeParts()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        (Index as IDisposable)?.Dispose();
        (Encoder as IDisposable)?.Dispose();
    }
}
