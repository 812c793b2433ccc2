using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using Mmse.Index;
using Mmse.Retrieval;
using Prometheus;

namespace Mmse.Server;

/// <summary>
/// Request counts by route and status, a latency histogram per route, the serving engine's state
/// and the runtime's counters, kept in a prometheus-net registry of this server's own (tests start
/// several servers in one process) and rendered in the Prometheus text format (version 0.0.4) by
/// <see cref="Render"/>. Names, labels, types and buckets are the ones dashboards already use.
/// A Garnet backend's per-shard latency, errors and time-outs (docs/scaling.md) come from the
/// <c>Mmse.Garnet</c> meter through a listener of this instance's own.
/// </summary>
public sealed class ServerMetrics : IDisposable
{
    /// <summary>The meter a Garnet backend records on (<c>GarnetItemIndex.MeterName</c>; the server does not reference that assembly).</summary>
    public const string GarnetMeterName = "Mmse.Garnet";

    /// <summary>Histogram bucket upper bounds in seconds (Prometheus' "le").</summary>
    public static readonly double[] Buckets = [0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly Counter _requests;
    private readonly Histogram _latency;
    private readonly Counter _queries;
    private readonly Gauge _indexItems;
    private readonly Gauge _indexBytes;
    private readonly IMetricFactory _factory;
    // HNSW only: declared when an HNSW engine is first seen, so an exact index's exposition has no empty families.
    private Gauge? _searchInfo;
    private Gauge? _cachedFilters;
    private Counter? _walkFallbacks;
    private readonly Gauge _catalogItems;
    private readonly Gauge _modelInfo;
    private readonly Gauge _loadedAt;
    private readonly Counter _reloads;
    private readonly Counter _cpu;
    private readonly Counter _collections;
    private readonly Counter _gcPause;
    private readonly Counter _allocated;
    private readonly Lock _renderLock = new();
    private SearchEngine? _engine;

    /// <summary>A registry of this server's own with every metric family declared.</summary>
    public ServerMetrics()
    {
        var factory = _factory = Metrics.WithCustomRegistry(_registry);
        // Help texts are the exposition's, word for word.
        _requests = factory.CreateCounter("mmse_http_requests_total", "HTTP requests by route and status code.", ["route", "status"]);
        _latency = factory.CreateHistogram("mmse_http_request_duration_seconds", "Time from request start to response end, by route.",
            new HistogramConfiguration { LabelNames = ["route"], Buckets = Buckets });
        _queries = factory.CreateCounter("mmse_search_queries_total", "Searches answered (each query of a batch counts).");
        _indexItems = factory.CreateGauge("mmse_index_items", "Items in the serving index.");
        _indexBytes = factory.CreateGauge("mmse_index_size_bytes", "Size of the serving index.");
        _catalogItems = factory.CreateGauge("mmse_catalog_items", "Items in the serving catalog.");
        _modelInfo = factory.CreateGauge("mmse_model_info", "The serving model (value always 1).", ["version", "heads", "dim"]);
        _loadedAt = factory.CreateGauge("mmse_engine_loaded_timestamp_seconds", "When the serving engine was loaded (Unix time).");
        _reloads = factory.CreateCounter("mmse_reloads_total", "Reloads by outcome.", ["outcome"]);
        // The runtime's side of latency: CPU used, garbage collections and their pauses, bytes
        // allocated (bench/server/run.sh divides the differences by the requests of a run).
        _cpu = factory.CreateCounter("process_cpu_seconds_total", "CPU time of the process (user and system).");
        _collections = factory.CreateCounter("dotnet_gc_collections_total", "Garbage collections by generation (a gen 1 collection also counts in gen 0).", ["generation"]);
        _gcPause = factory.CreateCounter("dotnet_gc_pause_seconds_total", "Time the runtime was paused for garbage collection.");
        _allocated = factory.CreateCounter("dotnet_gc_allocated_bytes_total", "Bytes allocated on the managed heap.");
        // A Garnet backend's per-shard latency, errors and time-outs. Not prometheus-net's
        // MeterAdapter: with only Registry set it writes into the process-wide default registry
        // (its MetricFactory option defaults to Metrics.DefaultFactory and wins), prefixes the meter
        // name (mmse_garnet_mmse_garnet_...), exports counters as gauges and drops a series after
        // 5 minutes without a measurement; so the families were never on /metrics.
        _shardListener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == GarnetMeterName)
                listener.EnableMeasurementEvents(instrument);
        };
        _shardListener.SetMeasurementEventCallback<double>(OnShardMeasurement);
        _shardListener.SetMeasurementEventCallback<long>(OnShardMeasurement);
        _shardListener.Start();
    }

    private readonly MeterListener _shardListener = new();
    private readonly Lock _shardLock = new();
    // Declared at the first measurement, so a server without a Garnet backend has no empty families.
    private Histogram? _shardSeconds;
    private Counter? _shardErrors;
    private Counter? _shardTimeouts;

    private void OnShardMeasurement<T>(Instrument instrument, T measurement, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
        where T : struct
    {
        var shard = "";
        foreach (var tag in tags)
        {
            if (tag.Key == "shard")
                shard = tag.Value?.ToString() ?? "";
        }
        var value = measurement switch
        {
            double d => d,
            long l => l,
            _ => 0,
        };
        DeclareShardMetrics();
        switch (instrument.Name)
        {
            case "mmse_garnet_shard_seconds":
                _shardSeconds.WithLabels(shard).Observe(value);
                // Every shard that answered has all three series, at 0 until something happens:
                // a rate() over errors or time-outs needs the series before the first one.
                _shardErrors.WithLabels(shard);
                _shardTimeouts.WithLabels(shard);
                break;
            case "mmse_garnet_shard_errors":
                _shardErrors.WithLabels(shard).Inc(value);
                break;
            case "mmse_garnet_shard_timeouts":
                _shardTimeouts.WithLabels(shard).Inc(value);
                break;
        }
    }

    [MemberNotNull(nameof(_shardSeconds), nameof(_shardErrors), nameof(_shardTimeouts))]
    private void DeclareShardMetrics()
    {
        if (_shardSeconds is not null && _shardErrors is not null && _shardTimeouts is not null)
            return;
        lock (_shardLock)
        {
            _shardSeconds ??= _factory.CreateHistogram("mmse_garnet_shard_seconds",
                "Time of one Garnet shard's part of a search (its VSIMs and VEMBs, retries included), by shard key.",
                new HistogramConfiguration { LabelNames = ["shard"], Buckets = Buckets });
            _shardErrors ??= _factory.CreateCounter("mmse_garnet_shard_errors_total",
                "Failed Garnet shard commands (connection errors, MOVED, CLUSTERDOWN...; transient ones are retried), by shard key.", ["shard"]);
            _shardTimeouts ??= _factory.CreateCounter("mmse_garnet_shard_timeouts_total",
                "Searches answered without a Garnet shard (it missed the deadline or failed), by shard key.", ["shard"]);
        }
    }

    /// <summary>Counts one finished request.</summary>
    public void Record(string route, int status, double seconds)
    {
        ArgumentNullException.ThrowIfNull(route);
        _requests.WithLabels(route, StatusText(status)).Inc();
        _latency.WithLabels(route).Observe(seconds);
    }

    /// <summary>Counts searches answered (a batch counts each of its queries).</summary>
    public void AddQueries(int count) => _queries.Inc(count);

    /// <summary>The requests counted for a route and status so far.</summary>
    public long Requests(string route, int status)
    {
        foreach (var labels in _requests.GetAllLabelValues())
        {
            if (labels[0] == route && labels[1] == StatusText(status))
                return (long)_requests.WithLabels(labels).Value;
        }
        return 0;
    }

    /// <summary>Everything, in the Prometheus text format.</summary>
    public string Render(SearchEngineHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        using var stream = new MemoryStream();
        // The engine's and the runtime's values are read at render time; one render at a time
        // keeps the info series (whose labels change on a reload) consistent.
        lock (_renderLock)
        {
            Snapshot(host);
            _registry.CollectAndExportAsTextAsync(stream, ExpositionFormat.PrometheusText).GetAwaiter().GetResult();
        }
        return System.Text.Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    private void Snapshot(SearchEngineHost host)
    {
        var engine = host.Current;
        if (!ReferenceEquals(engine, _engine))
        {
            // The fallback count is the engine's own ("since the engine was loaded"): a new engine starts a new series at 0.
            _walkFallbacks?.RemoveLabelled();
            _engine = engine;
        }
        _indexItems.Set(engine.Index.Count);
        _indexBytes.Set(engine.Index.SizeBytes);
        if (engine.Index is HnswItemIndex hnsw)
        {
            DeclareHnswMetrics();
            SetInfo(_searchInfo, [hnsw.Ef.ToString(System.Globalization.CultureInfo.InvariantCulture), hnsw.Walk.Name()]);
            _cachedFilters.Set(hnsw.CachedFilters);
            _walkFallbacks!.IncTo(hnsw.WalkFallbacks);
            _walkFallbacks.Publish();
            _cachedFilters!.Publish();
        }
        else if (_searchInfo is not null)
        {
            // Reloaded onto an exact index: no graph, so no series (the families stay declared).
            SetInfo(_searchInfo, null);
            _cachedFilters!.Unpublish();
            _walkFallbacks!.Unpublish();
        }
        _catalogItems.Set(engine.Catalog.Count);
        SetInfo(_modelInfo, [engine.ModelVersion, engine.Encoder.Heads.ToString(System.Globalization.CultureInfo.InvariantCulture),
            engine.Encoder.Dim.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        _loadedAt.Set(engine.LoadedAt.ToUnixTimeMilliseconds() / 1000.0);
        _reloads.WithLabels("swapped").IncTo(host.Reloads);
        _reloads.WithLabels("failed").IncTo(host.FailedReloads);

        _cpu.IncTo(Environment.CpuUsage.TotalTime.TotalSeconds);
        for (var generation = 0; generation <= GC.MaxGeneration; generation++)
            _collections.WithLabels(generation.ToString(System.Globalization.CultureInfo.InvariantCulture)).IncTo(GC.CollectionCount(generation));
        _gcPause.IncTo(GC.GetTotalPauseDuration().TotalSeconds);
        _allocated.IncTo(GC.GetTotalAllocatedBytes());
    }

    [MemberNotNull(nameof(_searchInfo), nameof(_cachedFilters), nameof(_walkFallbacks))]
    private void DeclareHnswMetrics()
    {
        _searchInfo ??= _factory.CreateGauge("mmse_index_search_info",
            "How the HNSW index is searched (value always 1): candidates per head (0 = the file's) and the multi-head walk.", ["ef", "walk"]);
        _cachedFilters ??= _factory.CreateGauge("mmse_index_cached_filters", "Filter bitsets cached by the serving index.",
            new GaugeConfiguration { SuppressInitialValue = true });
        _walkFallbacks ??= _factory.CreateCounter("mmse_index_walk_fallbacks_total",
            "Filtered graph walks that ran over their budget and were answered by the exact scan, since the engine was loaded.",
            new CounterConfiguration { SuppressInitialValue = true });
    }

    /// <summary>An info gauge keeps one series (value 1): the current labels; the others are removed.</summary>
    private static void SetInfo(Gauge gauge, string[]? labels)
    {
        foreach (var old in gauge.GetAllLabelValues())
        {
            if (labels is null || !old.SequenceEqual(labels, StringComparer.Ordinal))
                gauge.RemoveLabelled(old);
        }
        if (labels is not null)
            gauge.WithLabels(labels).Set(1);
    }

    /// <summary>Stops listening to the Garnet meter.</summary>
    public void Dispose() => _shardListener.Dispose();

    private static string StatusText(int status) => status.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
