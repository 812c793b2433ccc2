using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Mmse.Index;
using Mmse.Retrieval;

namespace Mmse.Server;

/// <summary>
/// Request counts by route and status and a latency histogram per route, kept with lock-free
/// counters and rendered in the Prometheus text format (version 0.0.4) by <see cref="Render"/>.
/// </summary>
public sealed class ServerMetrics
{
    /// <summary>Histogram bucket upper bounds in seconds (Prometheus' "le").</summary>
    public static readonly double[] Buckets = [0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly ConcurrentDictionary<(string Route, int Status), Counter> _requests = new();
    private readonly ConcurrentDictionary<string, Histogram> _latency = new(StringComparer.Ordinal);
    private long _queries;

    /// <summary>Counts one finished request.</summary>
    public void Record(string route, int status, double seconds)
    {
        _requests.GetOrAdd((route, status), static _ => new Counter()).Increment();
        _latency.GetOrAdd(route, static _ => new Histogram()).Observe(seconds);
    }

    /// <summary>Counts searches answered (a batch counts each of its queries).</summary>
    public void AddQueries(int count) => Interlocked.Add(ref _queries, count);

    /// <summary>The requests counted for a route and status so far.</summary>
    public long Requests(string route, int status) =>
        _requests.TryGetValue((route, status), out var counter) ? counter.Value : 0;

    /// <summary>Everything, in the Prometheus text format.</summary>
    public string Render(SearchEngineHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var engine = host.Current;
        var text = new StringBuilder(4096);
        var inv = CultureInfo.InvariantCulture;

        Header(text, "mmse_http_requests_total", "counter", "HTTP requests by route and status code.");
        foreach (var ((route, status), counter) in _requests.OrderBy(p => p.Key.Route, StringComparer.Ordinal).ThenBy(p => p.Key.Status))
            text.Append(inv, $"mmse_http_requests_total{{route=\"{Escape(route)}\",status=\"{status}\"}} {counter.Value}\n");
        Header(text, "mmse_http_request_duration_seconds", "histogram", "Time from request start to response end, by route.");
        foreach (var (route, histogram) in _latency.OrderBy(p => p.Key, StringComparer.Ordinal))
            histogram.Render(text, Escape(route));
        Single(text, "mmse_search_queries_total", "counter", "Searches answered (each query of a batch counts).", "", Interlocked.Read(ref _queries));

        Single(text, "mmse_index_items", "gauge", "Items in the serving index.", "", engine.Index.Count);
        Single(text, "mmse_index_size_bytes", "gauge", "Size of the serving index.", "", engine.Index.SizeBytes);
        if (engine.Index is HnswItemIndex hnsw)
        {
            Single(text, "mmse_index_search_info", "gauge", "How the HNSW index is searched (value always 1): candidates per head (0 = the file's) and the multi-head walk.",
                $"{{ef=\"{hnsw.Ef}\",walk=\"{hnsw.Walk.Name()}\"}}", 1);
            Single(text, "mmse_index_cached_filters", "gauge", "Filter bitsets cached by the serving index.", "", hnsw.CachedFilters);
            Single(text, "mmse_index_walk_fallbacks_total", "counter",
                "Filtered graph walks that ran over their budget and were answered by the exact scan, since the engine was loaded.", "", hnsw.WalkFallbacks);
        }
        Single(text, "mmse_catalog_items", "gauge", "Items in the serving catalog.", "", engine.Catalog.Count);
        Single(text, "mmse_model_info", "gauge", "The serving model (value always 1).",
            $"{{version=\"{Escape(engine.ModelVersion)}\",heads=\"{engine.Encoder.Heads}\",dim=\"{engine.Encoder.Dim}\"}}", 1);
        Single(text, "mmse_engine_loaded_timestamp_seconds", "gauge", "When the serving engine was loaded (Unix time).", "", engine.LoadedAt.ToUnixTimeMilliseconds() / 1000.0);
        Header(text, "mmse_reloads_total", "counter", "Reloads by outcome.");
        text.Append(inv, $"mmse_reloads_total{{outcome=\"swapped\"}} {host.Reloads}\n");
        text.Append(inv, $"mmse_reloads_total{{outcome=\"failed\"}} {host.FailedReloads}\n");

        // The runtime's side of latency: CPU used, garbage collections and their pauses, bytes
        // allocated (bench/server/run.sh divides the differences by the requests of a run).
        Single(text, "process_cpu_seconds_total", "counter", "CPU time of the process (user and system).", "", Environment.CpuUsage.TotalTime.TotalSeconds);
        Header(text, "dotnet_gc_collections_total", "counter", "Garbage collections by generation (a gen 1 collection also counts in gen 0).");
        for (var generation = 0; generation <= GC.MaxGeneration; generation++)
            text.Append(inv, $"dotnet_gc_collections_total{{generation=\"{generation}\"}} {GC.CollectionCount(generation)}\n");
        Single(text, "dotnet_gc_pause_seconds_total", "counter", "Time the runtime was paused for garbage collection.", "", GC.GetTotalPauseDuration().TotalSeconds);
        Single(text, "dotnet_gc_allocated_bytes_total", "counter", "Bytes allocated on the managed heap.", "", GC.GetTotalAllocatedBytes());
        return text.ToString();
    }

    /// <summary>The HELP and TYPE lines of one metric family.</summary>
    private static void Header(StringBuilder text, string name, string type, string help) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n");

    /// <summary>A family with one sample: its header, then <c>name{labels} value</c>.</summary>
    private static void Single(StringBuilder text, string name, string type, string help, string labels, double value)
    {
        Header(text, name, type, help);
        text.Append(CultureInfo.InvariantCulture, $"{name}{labels} {value}\n");
    }

    private static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private sealed class Counter
    {
        private long _value;

        public long Value => Interlocked.Read(ref _value);

        public void Increment() => Interlocked.Increment(ref _value);
    }

    private sealed class Histogram
    {
        private readonly long[] _counts = new long[Buckets.Length + 1]; // last: above every bound
        private long _sumMicroseconds;

        public void Observe(double seconds)
        {
            var bucket = Array.BinarySearch(Buckets, seconds);
            if (bucket < 0)
                bucket = ~bucket;
            Interlocked.Increment(ref _counts[bucket]);
            Interlocked.Add(ref _sumMicroseconds, (long)(seconds * 1e6));
        }

        public void Render(StringBuilder text, string route)
        {
            var inv = CultureInfo.InvariantCulture;
            long cumulative = 0;
            for (var b = 0; b < Buckets.Length; b++)
            {
                cumulative += Interlocked.Read(ref _counts[b]);
                text.Append(inv, $"mmse_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{Buckets[b]}\"}} {cumulative}\n");
            }
            cumulative += Interlocked.Read(ref _counts[^1]);
            text.Append(inv, $"mmse_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {cumulative}\n");
            text.Append(inv, $"mmse_http_request_duration_seconds_sum{{route=\"{route}\"}} {Interlocked.Read(ref _sumMicroseconds) / 1e6}\n");
            text.Append(inv, $"mmse_http_request_duration_seconds_count{{route=\"{route}\"}} {cumulative}\n");
        }
    }
}
