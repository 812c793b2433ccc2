using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Mmse.Cli;
using Mmse.Data;
using Mmse.Garnet;
using Mmse.Index;
using Mmse.Retrieval;
using Xunit.Abstractions;

namespace Mmse.IntegrationTests;

/// <summary>
/// A 3-primary Garnet cluster with one replica each, started by deploy/garnet/cluster.sh on
/// ports of its own, and a 3,000-item synthetic catalog published to it by `mmse publish`
/// (issue 14). Stopped, by process id, when the tests are done.
/// </summary>
public sealed class GarnetClusterFixture : IDisposable
{
    public const int Port = 7300;
    public const int Items = 3000;
    public const string Model = "hashing:dim=64";

    private readonly TempDir _dir = new();

    public GarnetClusterFixture()
    {
        Script = FindScript();
        Run("up", "3");
        Endpoint = $"garnet://127.0.0.1:{Port}";
        CatalogPath = _dir.File("s/catalog.jsonl");
        var (code, _, error) = Cli("synth", "--out", _dir.File("s"), "--items", Items.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--requests", "500", "--seed", "11", "--threads", "1");
        Assert.True(code == 0, error);
        Catalog = CatalogReader.Read(CatalogPath);
        var clock = Stopwatch.StartNew();
        (code, PublishOutput, error) = Cli("publish", "--model", Model, "--catalog", CatalogPath, "--to", Endpoint);
        Assert.True(code == 0, error);
        PublishSeconds = clock.Elapsed.TotalSeconds;
    }

    public string Script { get; }

    public string Endpoint { get; }

    public string CatalogPath { get; }

    public Catalog Catalog { get; }

    public string PublishOutput { get; }

    public double PublishSeconds { get; }

    /// <summary>Runs deploy/garnet/cluster.sh with this fixture's folder and ports.</summary>
    public string Run(params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Script);
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        start.Environment["GARNET_DIR"] = _dir.File("cluster");
        start.Environment["GARNET_PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["GARNET_MEMORY"] = "512m";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"cluster.sh {string.Join(' ', args)} failed: {stderr}");
        return stdout.Result;
    }

    public static (int Code, string Out, string Error) Cli(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = Program.Run(args, new CliContext(TextWriter.Synchronized(output), TextWriter.Synchronized(error), ProgressReporter.Silent));
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>An engine on the cluster; the deadline is long (the test machine is shared) unless a test sets one.</summary>
    public SearchEngine Engine(GarnetSearchOptions? options = null, string? name = null) => Loader(options, name).Load(CancellationToken.None);

    /// <summary>The loader of <see cref="Engine"/>, for a server.</summary>
    public GarnetEngineLoader Loader(GarnetSearchOptions? options = null, string? name = null) =>
        new(GarnetTarget.Parse(Endpoint, prefix: name ?? GarnetTarget.DefaultPrefix), Model, CatalogPath,
            options ?? new GarnetSearchOptions { Deadline = TimeSpan.FromSeconds(10) });

    private static string FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var script = Path.Combine(dir.FullName, "deploy", "garnet", "cluster.sh");
            if (File.Exists(script))
                return script;
        }
        throw new InvalidOperationException("deploy/garnet/cluster.sh not found above " + AppContext.BaseDirectory);
    }

    public void Dispose()
    {
        try
        {
            Run("down");
        }
        finally
        {
            _dir.Dispose();
        }
    }
}

public sealed class GarnetClusterTests(GarnetClusterFixture cluster, ITestOutputHelper output) : IClassFixture<GarnetClusterFixture>
{
    // Queries: the first words of every 30th title, so each has near matches in the catalog.
    private string[] Queries() =>
        [.. Enumerable.Range(0, 100).Select(i => string.Join(' ', cluster.Catalog.Titles[i * 30].Split(' ').Take(3)))];

    private static HashingQueryEncoder Encoder => BuiltInEngineLoader.LoadHashingEncoder(GarnetClusterFixture.Model);

    private float[] ItemVectors()
    {
        var encoder = Encoder;
        var catalog = cluster.Catalog;
        var vectors = new float[catalog.Count * encoder.Dim];
        for (var i = 0; i < catalog.Count; i++)
            encoder.EncodeItem(catalog.Titles[i], catalog.Brands[i], catalog.Categories[i], vectors.AsSpan(i * encoder.Dim, encoder.Dim));
        return vectors;
    }

    private static double Agreement(IItemIndex index, IItemIndex exact, IQueryEncoder encoder, IEnumerable<string> queries, ItemFilter? filter = null)
    {
        var heads = new float[encoder.Heads * encoder.Dim];
        double found = 0, wanted = 0;
        foreach (var query in queries)
        {
            encoder.EncodeQuery(query, heads);
            var truth = exact.Search(heads, encoder.Heads, encoder.Beta, 10, filter).Items.ToArray();
            var got = index.Search(heads, encoder.Heads, encoder.Beta, 10, filter).Items.ToArray();
            found += got.Intersect(truth).Count();
            wanted += truth.Length;
        }
        return wanted == 0 ? 1 : found / wanted;
    }

    [Fact]
    public void Publish_writes_every_item_to_six_shards_and_a_second_publish_sends_nothing()
    {
        output.WriteLine($"{cluster.PublishOutput.Trim()} (fixture: {cluster.PublishSeconds:F1} s)");
        Assert.Contains($"published {GarnetClusterFixture.Items:N0} items", cluster.PublishOutput, StringComparison.Ordinal);
        Assert.Contains("to 6 shards", cluster.PublishOutput, StringComparison.Ordinal);
        var (code, again, error) = GarnetClusterFixture.Cli("publish", "--model", GarnetClusterFixture.Model, "--catalog", cluster.CatalogPath, "--to", cluster.Endpoint);
        Assert.True(code == 0, error);
        Assert.Contains("0 added, 0 updated, 3,000 unchanged, 0 removed", again, StringComparison.Ordinal);
    }

    [Fact]
    public void Cluster_top10_agrees_with_exact_fused_search_at_least_as_well_as_in_process_hnsw()
    {
        using var engine = cluster.Engine();
        var encoder = Encoder;
        var vectors = ItemVectors();
        var exact = new ExactItemIndex((float[])vectors.Clone(), encoder.Dim);
        using var hnsw = new HnswItemIndex(HnswIndex.Build(vectors, encoder.Dim, cluster.Catalog.Ids, new HnswOptions { Threads = 1 }), cluster.Catalog, ef: 64);
        var queries = Queries();
        var garnet = Agreement(engine.Index, exact, encoder, queries);
        var local = Agreement(hnsw, exact, encoder, queries);
        output.WriteLine($"top-10 agreement with exact fused search over {queries.Length} queries: garnet {garnet:P1}, in-process HNSW {local:P1}");
        foreach (var (c, ef) in new[] { (20, 64), (10, 200), (40, 128) })
        {
            using var wide = cluster.Engine(new GarnetSearchOptions { Deadline = TimeSpan.FromSeconds(10), Candidates = c, Ef = ef });
            output.WriteLine($"  candidates {c}, ef {ef}: {Agreement(wide.Index, exact, encoder, queries):P1}");
        }
        Assert.True(garnet >= local - 0.005, $"garnet {garnet:P1} < in-process HNSW {local:P1}");
        Assert.True(garnet >= 0.95, $"garnet {garnet:P1}");
    }

    [Fact]
    public void Filters_return_only_matching_items_and_the_exact_filtered_top10()
    {
        using var engine = cluster.Engine();
        var catalog = cluster.Catalog;
        var exact = new ExactItemIndex(ItemVectors(), Encoder.Dim);
        var withAttribute = Enumerable.Range(0, catalog.Count).First(i => catalog.AttributeOffsets[i + 1] > catalog.AttributeOffsets[i]);
        var attribute = catalog.AttributeOffsets[withAttribute];
        string[][] filters =
        [
            [$"brand:{catalog.Brands[0]!.ToUpperInvariant()}"],
            [$"category:{catalog.Categories[7]!.Split('>')[0].Trim()}"],
            [$"category:{catalog.Categories[withAttribute]}", $"{catalog.AttributeKeys[attribute]}:{catalog.AttributeValues[attribute]}"],
            [$"shop:{catalog.Shops[3]}"],
        ];
        foreach (var clauses in filters)
        {
            var filter = engine.Filters.Parse(clauses)!;
            var total = 0;
            foreach (var query in Queries().Take(20))
            {
                var hits = engine.SearchItems(query, 10, filter);
                Assert.False(hits.Partial);
                foreach (var item in hits.Items)
                    Assert.True(filter.Allows(item), $"{string.Join(", ", clauses)} let through item {catalog.Ids[item]}");
                total += hits.Count;
            }
            Assert.True(total > 0, $"{string.Join(", ", clauses)} found nothing");
            var agreement = Agreement(engine.Index, exact, Encoder, Queries().Take(20), filter);
            output.WriteLine($"filter {string.Join(" & ", clauses)}: {total} hits over 20 queries, top-10 agreement with exact {agreement:P1}");
            Assert.True(agreement >= 0.9, $"{string.Join(", ", clauses)}: agreement {agreement:P1}");
        }
    }

    [Fact]
    public async Task Shards_past_the_deadline_are_named_in_a_partial_answer_instead_of_failing_it()
    {
        // A deadline no shard can meet: every one is reported missing, at once, and the JSON says so.
        var deadline = new GarnetSearchOptions { Deadline = TimeSpan.FromTicks(1) };
        using var engine = cluster.Engine(deadline);
        var clock = Stopwatch.StartNew();
        var hits = engine.SearchItems("steel bracket", 10, null);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        Assert.True(hits.Partial);
        var index = (GarnetItemIndex)engine.Index;
        var keys = index.Shards.Select(s => s.Key).Order().ToArray();
        Assert.Equal(keys, hits.MissingShards.Order());
        Assert.All(index.Shards, s => Assert.True(s.Timeouts >= 1));

        // Through the server: GET /search and every query of POST /search say which shards are missing.
        await using var server = await Serve(cluster.Loader(deadline));
        using var client = new HttpClient { BaseAddress = new Uri(server.Urls[0]), Timeout = TimeSpan.FromSeconds(30) };
        var get = await client.GetFromJsonAsync<JsonElement>("/search?q=steel+bracket&k=10");
        Assert.True(get.GetProperty("partial").GetBoolean());
        Assert.Equal(keys, get.GetProperty("missingShards").EnumerateArray().Select(e => e.GetString()).Order());
        using var post = await client.PostAsJsonAsync("/search", new { queries = new[] { new { q = "steel bracket" }, new { q = "garden gnome" } } });
        var batch = await post.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(post.IsSuccessStatusCode, batch.ToString());
        Assert.Equal(2, batch.GetProperty("results").GetArrayLength());
        foreach (var result in batch.GetProperty("results").EnumerateArray())
        {
            Assert.True(result.GetProperty("partial").GetBoolean(), result.ToString());
            Assert.Equal(keys, result.GetProperty("missingShards").EnumerateArray().Select(e => e.GetString()).Order());
        }
        // The three searches above left every shard out: /metrics counts them per shard.
        var metrics = await client.GetStringAsync("/metrics");
        foreach (var key in keys)
            Assert.True(Series(metrics, $"mmse_garnet_shard_timeouts_total{{shard=\"{key}\"}}") >= 3, metrics);

        // With time enough, the same engine answers in full, and so does POST /search.
        using var patient = cluster.Engine();
        Assert.False(patient.SearchItems("steel bracket", 10, null).Partial);
        await using var patientServer = await Serve(cluster.Loader());
        using var patientClient = new HttpClient { BaseAddress = new Uri(patientServer.Urls[0]), Timeout = TimeSpan.FromSeconds(30) };
        using var full = await patientClient.PostAsJsonAsync("/search", new { queries = new[] { new { q = "steel bracket" } } });
        var fullBatch = await full.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(full.IsSuccessStatusCode, fullBatch.ToString());
        Assert.False(fullBatch.GetProperty("results")[0].TryGetProperty("partial", out _), fullBatch.ToString());
        Assert.False(fullBatch.GetProperty("results")[0].TryGetProperty("missingShards", out _), fullBatch.ToString());
    }

    [Fact]
    public async Task Metrics_show_each_shards_latency_and_count_the_errors_of_a_broken_shard()
    {
        // Searches through the server (GET and POST) are timed per shard on /metrics.
        await using var server = await Serve(cluster.Loader());
        using var client = new HttpClient { BaseAddress = new Uri(server.Urls[0]), Timeout = TimeSpan.FromSeconds(30) };
        foreach (var query in Queries().Take(3))
            Assert.False((await client.GetFromJsonAsync<JsonElement>($"/search?q={Uri.EscapeDataString(query)}")).TryGetProperty("partial", out _));
        using (var post = await client.PostAsJsonAsync("/search", new { queries = Queries().Take(2).Select(q => new { q }).ToArray() }))
            Assert.True(post.IsSuccessStatusCode, await post.Content.ReadAsStringAsync());
        var metrics = await client.GetStringAsync("/metrics");
        output.WriteLine(string.Join('\n', metrics.Split('\n').Where(l => l.StartsWith("mmse_garnet_", StringComparison.Ordinal) && !l.Contains("_bucket", StringComparison.Ordinal))));
        Assert.Contains("# TYPE mmse_garnet_shard_seconds histogram\n", metrics, StringComparison.Ordinal);
        Assert.Contains("# TYPE mmse_garnet_shard_errors_total counter\n", metrics, StringComparison.Ordinal);
        Assert.Contains("# TYPE mmse_garnet_shard_timeouts_total counter\n", metrics, StringComparison.Ordinal);
        var keys = ((GarnetItemIndex)server.Host.Current.Index).Shards.Select(s => s.Key).ToArray();
        Assert.Equal(6, keys.Length);
        foreach (var key in keys)
        {
            var shard = $"{{shard=\"{key}\"}}";
            Assert.True(Series(metrics, "mmse_garnet_shard_seconds_count" + shard) >= 5, $"{key}: {metrics}");
            Assert.True(Series(metrics, "mmse_garnet_shard_seconds_sum" + shard) > 0, $"{key}: {metrics}");
            // Present (at 0 here) before the first error, so a rate() over them works from the start.
            Assert.True(Series(metrics, "mmse_garnet_shard_errors_total" + shard) >= 0, $"{key}: {metrics}");
            Assert.True(Series(metrics, "mmse_garnet_shard_timeouts_total" + shard) >= 0, $"{key}: {metrics}");
        }

        // A shard that fails for good (its key holds a string, so VSIM answers WRONGTYPE): the
        // answer comes from the others, names it, and /metrics counts an error and a time-out for it.
        using var dir = new TempDir();
        var small = dir.File("small.jsonl");
        using (var writer = new CatalogJsonlWriter(small))
        {
            for (var i = 0; i < 60; i++)
                writer.Write(cluster.Catalog.Get(i));
            writer.Commit();
        }
        var (code, _, error) = GarnetClusterFixture.Cli("publish", "--model", GarnetClusterFixture.Model, "--catalog", small, "--to", cluster.Endpoint,
            "--name", "broken", "--shards", "3", "--replace");
        Assert.True(code == 0, error);
        var target = GarnetTarget.Parse(cluster.Endpoint, prefix: "broken");
        using var connection = target.Connect();
        var broken = new GarnetPublisher(connection, target).ReadManifest()!.Shards[0];
        var db = connection.GetDatabase();
        db.KeyDelete(broken);
        db.StringSet(broken, "not a vector set");
        await using var brokenServer = await Serve(new GarnetEngineLoader(target, GarnetClusterFixture.Model, small,
            new GarnetSearchOptions { Deadline = TimeSpan.FromSeconds(10) }));
        using var brokenClient = new HttpClient { BaseAddress = new Uri(brokenServer.Urls[0]), Timeout = TimeSpan.FromSeconds(30) };
        var answer = await brokenClient.GetFromJsonAsync<JsonElement>($"/search?q={Uri.EscapeDataString(Queries()[0])}");
        Assert.True(answer.GetProperty("partial").GetBoolean(), answer.ToString());
        Assert.Equal([broken], answer.GetProperty("missingShards").EnumerateArray().Select(e => e.GetString()));
        Assert.True(answer.GetProperty("hits").GetArrayLength() > 0, answer.ToString());
        metrics = await brokenClient.GetStringAsync("/metrics");
        Assert.True(Series(metrics, $"mmse_garnet_shard_errors_total{{shard=\"{broken}\"}}") >= 1, metrics);
        Assert.True(Series(metrics, $"mmse_garnet_shard_timeouts_total{{shard=\"{broken}\"}}") >= 1, metrics);
        db.KeyDelete(broken);
    }

    private static Task<Mmse.Server.SearchServer> Serve(IEngineLoader loader) =>
        Mmse.Server.SearchServer.StartAsync(new Mmse.Server.ServerOptions { Urls = ["http://127.0.0.1:0"], LogToConsole = false }, loader);

    // The value of one series in a Prometheus exposition; fails when the series is not there.
    private static double Series(string metrics, string series)
    {
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        Assert.True(line is not null, $"no series {series} on /metrics");
        return double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void A_catalog_update_is_visible_after_publish_added_changed_and_removed_by_id()
    {
        // Its own key prefix: the other tests keep searching the fixture's catalog.
        var target = GarnetTarget.Parse(cluster.Endpoint, prefix: "upd");
        using var connection = target.Connect();
        var publisher = new GarnetPublisher(connection, target);
        var encoder = Encoder;
        var before = Enumerable.Range(0, 300).Select(cluster.Catalog.Get).ToList();
        var first = publisher.Publish(Build(before), Embed(encoder, before), encoder.Dim, encoder.Version, new PublishOptions { Shards = 3 });
        Assert.Equal((300, 300, 0, 0, 0), (first.Items, first.Added, first.Updated, first.Unchanged, first.Removed));

        var removed = before[10];
        var changed = before[20] with { Brand = "Zyxwv Brand", Title = "Zyxwv brand inflatable kayak paddle" };
        var added = new CatalogItem("new-1", "Glow in the dark garden gnome statue", "Gnomeco", "Garden > Decor", Price: 12);
        var after = before.Where(i => i != removed).Select(i => i.Id == changed.Id ? changed : i).Append(added).ToList();
        var catalog = Build(after);
        var second = publisher.Publish(catalog, Embed(encoder, after), encoder.Dim, encoder.Version, new PublishOptions());
        Assert.Equal((300, 1, 1, 298, 1), (second.Items, second.Added, second.Updated, second.Unchanged, second.Removed));

        var manifest = publisher.ReadManifest()!;
        Assert.True(manifest.Complete);
        using var index = new GarnetItemIndex(connection, manifest, catalog);
        using var engine = new SearchEngine(encoder, index, catalog);
        Assert.Equal(added.Id, catalog.Ids[engine.SearchItems(added.Title, 1, null).Items[0]]);
        var byBrand = engine.SearchItems("kayak paddle", 5, engine.Filters.Parse(["brand:zyxwv brand"]));
        Assert.Equal([changed.Id], byBrand.Items.ToArray().Select(i => catalog.Ids[i]));
        // The removed item is gone from the sets, not only from this catalog: ask Garnet directly.
        var db = connection.GetDatabase();
        var shard = manifest.Shards[VectorSetLayout.ShardOf(removed.Id, manifest.Shards.Count)];
        Assert.Equal(0, (int)db.Execute("VISMEMBER", (StackExchange.Redis.RedisKey)shard, removed.Id));
        Assert.Equal(1, (int)db.Execute("VISMEMBER", (StackExchange.Redis.RedisKey)manifest.Shards[VectorSetLayout.ShardOf(added.Id, 3)], added.Id));
    }

    private static Catalog Build(IEnumerable<CatalogItem> items)
    {
        var builder = new CatalogBuilder();
        foreach (var item in items)
            Assert.True(builder.TryAdd(item));
        return builder.Build();
    }

    private static float[] Embed(HashingQueryEncoder encoder, IReadOnlyList<CatalogItem> items)
    {
        var vectors = new float[items.Count * encoder.Dim];
        for (var i = 0; i < items.Count; i++)
            encoder.EncodeItem(items[i].Title, items[i].Brand, items[i].Category, vectors.AsSpan(i * encoder.Dim, encoder.Dim));
        return vectors;
    }

    [Fact]
    public async Task Killing_a_primary_mid_load_loses_no_query_and_the_answers_stay_the_same()
    {
        // A deadline longer than the take-over, so a search waits for the replica instead of answering partially.
        using var engine = cluster.Engine(new GarnetSearchOptions { Deadline = TimeSpan.FromSeconds(20) });
        var queries = Queries().Take(20).ToArray();
        var before = queries.Select(q => engine.SearchItems(q, 10, null).Items.ToArray()).ToArray();

        long answered = 0, failed = 0, partial = 0;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 2).Select(worker => Task.Run(() =>
        {
            for (var i = worker; !stop.IsCancellationRequested; i++)
            {
                try
                {
                    var hits = engine.SearchItems(queries[i % queries.Length], 10, null);
                    if (hits.Partial)
                        Interlocked.Increment(ref partial);
                    Interlocked.Increment(ref answered);
                }
                catch (Exception e)
                {
                    Interlocked.Increment(ref failed);
                    failures.Enqueue(e.GetType().Name + ": " + e.Message);
                }
            }
        })).ToArray();

        await Task.Delay(1000);
        var clock = Stopwatch.StartNew();
        cluster.Run("crash", GarnetClusterFixture.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        cluster.Run("failover", GarnetClusterFixture.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var atKill = Interlocked.Read(ref answered);
        // Until searches flow again, then a little more.
        while (Interlocked.Read(ref answered) < atKill + 50 && clock.Elapsed < TimeSpan.FromSeconds(40))
            await Task.Delay(50);
        var recovered = clock.Elapsed;
        await Task.Delay(1000);
        stop.Cancel();
        await Task.WhenAll(load);

        output.WriteLine($"primary {GarnetClusterFixture.Port} killed under load: {answered} searches answered, {failed} failed, {partial} partial; " +
            $"50 more answered {recovered.TotalSeconds:F1} s after the kill; shard errors retried: {string.Join(", ", ((GarnetItemIndex)engine.Index).Shards.Select(s => s.Errors))}");
        Assert.True(failed == 0, string.Join("\n", failures.Take(5)));
        Assert.Equal(0, partial);
        var after = queries.Select(q => engine.SearchItems(q, 10, null).Items.ToArray()).ToArray();
        for (var q = 0; q < queries.Length; q++)
            Assert.Equal(before[q], after[q]);
    }

    /// <summary>
    /// Issue 15's kill test for publish (it writes to Garnet, not to files): a re-publish that
    /// changes every vector is killed with SIGKILL as it starts writing and 50 and 200 ms later.
    /// After each kill the manifest says the publish is unfinished, so a server refuses the sets by
    /// name instead of serving half of one catalog and half of another (or, killed after the end,
    /// serves the new catalog whole); the rerun finishes the job, and one more publish finds
    /// nothing left to send: the sets hold exactly the new catalog.
    /// </summary>
    [Fact]
    public void Publish_killed_is_refused_by_serve_until_a_rerun_finishes_it()
    {
        const string name = "kill";  // its own key prefix: the other tests keep searching the fixture's sets
        using var dir = new TempDir();
        var changed = dir.File("changed.jsonl");
        using (var writer = new CatalogJsonlWriter(changed))
        {
            for (var i = 0; i < cluster.Catalog.Count; i++)
                writer.Write(cluster.Catalog.Get(i) with { Title = cluster.Catalog.Titles[i] + " refurbished" });
            writer.Commit();
        }
        string[] Args(string catalog) => ["publish", "--model", GarnetClusterFixture.Model, "--catalog", catalog, "--to", cluster.Endpoint, "--name", name];
        var (code, _, error) = GarnetClusterFixture.Cli(Args(cluster.CatalogPath));
        Assert.True(code == 0, error);
        SearchEngine Load() => new GarnetEngineLoader(GarnetTarget.Parse(cluster.Endpoint, prefix: name), GarnetClusterFixture.Model, changed,
            new GarnetSearchOptions { Deadline = TimeSpan.FromSeconds(10) }).Load(CancellationToken.None);

        var outcomes = new List<string>();
        var kills = 0;
        foreach (var delay in new[] { 0, 50, 200 })
        {
            var killed = KillTests.StartAndKill(stderr => stderr.Contains("publishing", StringComparison.Ordinal), delay, $"writing + {delay} ms", Args(changed));
            kills += killed ? 1 : 0;
            try
            {
                using var engine = Load();  // complete: the kill came after the manifest was marked so (checked below: nothing left to send)
                outcomes.Add($"writing + {delay} ms: {(killed ? "killed after the end, served whole" : "had finished")}");
            }
            catch (MmseInputException e)
            {
                Assert.True(killed, e.Message);
                Assert.Contains("interrupted; run 'mmse publish' again", e.Message, StringComparison.Ordinal);
                outcomes.Add($"writing + {delay} ms: killed, refused by serve as unfinished");
            }
        }
        (code, _, error) = GarnetClusterFixture.Cli(Args(changed));
        Assert.True(code == 0, error);
        (code, var again, error) = GarnetClusterFixture.Cli(Args(changed));
        Assert.True(code == 0, error);
        Assert.Contains($"0 added, 0 updated, {cluster.Catalog.Count:N0} unchanged, 0 removed", again, StringComparison.Ordinal);
        using (var engine = Load())
        {
            var title = cluster.Catalog.Titles[123] + " refurbished";
            Assert.Contains(123, engine.SearchItems(title, 10, null).Items.ToArray());
        }
        var line = $"kill -9 publish: 3 runs started, {kills} killed (the rest finished before the kill point); {string.Join("; ", outcomes)}";
        output.WriteLine(line);
        Console.WriteLine(line);
        Assert.True(kills > 0, "no publish run was still going at any kill point");
    }
}

/// <summary>A cluster that is not there: a clear message and exit code 2, no stack trace.</summary>
public sealed class GarnetDownTests
{
    [Fact]
    public void Publish_and_serve_exit_2_with_a_clear_message_when_garnet_is_down()
    {
        using var dir = new TempDir();
        var catalog = TestCatalog.Write(dir.File("catalog.jsonl"));
        var (code, _, error) = GarnetClusterFixture.Cli("publish", "--model", "hashing", "--catalog", catalog, "--to", "garnet://127.0.0.1:1");
        Assert.Equal(2, code);
        Assert.Contains("Garnet at 127.0.0.1:1 does not answer", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);

        (code, _, error) = GarnetClusterFixture.Cli("serve", "--model", "hashing", "--catalog", catalog, "--backend", "garnet://127.0.0.1:1",
            "--urls", "http://127.0.0.1:0", "--quiet");
        Assert.Equal(2, code);
        Assert.Contains("Garnet at 127.0.0.1:1 does not answer", error, StringComparison.Ordinal);

        (code, _, error) = GarnetClusterFixture.Cli("publish", "--model", "hashing", "--catalog", catalog, "--to", "http://127.0.0.1:1");
        Assert.Equal(2, code);
        Assert.Contains("expected garnet://HOST:PORT", error, StringComparison.Ordinal);
    }
}
