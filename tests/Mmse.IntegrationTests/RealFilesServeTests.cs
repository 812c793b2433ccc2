using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Mmse.Cli;
using Mmse.Data;
using Mmse.Index;
using Mmse.Model;
using Mmse.Retrieval;

namespace Mmse.IntegrationTests;

/// <summary>`mmse serve` over a model file written by MmseModel.Save and an HNSW file written by HnswIndex.Save.</summary>
public class RealFilesServeTests
{
    private static readonly ModelOptions s_options = new() { Buckets = 1 << 12, EmbeddingDim = 16, Hidden = 32, Heads = 2, Dim = 16 };

    private static Catalog ReadCatalog(string path) => CatalogReader.Read(path);

    /// <summary>Writes the model and its HNSW index over <paramref name="catalog"/> (replacing files atomically, as a deploy would).</summary>
    private static void WriteArtifacts(MmseModel model, Catalog catalog, string modelPath, string indexPath)
    {
        model.Save(modelPath + ".tmp");
        var vectors = model.EncodeItems(catalog, threads: 1);
        using (var index = HnswIndex.Build(vectors, model.Dim, [.. catalog.Ids], new HnswOptions { M = 8, Threads = 1 }))
            index.Save(indexPath + ".tmp");
        File.Move(modelPath + ".tmp", modelPath, overwrite: true);
        File.Move(indexPath + ".tmp", indexPath, overwrite: true);
    }

    /// <summary>The ids exact search with <paramref name="model"/> ranks first for <paramref name="query"/>.</summary>
    private static string[] Expected(MmseModel model, Catalog catalog, string query, int k)
    {
        var encoder = new ModelQueryEncoder(model);
        var heads = new float[encoder.Heads * encoder.Dim];
        encoder.EncodeQuery(query, heads);
        var hits = new ExactItemIndex(model.EncodeItems(catalog, threads: 1), model.Dim).Search(heads, encoder.Heads, encoder.Beta, k, null);
        return [.. hits.Items.ToArray().Select(i => catalog.Ids[i])];
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string[] Ids(JsonElement body) => [.. body.GetProperty("hits").EnumerateArray().Select(h => h.GetProperty("id").GetString()!)];

    [Fact]
    public async Task Serve_searches_a_model_file_and_an_hnsw_file_and_reloads_new_ones()
    {
        using var dir = new TempDir();
        var catalogPath = TestCatalog.Write(dir.File("catalog.jsonl"));
        var catalog = ReadCatalog(catalogPath);
        var modelPath = dir.File("model.mmse");
        var indexPath = dir.File("items.idx");
        var first = new MmseModel(s_options with { InitSeed = 1 });
        WriteArtifacts(first, catalog, modelPath, indexPath);

        var url = $"http://127.0.0.1:{FreePort()}";
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() =>
        {
            var error = new StringWriter();
            var code = Program.Run(["serve", "--model", modelPath, "--index", indexPath, "--catalog", catalogPath, "--urls", url, "--ef", "32", "--walk", "per-head", "--quiet"],
                new CliContext(TextWriter.Synchronized(new StringWriter()), TextWriter.Synchronized(error), ProgressReporter.Silent) { Cancellation = stop.Token });
            return (code, error.ToString());
        });
        using var client = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(10) };
        const string query = "grey sofa";
        HttpResponseMessage? response = null;
        for (var attempt = 0; attempt < 300 && response is null && !run.IsCompleted; attempt++)
        {
            try
            {
                response = await client.GetAsync($"/search?q={Uri.EscapeDataString(query)}&k=5");
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100);
            }
        }
        if (run.IsCompleted)
            Assert.Fail($"serve exited early: {(await run).Item2}");
        Assert.NotNull(response);
        var body = await Json.ReadAsync(response);
        response.Dispose();
        Assert.Equal(first.Version, body.GetProperty("modelVersion").GetString());
        Assert.Equal(Expected(first, catalog, query, 5), Ids(body));
        Assert.Equal(2, body.GetProperty("hits")[0].GetProperty("headScores").GetArrayLength());

        var filtered = await Json.ReadAsync(await client.GetAsync("/search?q=phone&k=10&filter=category:Electronics%20%3E%20Phones"));
        Assert.Equal(["1001", "1004"], Ids(filtered).Order());
        var metrics = await client.GetStringAsync("/metrics");
        Assert.Contains("mmse_index_search_info{ef=\"32\",walk=\"per-head\"} 1", metrics);
        Assert.Contains("mmse_index_cached_filters 1", metrics);
        Assert.Contains("mmse_index_walk_fallbacks_total 0", metrics);

        // Deploy a different model and its index, then reload: the new pair serves.
        var second = new MmseModel(s_options with { InitSeed = 2 });
        WriteArtifacts(second, catalog, modelPath, indexPath);
        using (var reload = await client.PostAsync("/admin/reload", null))
            Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
        body = await Json.ReadAsync(await client.GetAsync($"/search?q={Uri.EscapeDataString(query)}&k=5"));
        Assert.Equal(second.Version, body.GetProperty("modelVersion").GetString());
        Assert.Equal(Expected(second, catalog, query, 5), Ids(body));

        // An index that does not fit the model is refused on reload; the pair that serves stays.
        var wide = new MmseModel(s_options with { Dim = 24 });
        var vectors = wide.EncodeItems(catalog, threads: 1);
        using (var index = HnswIndex.Build(vectors, wide.Dim, [.. catalog.Ids], new HnswOptions { M = 8, Threads = 1 }))
            index.Save(indexPath);
        using (var refused = await client.PostAsync("/admin/reload", null))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
            var detail = (await Json.ReadAsync(refused)).GetProperty("detail").GetString();
            Assert.Contains("dimension 24", detail, StringComparison.Ordinal);
        }
        body = await Json.ReadAsync(await client.GetAsync($"/search?q={Uri.EscapeDataString(query)}&k=5"));
        Assert.Equal(second.Version, body.GetProperty("modelVersion").GetString());

        await stop.CancelAsync();
        var (code, error) = await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(code == 0, error);
    }

    [Fact]
    public void Serve_refuses_an_index_of_another_catalog_with_exit_2()
    {
        using var dir = new TempDir();
        var catalogPath = TestCatalog.Write(dir.File("catalog.jsonl"));
        var model = new MmseModel(s_options);
        var modelPath = dir.File("model.mmse");
        model.Save(modelPath);
        var ids = Enumerable.Range(0, TestCatalog.Items.Length).Select(i => $"x{i}").ToArray();
        using (var index = HnswIndex.Build(model.EncodeItems(ReadCatalog(catalogPath), threads: 1), model.Dim, ids, new HnswOptions { M = 8, Threads = 1 }))
            index.Save(dir.File("items.idx"));
        var error = new StringWriter();
        var code = Program.Run(["serve", "--model", modelPath, "--index", dir.File("items.idx"), "--catalog", catalogPath, "--urls", "http://127.0.0.1:0", "--quiet"],
            new CliContext(new StringWriter(), error, ProgressReporter.Silent));
        Assert.Equal(2, code);
        Assert.Contains("items.idx: 12 of its 12 items are not in the catalog (the first is id 'x0')", error.ToString(), StringComparison.Ordinal);
    }
}
