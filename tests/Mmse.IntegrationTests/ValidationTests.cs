using System.Net.Sockets;
using System.Text;

namespace Mmse.IntegrationTests;

/// <summary>Every bad input is a 4xx ProblemDetails that says what is wrong; never a 500.</summary>
public class ValidationTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private readonly HttpClient _client = shared.Client;

    [Theory]
    [InlineData("/search", 400, "'q': is required")]
    [InlineData("/search?q=", 400, "'q': is empty")]
    [InlineData("/search?q=%20%20%20", 400, "'q': is empty")]
    [InlineData("/search?q=sofa&k=0", 400, "'k': 0 is out of range [1, 1000]")]
    [InlineData("/search?q=sofa&k=-3", 400, "'k': -3 is out of range")]
    [InlineData("/search?q=sofa&k=1001", 400, "'k': 1001 is out of range [1, 1000]")]
    [InlineData("/search?q=sofa&k=ten", 400, "k")]
    [InlineData("/search?q=sofa&k=99999999999", 400, "k")]
    [InlineData("/search?q=sofa&filter=colour:red", 400, "unknown filter field 'colour'")]
    [InlineData("/search?q=sofa&filter=red", 400, "not of the form field:value")]
    [InlineData("/search?q=sofa&filter=brand:", 400, "empty value")]
    [InlineData("/search?q=sofa&filter=category:%3E", 400, "names no category")]
    public async Task Bad_get_parameters_are_400_problems(string url, int status, string detail)
    {
        using var response = await _client.GetAsync(url);
        await Json.AssertProblemAsync(response, status, detail);
    }

    [Fact]
    public async Task Over_long_query_is_400()
    {
        using var response = await _client.GetAsync("/search?q=" + new string('a', 257));
        await Json.AssertProblemAsync(response, 400, "'q': is 257 characters long; the limit is 256");
    }

    [Fact]
    public async Task Too_many_filters_is_400()
    {
        var url = "/search?q=sofa" + string.Concat(Enumerable.Repeat("&filter=brand:x", 9));
        using var response = await _client.GetAsync(url);
        await Json.AssertProblemAsync(response, 400, "9 clauses; the limit is 8");
    }

    [Theory]
    [InlineData("""{"queries": [{"q": "sofa"}""", "malformed JSON")]
    [InlineData("""not json""", "malformed JSON")]
    [InlineData("""{"queries": [{"q": 42}]}""", "$.queries[0].q")]
    [InlineData("""{"queries": [{"query": "sofa"}]}""", "'query'")]
    [InlineData("""{"queries": "sofa"}""", "$.queries")]
    [InlineData("""{"queries": [{"q": "sofa", "filter": "brand:x"}]}""", "$.queries[0].filter")]
    [InlineData("""null""", "'queries' array")]
    [InlineData("""{}""", "'queries' array")]
    [InlineData("""{"queries": []}""", "'queries': holds 0 queries")]
    [InlineData("""{"queries": [null]}""", "'queries[0]': is null")]
    [InlineData("""{"queries": [{"q": "sofa"}, {"q": ""}]}""", "'queries[1].q': is empty")]
    [InlineData("""{"queries": [{"q": "sofa", "k": 0}]}""", "'queries[0].k': 0 is out of range")]
    [InlineData("""{"queries": [{"q": "sofa", "filter": ["size:xl"]}]}""", "'queries[0].filter': unknown filter field 'size'")]
    public async Task Bad_post_bodies_are_400_problems(string json, string detail)
    {
        using var response = await _client.PostAsync("/search", Json.Body(json));
        await Json.AssertProblemAsync(response, 400, detail);
    }

    [Fact]
    public async Task Batch_over_the_limit_is_400()
    {
        var queries = string.Join(',', Enumerable.Repeat("""{"q": "sofa"}""", 65));
        using var response = await _client.PostAsync("/search", Json.Body($$"""{"queries": [{{queries}}]}"""));
        await Json.AssertProblemAsync(response, 400, "holds 65 queries; send 1 to 64");
    }

    [Fact]
    public async Task Body_that_is_not_json_is_415()
    {
        using var response = await _client.PostAsync("/search", new StringContent("q=sofa", Encoding.UTF8, "application/x-www-form-urlencoded"));
        await Json.AssertProblemAsync(response, 415, "must be JSON");
    }

    [Fact]
    public async Task Body_over_the_size_limit_is_413()
    {
        var big = new string(' ', (1 << 20) + 10);
        using var response = await _client.PostAsync("/search", Json.Body("{\"queries\": []" + big + "}"));
        await Json.AssertProblemAsync(response, 413, "too large");
    }

    [Fact]
    public async Task Wrong_method_is_405_problem()
    {
        using var response = await _client.DeleteAsync("/search");
        Assert.Equal(405, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Reload_without_the_key_is_401_and_changes_nothing()
    {
        var loads = shared.Harness.Loader.Loads;
        using var none = await _client.PostAsync("/admin/reload", null);
        await Json.AssertProblemAsync(none, 401, "API key");
        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/admin/reload");
        wrong.Headers.Add("X-Api-Key", "guess");
        using var wrongResponse = await _client.SendAsync(wrong);
        await Json.AssertProblemAsync(wrongResponse, 401, "API key");
        Assert.Equal(loads, shared.Harness.Loader.Loads);
    }

    [Fact]
    public async Task A_client_that_never_finishes_its_headers_is_disconnected()
    {
        // Kestrel's header timeout (10 s by default, 1 s here) closes the connection: a slow
        // client cannot hold a server thread or socket open forever.
        var options = new Server.ServerOptions { RequestHeadersTimeout = TimeSpan.FromSeconds(1) };
        await using var harness = await ServerHarness.StartAsync(options);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(harness.BaseAddress.Host, harness.BaseAddress.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /search?q=sofa HTTP/1.1\r\nHost: x\r\n"));
        // The server must end the connection by itself; give it far longer than the timeout
        // so a busy machine cannot fail the test, but never wait forever.
        var buffer = new byte[4096];
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var total = 0;
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, guard.Token)) > 0)
                total += read;
        }
        catch (IOException)
        {
            // A reset is also the server hanging up.
        }
        Assert.False(guard.IsCancellationRequested, "the server kept a half-sent request open for 30 s");
    }

    [Fact]
    public async Task A_body_that_trickles_in_is_cut_off()
    {
        var options = new Server.ServerOptions { MinRequestBodyBytesPerSecond = 1000, MinDataRateGracePeriod = TimeSpan.FromSeconds(2) };
        await using var harness = await ServerHarness.StartAsync(options);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(harness.BaseAddress.Host, harness.BaseAddress.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            "POST /search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"queries\": ["));
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(40));
        var response = new StringBuilder();
        var buffer = new byte[4096];
        try
        {
            // One byte a second: far under the minimum rate once the 2 s grace is over.
            var reader = Task.Run(async () =>
            {
                int read;
                while ((read = await stream.ReadAsync(buffer, guard.Token)) > 0)
                    response.Append(Encoding.ASCII.GetString(buffer, 0, read));
            });
            while (!reader.IsCompleted && !guard.IsCancellationRequested)
            {
                try
                {
                    await stream.WriteAsync(" "u8.ToArray(), guard.Token);
                }
                catch (IOException)
                {
                    break;
                }
                await Task.WhenAny(reader, Task.Delay(1000, guard.Token));
            }
            await reader;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
        }
        Assert.False(guard.IsCancellationRequested, "the server waited 40 s on a body sent at one byte a second");
        var text = response.ToString();
        Assert.True(text.Length == 0 || text.Contains(" 408 ", StringComparison.Ordinal), text);
    }
}
