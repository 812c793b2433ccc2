using System.Collections.Concurrent;
using System.Net;
using Mmse.Data;
using Mmse.Index;
using Mmse.Model;
using Mmse.Retrieval;
using Mmse.Server;
using Xunit.Abstractions;

namespace Mmse.IntegrationTests;

/// <summary>
/// Issue 15: the files a server serves change underneath it (overwritten in place as `cp`
/// does, truncated, deleted, replaced by garbage) while searches run and reloads are asked
/// for. No search may fail and the process must not crash (before the fix: an
/// AccessViolationException in HnswIndex.Greedy, as the index was memory-mapped); every reload
/// either swaps in a complete engine or says what it found and keeps the old one.
/// </summary>
public class FileChangesServeTests(ITestOutputHelper output)
{
    private static readonly ModelOptions s_options = new() { Buckets = 1 << 12, EmbeddingDim = 16, Hidden = 32, Heads = 2, Dim = 16 };

    private static void WriteIndex(MmseModel model, Catalog catalog, string path, int seed)
    {
        var vectors = model.EncodeItems(catalog, threads: 1);
        using var index = HnswIndex.Build(vectors, model.Dim, [.. catalog.Ids], new HnswOptions { M = 8, Threads = 1, Seed = seed });
        index.Save(path);
    }

    /// <summary>Overwrites a file in place (same inode, truncated first), as `cp other items.idx` does.</summary>
    private static void OverwriteInPlace(string path, byte[] bytes)
    {
        using var stream = new FileStream(path, FileMode.Truncate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        stream.Write(bytes);
    }

    [Fact]
    public async Task Overwriting_truncating_and_deleting_the_served_files_fails_no_request()
    {
        using var dir = new TempDir();
        var catalogPath = TestCatalog.Write(dir.File("catalog.jsonl"));
        var catalog = CatalogReader.Read(catalogPath);
        var modelPath = dir.File("model.mmse");
        var indexPath = dir.File("items.idx");
        var model = new MmseModel(s_options with { InitSeed = 1 });
        model.Save(modelPath);
        WriteIndex(model, catalog, indexPath, seed: 1);
        var other = new MmseModel(s_options with { InitSeed = 2 });
        var otherIndex = dir.File("other.idx");
        WriteIndex(other, catalog, otherIndex, seed: 2);
        var goodIndex = File.ReadAllBytes(indexPath);
        var otherIndexBytes = File.ReadAllBytes(otherIndex);
        var goodModel = File.ReadAllBytes(modelPath);
        var goodCatalog = File.ReadAllBytes(catalogPath);

        var loader = new BuiltInEngineLoader(new EngineSource(modelPath, indexPath, catalogPath));
        await using var server = await SearchServer.StartAsync(new ServerOptions { Urls = ["http://127.0.0.1:0"], LogToConsole = false }, loader);
        using var client = new HttpClient { BaseAddress = new Uri(server.Urls[0]), Timeout = TimeSpan.FromSeconds(30) };

        using var stop = new CancellationTokenSource();
        var failures = new ConcurrentQueue<string>();
        var completed = 0;
        var queries = new[] { "sofa", "grey sofa", "bracket", "hinge", "kettle", "oak shelf" };
        var load = Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            // A bounded load: four clients, one request at a time each.
            for (var i = worker; !stop.IsCancellationRequested; i++)
            {
                using var response = await client.GetAsync($"/search?q={Uri.EscapeDataString(queries[i % queries.Length])}&k=5");
                if (response.StatusCode != HttpStatusCode.OK)
                    failures.Enqueue($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                Interlocked.Increment(ref completed);
            }
        })).ToArray();

        var outcomes = new ConcurrentDictionary<int, int>();
        async Task Reload()
        {
            using var response = await client.PostAsync("/admin/reload", null);
            outcomes.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
        }

        // Each fault, with a reload while it stands, then the good files back and a reload.
        var faults = new (string Name, Action Apply)[]
        {
            ("index overwritten in place by another index", () => OverwriteInPlace(indexPath, otherIndexBytes)),
            ("index truncated to half", () => OverwriteInPlace(indexPath, goodIndex[..(goodIndex.Length / 2)])),
            ("index truncated to nothing", () => OverwriteInPlace(indexPath, [])),
            ("index deleted", () => File.Delete(indexPath)),
            ("model overwritten in place by garbage", () => OverwriteInPlace(modelPath, [.. goodModel.Take(100).Select(b => (byte)~b)])),
            ("model deleted", () => File.Delete(modelPath)),
            ("catalog truncated", () => OverwriteInPlace(catalogPath, goodCatalog[..(goodCatalog.Length / 3)])),
            ("catalog deleted", () => File.Delete(catalogPath)),
        };
        var rounds = 3;
        for (var round = 0; round < rounds; round++)
        {
            foreach (var (name, apply) in faults)
            {
                apply();
                await Task.Delay(40);
                await Reload();
                await Task.Delay(40);
                File.WriteAllBytes(indexPath, goodIndex);
                File.WriteAllBytes(modelPath, goodModel);
                File.WriteAllBytes(catalogPath, goodCatalog);
                await Reload();
            }
        }
        // Overwrites racing the loads: reload while the index is being rewritten again and again.
        var racer = Task.Run(() =>
        {
            for (var i = 0; i < 200; i++)
                OverwriteInPlace(indexPath, i % 2 == 0 ? otherIndexBytes : goodIndex);
        });
        while (!racer.IsCompleted)
            await Reload();
        await racer;
        File.WriteAllBytes(indexPath, goodIndex);
        await Reload();

        await stop.CancelAsync();
        await Task.WhenAll(load);
        using var health = await client.GetAsync("/healthz");
        var counts = $"file-change fault suite: {completed} searches, {failures.Count} failed; " +
            $"{faults.Length * rounds} faults x reload; reload answers {string.Join(", ", outcomes.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}"))}";
        // The test output helper reaches CI's log only for a failing test; the console always does.
        output.WriteLine(counts);
        Console.WriteLine(counts);
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(5)));
        Assert.True(completed > 100, $"only {completed} searches ran");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        // Every fault's reload was refused (422) and every restore swapped (200); nothing was a 500.
        Assert.DoesNotContain(500, outcomes.Keys);
        Assert.True(outcomes.GetValueOrDefault(422) >= faults.Length * rounds - rounds, $"refused reloads: {outcomes.GetValueOrDefault(422)}");
        Assert.True(outcomes.GetValueOrDefault(200) >= faults.Length * rounds);
    }
}
