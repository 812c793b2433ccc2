using System.Net;
using System.Net.Sockets;
using Mmse.Cli;

namespace Mmse.IntegrationTests;

/// <summary>`mmse serve` end to end: the command starts the service and stops on cancel.</summary>
public class ServeCommandTests
{
    private static (int Code, string Out, string Error) Run(CancellationToken cancellation, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = Program.Run(args, new CliContext(TextWriter.Synchronized(output), TextWriter.Synchronized(error), ProgressReporter.Silent) { Cancellation = cancellation });
        return (code, output.ToString(), error.ToString());
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Serve_answers_searches_until_cancelled()
    {
        using var dir = new TempDir();
        var catalog = TestCatalog.Write(dir.File("catalog.jsonl"));
        var url = $"http://127.0.0.1:{FreePort()}";
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() => Run(stop.Token, "serve", "--model", "hashing", "--index", "exact", "--catalog", catalog, "--urls", url, "--quiet"));
        using var client = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(10) };
        HttpResponseMessage? response = null;
        for (var attempt = 0; attempt < 300 && response is null && !run.IsCompleted; attempt++)
        {
            try
            {
                response = await client.GetAsync("/search?q=angle+bracket&k=1");
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100);
            }
        }
        if (run.IsCompleted)
            Assert.Fail($"serve exited early: {(await run).Error}");
        Assert.NotNull(response);
        var body = await Json.ReadAsync(response);
        Assert.Equal("1005", body.GetProperty("hits")[0].GetProperty("id").GetString());
        Assert.Equal("hashing-v1-d128", body.GetProperty("modelVersion").GetString());
        response.Dispose();

        await stop.CancelAsync();
        var (code, output, error) = await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(code == 0, error);
        Assert.Contains($"listening on {url}", output);
    }

    [Theory]
    [InlineData("--model", "model.bin", "model.bin: file not found")]
    [InlineData("--model", "hashing:dim=3", "the built-in encoder is 'hashing' or 'hashing:dim=N'")]
    [InlineData("--index", "index.hnsw", "index.hnsw: file not found")]
    [InlineData("--urls", "https://0.0.0.0:1", "is not an http:// address")]
    [InlineData("--walk", "joint", "option '--walk': 'joint' is not one of fused, per-head")]
    public void Serve_rejects_what_it_cannot_load_with_exit_2(string option, string value, string message)
    {
        using var dir = new TempDir();
        var catalog = TestCatalog.Write(dir.File("catalog.jsonl"));
        var args = new Dictionary<string, string> { ["--model"] = "hashing", ["--index"] = "exact", ["--catalog"] = catalog, ["--urls"] = "http://127.0.0.1:0" };
        args[option] = value;
        var (code, _, error) = Run(CancellationToken.None, ["serve", .. args.SelectMany(p => new[] { p.Key, p.Value }), "--quiet"]);
        Assert.Equal(2, code);
        Assert.Contains(message, error);
    }

    [Fact]
    public void Serve_with_a_missing_catalog_exits_2_naming_it()
    {
        var (code, _, error) = Run(CancellationToken.None, "serve", "--model", "hashing", "--index", "exact", "--catalog", "/nonexistent/c.jsonl", "--quiet");
        Assert.Equal(2, code);
        Assert.Contains("/nonexistent/c.jsonl", error);
    }
}
