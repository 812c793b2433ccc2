using System.Net;
using System.Net.Http.Headers;

namespace Mmse.IntegrationTests;

/// <summary>POST /admin/reload: atomic swap under load, failures that keep the old engine serving.</summary>
public class ReloadTests
{
    private const string Key = "reload-key";

    private static HttpRequestMessage ReloadRequest(string? key = Key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/admin/reload");
        if (key is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return request;
    }

    private static async Task<string> ServingVersionAsync(HttpClient client) =>
        (await Json.ReadAsync(await client.GetAsync("/healthz"))).GetProperty("modelVersion").GetString()!;

    [Fact]
    public async Task Reload_swaps_in_the_new_engine()
    {
        await using var harness = await ServerHarness.StartAsync(new Server.ServerOptions { ApiKey = Key });
        Assert.Equal("hashing-v1-d128", await ServingVersionAsync(harness.Client));
        harness.Loader.Dim = 96;
        using var response = await harness.Client.SendAsync(ReloadRequest());
        var body = await Json.ReadAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("swapped", body.GetProperty("outcome").GetString());
        Assert.Equal("hashing-v1-d96", body.GetProperty("modelVersion").GetString());
        Assert.Equal("hashing-v1-d96", await ServingVersionAsync(harness.Client));
        var metrics = await harness.Client.GetStringAsync("/metrics");
        Assert.Contains("mmse_reloads_total{outcome=\"swapped\"} 1", metrics);
        Assert.Contains("mmse_model_info{version=\"hashing-v1-d96\"", metrics);
    }

    [Fact]
    public async Task Failed_reload_says_why_and_the_old_engine_keeps_serving()
    {
        await using var harness = await ServerHarness.StartAsync(new Server.ServerOptions { ApiKey = Key });
        harness.Loader.Fail = true;
        harness.Loader.Dim = 96;
        using var response = await harness.Client.SendAsync(ReloadRequest());
        var problem = await Json.AssertProblemAsync(response, 422, "model.bin: bad magic: not an mmse model");
        Assert.Contains("still serving model hashing-v1-d128", problem.GetProperty("detail").GetString());
        Assert.Equal("hashing-v1-d128", await ServingVersionAsync(harness.Client));
        using var search = await harness.Client.GetAsync("/search?q=sofa&k=1");
        Assert.Equal(HttpStatusCode.OK, search.StatusCode);
        Assert.Contains("mmse_reloads_total{outcome=\"failed\"} 1", await harness.Client.GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task A_reload_while_one_runs_is_409()
    {
        await using var harness = await ServerHarness.StartAsync(new Server.ServerOptions { ApiKey = Key });
        harness.Loader.DelayMs = 1500;
        var first = harness.Client.SendAsync(ReloadRequest());
        // Wait until the first reload is inside the loader, then ask again.
        for (var wait = 0; harness.Loader.Loads < 2; wait++)
        {
            Assert.True(wait < 3000, "the first reload never reached the loader");
            await Task.Delay(10);
        }
        using var second = await harness.Client.SendAsync(ReloadRequest());
        await Json.AssertProblemAsync(second, 409, "another reload is running");
        using var firstResponse = await first;
        Assert.Equal(HttpStatusCode.OK, firstResponse.StatusCode);
    }

    [Fact]
    public async Task Reloads_under_concurrent_queries_fail_no_request()
    {
        await using var harness = await ServerHarness.StartAsync(new Server.ServerOptions { ApiKey = Key });
        harness.Loader.DelayMs = 50;
        using var stop = new CancellationTokenSource();
        var versionsSeen = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var completed = 0;
        var queries = new[] { "angle bracket", "sofa", "phone case", "bananas", "drill" };

        async Task QueryLoop(int worker)
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                try
                {
                    using var response = await harness.Client.GetAsync($"/search?q={Uri.EscapeDataString(queries[(worker + n) % queries.Length])}&k=3");
                    var body = await Json.ReadAsync(response);
                    if (response.StatusCode != HttpStatusCode.OK || body.GetProperty("hits").GetArrayLength() != 3)
                        failures.Enqueue($"HTTP {(int)response.StatusCode}: {body}");
                    else
                        versionsSeen.AddOrUpdate(body.GetProperty("modelVersion").GetString()!, 1, (_, c) => c + 1);
                    Interlocked.Increment(ref completed);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or Xunit.Sdk.XunitException)
                {
                    failures.Enqueue(e.Message);
                }
            }
        }

        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(() => QueryLoop(w))).ToArray();
        var dims = new[] { 32, 48, 64, 80, 96, 112 };
        try
        {
            foreach (var dim in dims)
            {
                harness.Loader.Dim = dim;
                using var response = await harness.Client.SendAsync(ReloadRequest());
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                // Let queries run on each engine before the next swap.
                var before = Volatile.Read(ref completed);
                for (var wait = 0; Volatile.Read(ref completed) < before + 20; wait++)
                {
                    Assert.True(wait < 6000, $"searches stopped completing after the swap to dim {dim}: {string.Join("; ", failures.Take(3))}");
                    await Task.Delay(5);
                }
            }
        }
        finally
        {
            // Stop the query loops even when an assertion failed, so none outlives the server.
            await stop.CancelAsync();
            await Task.WhenAll(workers);
        }

        // The counts belong in CI's log, which shows the console (not the test output) of a passing test.
        Console.WriteLine($"reload fault suite: {completed} searches, {failures.Count} failed; {dims.Length} reloads under load");
        Assert.Empty(failures);
        Assert.True(completed > 100, $"only {completed} searches ran");
        // Queries were answered by more than one engine: they really ran across swaps.
        Assert.True(versionsSeen.Count >= 3, string.Join(", ", versionsSeen.Keys));
        Assert.Equal("hashing-v1-d112", await ServingVersionAsync(harness.Client));
        Assert.Equal(dims.Length, harness.Server.Host.Reloads);
    }
}
