using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Mmse.IntegrationTests;

/// <summary>Issue 15: error bodies say what was wrong in the API's words and never name a .NET type.</summary>
public class ErrorBodyTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private readonly HttpClient _client = shared.Client;

    private static void AssertNoTypeNames(string body)
    {
        foreach (var leak in new[] { "Nullable", "Mmse.", "System.", "`1", "Int32", "<int>" })
            Assert.DoesNotContain(leak, body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/search?q=sofa&k=abc", "'k': 'abc' is not a whole number")]
    [InlineData("/search?q=sofa&k=5.5", "'k': '5.5' is not a whole number")]
    public async Task A_parameter_that_does_not_bind_is_named_without_types(string url, string detail)
    {
        using var response = await _client.GetAsync(url);
        var problem = await Json.AssertProblemAsync(response, 400, detail);
        AssertNoTypeNames(problem.ToString());
    }

    [Theory]
    [InlineData("""{"queries": [1]}""", "$.queries[0]")]
    [InlineData("""{"queries": [{"q": "sofa", "filter": "brand:x"}]}""", "$.queries[0].filter")]
    [InlineData("""{"queries": [{"q": "sofa", "k": "ten"}]}""", "$.queries[0].k")]
    public async Task A_batch_value_of_the_wrong_type_says_where_without_types(string body, string path)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _client.PostAsync("/search", content);
        var problem = await Json.AssertProblemAsync(response, 400, path);
        AssertNoTypeNames(problem.ToString());
    }

    [Fact]
    public async Task A_100_KB_url_is_a_414_problem_naming_the_limit()
    {
        using var response = await _client.GetAsync("/search?q=sofa&pad=" + new string('a', 100 * 1024));
        var problem = await Json.AssertProblemAsync(response, 414, "over 8192 bytes");
        AssertNoTypeNames(problem.ToString());
    }

    [Fact]
    public async Task A_url_just_under_the_limit_is_answered_normally()
    {
        var url = "/search?q=sofa&pad=";
        using var response = await _client.GetAsync(url + new string('a', 8000 - url.Length));
        Assert.Equal(200, (int)response.StatusCode);
    }

    [Fact]
    public async Task Too_many_headers_is_a_431_problem()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/search?q=sofa");
        for (var i = 0; i < 70; i++)
            request.Headers.Add($"X-Pad-{i}", "x");
        using var response = await _client.SendAsync(request);
        var problem = await Json.AssertProblemAsync(response, 431, "64 headers");
        AssertNoTypeNames(problem.ToString());
    }

    [Fact]
    public void Only_an_empty_http1_refusal_head_is_given_a_body()
    {
        var body = "{}"u8.ToArray();
        var refusal = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8;
        var rewritten = Encoding.Latin1.GetString(Server.RefusalWriter.WithBody(refusal, body)!);
        Assert.Equal("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: application/problem+json\r\nContent-Length: 2\r\n\r\n{}", rewritten);
        // Anything else goes out as Kestrel wrote it: a head with a body, a success, two heads, HTTP/2 frames.
        Assert.Null(Server.RefusalWriter.WithBody("HTTP/1.1 400 Bad Request\r\nContent-Length: 5\r\n\r\n"u8, body));
        Assert.Null(Server.RefusalWriter.WithBody("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\nhello"u8, body));
        Assert.Null(Server.RefusalWriter.WithBody("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8, body));
        Assert.Null(Server.RefusalWriter.WithBody("HTTP/1.1 400 X\r\nContent-Length: 0\r\n\r\nHTTP/1.1 400 X\r\nContent-Length: 0\r\n\r\n"u8, body));
        Assert.Null(Server.RefusalWriter.WithBody([0, 0, 8, 7, 0, 0, 0, 0, 0], body));
    }

    /// <summary>
    /// Kestrel refuses a path whose percent-decoding holds a NUL before any application code runs;
    /// the server still answers with a problem body (see Mmse.Server.RejectedRequestBodies).
    /// Sent over a raw socket so no client library rewrites the path.
    /// </summary>
    [Theory]
    [InlineData("/items/%00", 400, "not a valid request target")]
    [InlineData("/search?q=sofa%00", 200, null)]
    public async Task A_nul_in_the_path_is_a_400_problem(string target, int status, string? detail)
    {
        var (code, contentType, body) = await RawGetAsync(shared.Harness.BaseAddress, target);
        Assert.Equal(status, code);
        if (detail is null)
            return;
        Assert.Equal("application/problem+json", contentType);
        using var problem = JsonDocument.Parse(body);
        Assert.Equal(status, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Contains(detail, problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        AssertNoTypeNames(body);
    }

    [Fact]
    public async Task A_refusal_after_a_kept_alive_answer_leaves_that_answer_whole()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(shared.Harness.BaseAddress.Host, shared.Harness.BaseAddress.Port);
        var stream = tcp.GetStream();
        // Pipelined in one write: Kestrel answers the first, then refuses the second while parsing it.
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /items/1006 HTTP/1.1\r\nHost: x\r\n\r\nGET /items/%00 HTTP/1.1\r\nHost: x\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var text = await reader.ReadToEndAsync(timeout.Token);
        var second = text.IndexOf("HTTP/1.1 400", StringComparison.Ordinal);
        Assert.True(text.StartsWith("HTTP/1.1 200", StringComparison.Ordinal) && second > 0, text);
        Assert.Contains("Grey fabric three seat sofa", text[..second], StringComparison.Ordinal);
        var body = text[(text.IndexOf("\r\n\r\n", second, StringComparison.Ordinal) + 4)..];
        using var problem = JsonDocument.Parse(body);
        Assert.Equal(400, problem.RootElement.GetProperty("status").GetInt32());
    }

    /// <summary>One HTTP/1.1 GET over a socket: status, content type and body, read until the server closes or the body is complete.</summary>
    internal static async Task<(int Status, string? ContentType, string Body)> RawGetAsync(Uri server, string target)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var text = await reader.ReadToEndAsync(timeout.Token);
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(split > 0, $"no complete response: '{text}'");
        var head = text[..split].Split("\r\n");
        var status = int.Parse(head[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var contentType = head.Skip(1).Select(h => h.Split(':', 2)).Where(h => h[0].Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            .Select(h => h[1].Trim().Split(';')[0]).FirstOrDefault();
        var body = text[(split + 4)..];
        if (head.Any(h => h.StartsWith("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase)))
            body = Unchunk(body);
        return (status, contentType, body);
    }

    private static string Unchunk(string chunked)
    {
        var body = new StringBuilder();
        var at = 0;
        while (true)
        {
            var line = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = Convert.ToInt32(chunked[at..line], 16);
            if (size == 0)
                return body.ToString();
            body.Append(chunked, line + 2, size);
            at = line + 2 + size + 2;
        }
    }
}
