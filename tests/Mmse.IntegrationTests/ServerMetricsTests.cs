using Mmse.Retrieval;
using Mmse.Server;

namespace Mmse.IntegrationTests;

public class ServerMetricsTests
{
    [Fact]
    public void Histogram_buckets_are_cumulative_and_counts_split_by_route_and_status()
    {
        var metrics = new ServerMetrics();
        metrics.Record("/search", 200, 0.0004);
        metrics.Record("/search", 200, 0.003);
        metrics.Record("/search", 400, 20);
        metrics.Record("/items/{id}", 404, 0.001);
        using var host = new SearchEngineHost(new SearchEngine(new HashingQueryEncoder(new HashingEncoderOptions { Dim = 8 }),
            new ExactItemIndex(new float[8], 8), BuildCatalog()));
        var text = metrics.Render(host);
        Assert.Contains("mmse_http_requests_total{route=\"/search\",status=\"200\"} 2\n", text);
        Assert.Contains("mmse_http_requests_total{route=\"/search\",status=\"400\"} 1\n", text);
        Assert.Contains("mmse_http_request_duration_seconds_bucket{route=\"/search\",le=\"0.0005\"} 1\n", text);
        Assert.Contains("mmse_http_request_duration_seconds_bucket{route=\"/search\",le=\"0.002\"} 1\n", text);
        Assert.Contains("mmse_http_request_duration_seconds_bucket{route=\"/search\",le=\"0.005\"} 2\n", text);
        Assert.Contains("mmse_http_request_duration_seconds_bucket{route=\"/search\",le=\"10\"} 2\n", text);
        Assert.Contains("mmse_http_request_duration_seconds_bucket{route=\"/search\",le=\"+Inf\"} 3\n", text);
        Assert.Contains("mmse_http_request_duration_seconds_count{route=\"/search\"} 3\n", text);
        Assert.Contains("mmse_http_request_duration_seconds_sum{route=\"/search\"} 20.0034\n", text);
        Assert.Contains("mmse_http_request_duration_seconds_bucket{route=\"/items/{id}\",le=\"0.001\"} 1\n", text);
        Assert.Equal(2, metrics.Requests("/search", 200));
    }

    [Fact]
    public void Runtime_counters_are_exported_and_grow()
    {
        var metrics = new ServerMetrics();
        using var host = new SearchEngineHost(new SearchEngine(new HashingQueryEncoder(new HashingEncoderOptions { Dim = 8 }),
            new ExactItemIndex(new float[8], 8), BuildCatalog()));
        static double Value(string text, string series) =>
            double.Parse(text.Split('\n').Single(l => l.StartsWith(series + " ", StringComparison.Ordinal))[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        var before = metrics.Render(host);
        GC.KeepAlive(new byte[1 << 20]);
        GC.Collect(0);
        var after = metrics.Render(host);
        // The counter is not precise to the byte (allocation contexts are counted when handed out).
        Assert.True(Value(after, "dotnet_gc_allocated_bytes_total") >= Value(before, "dotnet_gc_allocated_bytes_total") + (1 << 19));
        Assert.True(Value(after, "dotnet_gc_collections_total{generation=\"0\"}") > Value(before, "dotnet_gc_collections_total{generation=\"0\"}"));
        Assert.True(Value(after, "process_cpu_seconds_total") > 0);
        Assert.True(Value(after, "dotnet_gc_pause_seconds_total") >= Value(before, "dotnet_gc_pause_seconds_total"));
        Assert.Contains("# TYPE dotnet_gc_collections_total counter\n", after);
    }

    [Fact]
    public void Label_values_are_escaped()
    {
        var metrics = new ServerMetrics();
        metrics.Record("a\"b\\c\nd", 200, 0.1);
        using var host = new SearchEngineHost(new SearchEngine(new HashingQueryEncoder(new HashingEncoderOptions { Dim = 8 }),
            new ExactItemIndex(new float[8], 8), BuildCatalog()));
        Assert.Contains("route=\"a\\\"b\\\\c\\nd\"", metrics.Render(host));
    }

    [Fact]
    public void Each_instance_has_its_own_registry()
    {
        var first = new ServerMetrics();
        var second = new ServerMetrics();
        first.Record("/search", 200, 0.001);
        first.AddQueries(3);
        using var host = new SearchEngineHost(new SearchEngine(new HashingQueryEncoder(new HashingEncoderOptions { Dim = 8 }),
            new ExactItemIndex(new float[8], 8), BuildCatalog()));
        Assert.Equal(1, first.Requests("/search", 200));
        Assert.Equal(0, second.Requests("/search", 200));
        Assert.Contains("mmse_search_queries_total 3\n", first.Render(host));
        var text = second.Render(host);
        Assert.Contains("mmse_search_queries_total 0\n", text);
        Assert.DoesNotContain("route=\"/search\"", text);
        // An exact index has no graph: no HNSW families at all.
        Assert.DoesNotContain("mmse_index_search_info", text);
    }

    [Fact]
    public void A_garnet_backends_per_shard_instruments_are_exported_as_a_histogram_and_counters()
    {
        // The meter a GarnetItemIndex records on (Mmse.Garnet), recorded here by hand; shard keys
        // of this test's own, since a listener hears every meter of that name in the process.
        using var metrics = new ServerMetrics();
        using var host = new SearchEngineHost(new SearchEngine(new HashingQueryEncoder(new HashingEncoderOptions { Dim = 8 }),
            new ExactItemIndex(new float[8], 8), BuildCatalog()));
        using var meter = new System.Diagnostics.Metrics.Meter(ServerMetrics.GarnetMeterName);
        var seconds = meter.CreateHistogram<double>("mmse_garnet_shard_seconds", "s");
        var errors = meter.CreateCounter<long>("mmse_garnet_shard_errors");
        var timeouts = meter.CreateCounter<long>("mmse_garnet_shard_timeouts");
        KeyValuePair<string, object?> Shard(string key) => new("shard", key);
        seconds.Record(0.25, Shard("t:{a}:v"));
        seconds.Record(0.5, Shard("t:{a}:v"));
        seconds.Record(0.002, Shard("t:{b}:v"));
        errors.Add(2, Shard("t:{b}:v"));
        timeouts.Add(1, Shard("t:{b}:v"));
        var text = metrics.Render(host);
        Assert.Contains("# TYPE mmse_garnet_shard_seconds histogram\n", text);
        Assert.Contains("mmse_garnet_shard_seconds_bucket{shard=\"t:{a}:v\",le=\"0.25\"} 1\n", text);
        Assert.Contains("mmse_garnet_shard_seconds_count{shard=\"t:{a}:v\"} 2\n", text);
        Assert.Contains("mmse_garnet_shard_seconds_sum{shard=\"t:{a}:v\"} 0.75\n", text);
        Assert.Contains("# TYPE mmse_garnet_shard_errors_total counter\n", text);
        Assert.Contains("mmse_garnet_shard_errors_total{shard=\"t:{a}:v\"} 0\n", text); // answered, no error yet: the series is there
        Assert.Contains("mmse_garnet_shard_errors_total{shard=\"t:{b}:v\"} 2\n", text);
        Assert.Contains("# TYPE mmse_garnet_shard_timeouts_total counter\n", text);
        Assert.Contains("mmse_garnet_shard_timeouts_total{shard=\"t:{b}:v\"} 1\n", text);
        // Another server's registry holds nothing it did not hear while it listened.
        using var later = new ServerMetrics();
        Assert.DoesNotContain("t:{a}:v", later.Render(host));
    }

    private static Mmse.Data.Catalog BuildCatalog()
    {
        var builder = new Mmse.Data.CatalogBuilder();
        builder.TryAdd(new Mmse.Data.CatalogItem("1", "one"));
        return builder.Build();
    }
}
