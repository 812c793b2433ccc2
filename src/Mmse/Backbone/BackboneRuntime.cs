using System.Collections.Concurrent;
using Mmse.Data;
using Mmse.Internals;

namespace Mmse.Backbone;

/// <summary>
/// What a model with a backbone needs at run time: the loaded encoder, the on-disk cache of item
/// vectors (<see cref="ItemVectorCache"/>, one file per backbone, keyed by text, so a changed title
/// is encoded again and nothing else is) and an in-memory cache of query vectors. One runtime per
/// backbone and cache folder is shared by the process (<see cref="Shared"/>): loading the ONNX
/// session costs about half a second and its memory is the same for every model.
/// </summary>
public sealed class BackboneRuntime
{
    private static readonly ConcurrentDictionary<(string, string), Lazy<BackboneRuntime>> s_shared = new();
    private readonly Lock _cacheLock = new();
    private readonly QueryVectorCache _queries;

    /// <summary>A runtime over a loaded encoder, caching item vectors under <paramref name="cacheDirectory"/>.</summary>
    public BackboneRuntime(BackboneEncoder encoder, string cacheDirectory, int queryCacheCapacity = 1 << 16)
    {
        Encoder = encoder ?? throw new ArgumentNullException(nameof(encoder));
        CacheDirectory = cacheDirectory ?? throw new ArgumentNullException(nameof(cacheDirectory));
        _queries = new QueryVectorCache(queryCacheCapacity);
    }

    /// <summary>The encoder.</summary>
    public BackboneEncoder Encoder { get; }

    /// <summary>Where the item vector cache lives (<see cref="ItemCachePath"/>).</summary>
    public string CacheDirectory { get; }

    /// <summary>The backbone's vector width.</summary>
    public int Dimension => Encoder.Dimension;

    /// <summary>The backbone's name.</summary>
    public string Name => Encoder.Model.Name;

    /// <summary>The item vector cache file: CacheDirectory/&lt;backbone&gt;-items.bvc.</summary>
    public string ItemCachePath => Path.Combine(CacheDirectory, Name + "-items.bvc");

    /// <summary>
    /// The cache folder when none is given: $MMSE_BACKBONE_CACHE, else $XDG_CACHE_HOME/mmse, else
    /// ~/.cache/mmse.
    /// </summary>
    public static string DefaultCacheDirectory
    {
        get
        {
            var explicitDir = Environment.GetEnvironmentVariable("MMSE_BACKBONE_CACHE");
            if (!string.IsNullOrWhiteSpace(explicitDir)) return explicitDir;
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var root = !string.IsNullOrWhiteSpace(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(root, "mmse");
        }
    }

    /// <summary>
    /// The process's runtime for backbone <paramref name="name"/> with its item cache under
    /// <paramref name="cacheDirectory"/> (default <see cref="DefaultCacheDirectory"/>), loaded on
    /// first use. A backbone that cannot be loaded is an <see cref="MmseArtifactException"/> naming
    /// its package (and the next call tries again).
    /// </summary>
    public static BackboneRuntime Shared(string name, string? cacheDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var dir = Path.GetFullPath(cacheDirectory ?? DefaultCacheDirectory);
        var key = (BackboneModel.Get(name).Name, dir);
        var lazy = s_shared.GetOrAdd(key, k => new Lazy<BackboneRuntime>(() => new BackboneRuntime(BackboneEncoder.Load(k.Item1), k.Item2)));
        try
        {
            return lazy.Value;
        }
        catch
        {
            s_shared.TryRemove(new KeyValuePair<(string, string), Lazy<BackboneRuntime>>(key, lazy));
            throw;
        }
    }

    /// <summary>
    /// The text of an item the backbone reads: its title, with the brand in front when the title does
    /// not already name it (the other fields reach the model through the hashed tokens).
    /// </summary>
    public static string ItemText(Catalog catalog, int item)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var title = catalog.Titles[item] ?? "";
        var brand = catalog.Brands[item];
        return string.IsNullOrWhiteSpace(brand) || title.Contains(brand, StringComparison.OrdinalIgnoreCase) ? title : brand + " " + title;
    }

    /// <summary>
    /// Backbone vectors [catalog.Count, D] of every item: read from the cache, the missing ones
    /// encoded (with progress) and appended to it. A corrupt cache is an <see cref="MmseArtifactException"/>
    /// naming the file; delete it to start over.
    /// </summary>
    public float[] EncodeCatalog(Catalog catalog, ProgressReporter? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var texts = new string[catalog.Count];
        for (var i = 0; i < texts.Length; i++)
            texts[i] = ItemText(catalog, i);
        var vectors = new float[(long)texts.Length * Dimension];
        lock (_cacheLock)
        {
            CreateCacheDirectory();
            using var cache = ItemVectorCache.Open(ItemCachePath, Encoder.Model);
            var missing = texts.Distinct(StringComparer.Ordinal).Count(t => !cache.TryGet(t, new float[Dimension]));
            var reporter = progress ?? ProgressReporter.Silent;
            if (missing > 0)
                reporter.Start($"backbone {Name}: encoding {missing:N0} item texts (cache {ItemCachePath})");
            cancellation.ThrowIfCancellationRequested();
            cache.GetOrEncode(Encoder, texts, vectors, 1024, new SyncProgress<int>(n => reporter.Report(n, missing, $"{n:N0}/{missing:N0} texts")));
        }
        return vectors;
    }

    /// <summary>
    /// Opens and reads the item cache (creating the folder and an empty cache when missing), so a
    /// corrupt cache or an unwritable folder fails now (exit 2) rather than after hours of work.
    /// </summary>
    public void CheckCache()
    {
        lock (_cacheLock)
        {
            CreateCacheDirectory();
            using var cache = ItemVectorCache.Open(ItemCachePath, Encoder.Model);
        }
    }

    private void CreateCacheDirectory()
    {
        try
        {
            Directory.CreateDirectory(CacheDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ThrowHelper.Input($"backbone cache folder '{CacheDirectory}' cannot be created: {e.Message} (set MMSE_BACKBONE_CACHE or --backbone-cache)");
        }
    }

    /// <summary>Backbone vectors [queries, D] of many queries, through the in-memory query cache.</summary>
    public float[] EncodeQueries(IReadOnlyList<string> queries)
    {
        ArgumentNullException.ThrowIfNull(queries);
        var d = Dimension;
        var result = new float[(long)queries.Count * d];
        var missing = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var q in queries)
        {
            if (!_queries.TryGet(q, out _) && seen.Add(q))
                missing.Add(q);
        }
        const int chunk = 4096;
        for (var s = 0; s < missing.Count; s += chunk)
        {
            var part = missing.GetRange(s, Math.Min(chunk, missing.Count - s));
            var vectors = new float[part.Count * d];
            Encoder.EncodeQueries(part, vectors);
            for (var i = 0; i < part.Count; i++)
                _queries.Add(part[i], vectors.AsSpan(i * d, d).ToArray());
        }
        var memo = new Dictionary<string, float[]>(StringComparer.Ordinal);
        for (var i = 0; i < queries.Count; i++)
        {
            if (!_queries.TryGet(queries[i], out var v) && !memo.TryGetValue(queries[i], out v))
            {
                // Evicted meanwhile (more distinct queries than the cache holds): encode it again.
                v = new float[d];
                Encoder.EncodeQueries([queries[i]], v);
                memo[queries[i]] = v;
            }
            v.CopyTo(result.AsSpan(i * d, d));
        }
        return result;
    }

    /// <summary>The backbone vector of one query (cached; callers must not change it).</summary>
    public float[] EncodeQuery(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (_queries.TryGet(query, out var v)) return v;
        v = Encoder.EncodeQuery(query);
        _queries.Add(query, v);
        return v;
    }
}
