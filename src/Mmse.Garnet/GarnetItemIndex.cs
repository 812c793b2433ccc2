using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Mmse.Data;
using Mmse.Numerics;
using Mmse.Retrieval;
using StackExchange.Redis;

namespace Mmse.Garnet;

/// <summary>How the server searches the cluster. Defaults suit a shop front end on a LAN.</summary>
public sealed record GarnetSearchOptions
{
    /// <summary>Candidate list per head and shard (VSIM EF; default 64, the in-process index's --ef).</summary>
    public int Ef { get; init; } = 64;

    /// <summary>Candidates each head asks of each shard, at least k (default 0 = k).</summary>
    public int Candidates { get; init; }

    /// <summary>
    /// How long a search waits for its shards (default 250 ms). A shard that has not answered by
    /// then is left out and named in the answer (<see cref="SearchHits.MissingShards"/>).
    /// </summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Elements a filtered VSIM may visit looking for matches (VSIM FILTER-EF; default 256, the
    /// most Garnet's preview accepts).
    /// </summary>
    public int FilterEf { get; init; } = 256;

    /// <summary>
    /// A filter that lets through at most this share of the catalog is answered by an exact scan of
    /// the matching elements (VSIM TRUTH) instead of the graph, which misses matches of a selective
    /// filter once FILTER-EF is exhausted (default 0.02, the in-process index's threshold).
    /// </summary>
    public double ExactFilterFraction { get; init; } = 0.02;

    /// <summary>The most candidates a filtered VSIM asks one shard for (default 1000).</summary>
    public int MaxFilteredCount { get; init; } = 1000;

    /// <summary>Pause between retries of a shard after a connection error, MOVED/ASK or CLUSTERDOWN (default 20 ms).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(20);
}

/// <summary>Counts of one shard since start: requests, errors, time outs (left out of an answer).</summary>
public sealed class ShardStats(string key)
{
    internal long _requests;
    internal long _errors;
    internal long _timeouts;

    /// <summary>The shard's vector-set key.</summary>
    public string Key { get; } = key;

    /// <summary>Searches that asked this shard.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Failed commands: connection errors, MOVED, CLUSTERDOWN... (each retried) and failures for good (the shard is left out).</summary>
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Searches answered without this shard because it missed the deadline or failed for good.</summary>
    public long Timeouts => Interlocked.Read(ref _timeouts);
}

/// <summary>
/// Multi-head search over item vectors in Garnet vector sets (issue 14): each head's VSIM goes
/// to every shard at once, each shard's candidates get the cosines of the heads that did not
/// return them (their vectors fetched with VEMB in the same round trip), the union is ranked by
/// <see cref="PostFusion.Fuse(ReadOnlySpan{float}, float)"/> and cut to k. Filters become VSIM
/// <c>FILTER</c> expressions. Thread-safe. Per-shard latency and errors go to the
/// <c>Mmse.Garnet</c> meter (and <see cref="Shards"/>).
/// </summary>
public sealed class GarnetItemIndex : IItemIndex, IDisposable
{
    /// <summary>
    /// The meter of the per-shard instruments, each tagged <c>shard</c> = the shard's key (as in
    /// <see cref="SearchHits.MissingShards"/>): <c>mmse_garnet_shard_seconds</c> (histogram),
    /// <c>mmse_garnet_shard_errors</c> and <c>mmse_garnet_shard_timeouts</c> (counters). The server
    /// exports them on /metrics as <c>mmse_garnet_shard_seconds</c>, <c>..._errors_total</c>, <c>..._timeouts_total</c>.
    /// </summary>
    public const string MeterName = "Mmse.Garnet";

    private static readonly Meter s_meter = new(MeterName);
    private static readonly Histogram<double> s_latency = s_meter.CreateHistogram<double>("mmse_garnet_shard_seconds", "s", "Time of one shard's part of a search");
    private static readonly Counter<long> s_errors = s_meter.CreateCounter<long>("mmse_garnet_shard_errors", description: "Failed shard commands (transient ones retried)");
    private static readonly Counter<long> s_timeouts = s_meter.CreateCounter<long>("mmse_garnet_shard_timeouts", description: "Shards left out of an answer (deadline or failure)");

    private readonly IConnectionMultiplexer _connection;
    private readonly bool _ownsConnection;
    private readonly IDatabase _db;
    private readonly Catalog _catalog;
    private readonly PublishManifest _manifest;
    private readonly GarnetSearchOptions _options;
    private readonly ShardStats[] _stats;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, double> _selectivity = new(StringComparer.Ordinal);

    /// <summary>Searches the sets of <paramref name="manifest"/>; ids resolve against <paramref name="catalog"/>.</summary>
    public GarnetItemIndex(IConnectionMultiplexer connection, PublishManifest manifest, Catalog catalog, GarnetSearchOptions? options = null,
        bool ownsConnection = false)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(catalog);
        _connection = connection;
        _ownsConnection = ownsConnection;
        _db = connection.GetDatabase();
        _manifest = manifest;
        _catalog = catalog;
        _options = options ?? new GarnetSearchOptions();
        _stats = [.. manifest.Shards.Select(k => new ShardStats(k))];
    }

    /// <inheritdoc/>
    public int Count => Math.Min(_manifest.Count, _catalog.Count);

    /// <inheritdoc/>
    public int Dim => _manifest.Dim;

    /// <summary>Nothing held here: the vectors live in the cluster.</summary>
    public long SizeBytes => 0;

    /// <summary>Per-shard counts since start.</summary>
    public IReadOnlyList<ShardStats> Shards => _stats;

    /// <inheritdoc/>
    public SearchHits Search(ReadOnlySpan<float> heads, int headCount, float beta, int k, ItemFilter? filter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (heads.Length != headCount * Dim)
            throw new ArgumentException($"'heads':{heads.Length} must be {headCount} heads of {Dim}");
        var query = heads.ToArray(); // [heads, dim]
        var blobs = new byte[headCount][];
        for (var h = 0; h < headCount; h++)
        {
            var head = query.AsSpan(h * Dim, Dim);
            blobs[h] = TensorPrimitives.Norm(head) > 0 ? MemoryMarshal.AsBytes(head).ToArray() : [];
        }
        var expression = VectorSetLayout.FilterExpression(filter);
        var count = Math.Max(k, _options.Candidates);
        var selectivity = filter is null ? 1.0 : Selectivity(filter);
        var exact = selectivity <= _options.ExactFilterFraction;
        // Garnet keeps COUNT elements and then filters them (docs/scaling.md, "Gaps"): ask for
        // enough that COUNT matches survive, up to MaxFilteredCount.
        if (filter is not null)
            count = (int)Math.Max(count, Math.Min(_options.MaxFilteredCount, Math.Ceiling(count / Math.Max(selectivity, 1e-9))));

        using var deadline = new CancellationTokenSource(_options.Deadline);
        var tasks = new Task<List<Candidate>>[_stats.Length];
        for (var s = 0; s < tasks.Length; s++)
            tasks[s] = SearchShardAsync(s, query, blobs, count, expression, exact, deadline.Token);
        try
        {
            Task.WaitAll(tasks, _options.Deadline + TimeSpan.FromMilliseconds(50));
        }
        catch (AggregateException)
        {
            // A shard that failed for good is reported missing below, like one that timed out.
        }

        var missing = new List<string>();
        var all = new List<Candidate>();
        for (var s = 0; s < tasks.Length; s++)
        {
            if (tasks[s].IsCompletedSuccessfully)
            {
                all.AddRange(tasks[s].Result);
            }
            else
            {
                missing.Add(_stats[s].Key);
                Interlocked.Increment(ref _stats[s]._timeouts);
                s_timeouts.Add(1, Tag(s));
                if (tasks[s].IsFaulted)
                {
                    // Failed for good (not a retried kind of error): an error as well as a shard left out.
                    Interlocked.Increment(ref _stats[s]._errors);
                    s_errors.Add(1, Tag(s));
                }
            }
        }
        deadline.Cancel();

        foreach (var candidate in all)
            candidate.Score = PostFusion.Fuse(candidate.Z, beta);
        all.Sort(static (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Item.CompareTo(b.Item));
        var n = Math.Min(k, all.Count);
        var items = new int[n];
        var scores = new float[n];
        var headScores = new float[n * headCount]; // [n, heads]
        for (var i = 0; i < n; i++)
        {
            items[i] = all[i].Item;
            scores[i] = all[i].Score;
            all[i].Z.CopyTo(headScores.AsSpan(i * headCount, headCount));
        }
        return new SearchHits(headCount, items, scores, headScores) { MissingShards = missing };
    }

    private KeyValuePair<string, object?> Tag(int shard) => new("shard", _stats[shard].Key);

    // The share of the catalog a filter lets through, counted once per distinct filter.
    private double Selectivity(ItemFilter filter)
    {
        if (_selectivity.TryGetValue(filter.Key, out var known))
            return known;
        var allowed = 0;
        for (var i = 0; i < _catalog.Count; i++)
        {
            if (filter.Allows(i))
                allowed++;
        }
        var fraction = _catalog.Count == 0 ? 0 : (double)allowed / _catalog.Count;
        if (_selectivity.Count < 10_000)
            _selectivity.TryAdd(filter.Key, fraction);
        return fraction;
    }

    private sealed class Candidate(int item, float[] z)
    {
        public int Item { get; } = item;

        public float[] Z { get; } = z; // [heads]; NaN until known

        public float Score { get; set; }
    }

    private async Task<List<Candidate>> SearchShardAsync(int shard, float[] query, byte[][] blobs, int count, string? expression, bool exact,
        CancellationToken cancel)
    {
        var stats = _stats[shard];
        Interlocked.Increment(ref stats._requests);
        var start = Stopwatch.GetTimestamp();
        var key = (RedisKey)stats.Key;
        var headCount = blobs.Length;
        while (true)
        {
            try
            {
                var found = new Dictionary<string, Candidate>(StringComparer.Ordinal);
                var replies = new Task<RedisResult>?[headCount];
                for (var h = 0; h < headCount; h++)
                {
                    if (blobs[h].Length == 0)
                        continue;
                    List<object> args = [key, "FP32", blobs[h], "WITHSCORES", "COUNT", count, "EF", Math.Max(_options.Ef, count)];
                    if (expression is not null)
                        args.AddRange(["FILTER", expression, "FILTER-EF", Math.Clamp(Math.Max(_options.FilterEf, count), 4, 256)]);
                    if (exact)
                        args.Add("TRUTH");
                    replies[h] = _db.ExecuteAsync("VSIM", args, CommandFlags.PreferMaster);
                }
                for (var h = 0; h < headCount; h++)
                {
                    if (replies[h] is null)
                        continue;
                    var reply = (RedisResult[])(await replies[h]!.WaitAsync(cancel).ConfigureAwait(false))!;
                    for (var i = 0; i + 1 < reply.Length; i += 2)
                    {
                        var id = (string)reply[i]!;
                        if (!found.TryGetValue(id, out var candidate))
                        {
                            var item = _catalog.IndexOf(id);
                            if (item < 0)
                                continue; // published from another catalog version; this server cannot show it
                            candidate = new Candidate(item, new float[headCount]);
                            for (var z = 0; z < headCount; z++)
                                candidate.Z[z] = blobs[z].Length == 0 ? 0f : float.NaN; // a head with no signal has cosine 0
                            found.Add(id, candidate);
                        }
                        // Garnet answers the squared L2 distance; on unit vectors cos = 1 - d / 2.
                        candidate.Z[h] = 1f - (float)(double)reply[i + 1] / 2f;
                    }
                }
                await FillMissingHeadsAsync(key, found, query, blobs, cancel).ConfigureAwait(false);
                var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
                s_latency.Record(elapsed, Tag(shard));
                return [.. found.Values];
            }
            catch (Exception e) when (IsTransient(e) && !cancel.IsCancellationRequested)
            {
                Interlocked.Increment(ref stats._errors);
                s_errors.Add(1, Tag(shard));
                await Task.Delay(_options.RetryDelay, cancel).ConfigureAwait(false);
            }
        }
    }

    // A candidate one head found has no score for the others: fetch its vector and compute them.
    private async Task FillMissingHeadsAsync(RedisKey key, Dictionary<string, Candidate> found, float[] query, byte[][] blobs, CancellationToken cancel)
    {
        var pending = new List<(Candidate Candidate, Task<RedisResult> Reply)>();
        foreach (var (id, candidate) in found)
        {
            if (!candidate.Z.Any(float.IsNaN))
                continue;
            pending.Add((candidate, _db.ExecuteAsync("VEMB", [key, id], CommandFlags.PreferMaster)));
        }
        var vector = new float[Dim];
        foreach (var (candidate, reply) in pending)
        {
            var values = (RedisResult[])(await reply.WaitAsync(cancel).ConfigureAwait(false))!;
            if (values.Length != Dim)
                throw new InvalidOperationException($"VEMB {key} answered {values.Length} values, not {Dim}");
            for (var j = 0; j < Dim; j++)
                vector[j] = (float)(double)values[j];
            for (var h = 0; h < blobs.Length; h++)
            {
                if (float.IsNaN(candidate.Z[h]))
                    candidate.Z[h] = blobs[h].Length == 0 ? 0f : TensorPrimitives.Dot(query.AsSpan(h * Dim, Dim), vector);
            }
        }
    }

    private static bool IsTransient(Exception e) => e switch
    {
        RedisConnectionException or RedisTimeoutException => true,
        RedisServerException server => server.Message.StartsWith("MOVED", StringComparison.Ordinal)
            || server.Message.StartsWith("ASK", StringComparison.Ordinal)
            || server.Message.StartsWith("CLUSTERDOWN", StringComparison.Ordinal)
            || server.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal)
            || server.Message.StartsWith("LOADING", StringComparison.Ordinal),
        _ => false,
    };

    /// <summary>Closes the connection when this index opened it.</summary>
    public void Dispose()
    {
        if (_ownsConnection)
            _connection.Dispose();
    }
}
