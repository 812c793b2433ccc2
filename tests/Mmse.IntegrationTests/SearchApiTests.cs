using System.Net;
using System.Text.Json;

namespace Mmse.IntegrationTests;

/// <summary>The API's happy paths, over HTTP against a real Kestrel on 127.0.0.1.</summary>
public class SearchApiTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private readonly HttpClient _client = shared.Client;

    private static string[] Ids(JsonElement hits) => [.. hits.EnumerateArray().Select(h => h.GetProperty("id").GetString()!)];

    [Fact]
    public async Task Get_search_returns_ranked_hits_with_fused_and_per_head_scores()
    {
        using var response = await _client.GetAsync("/search?q=angle%20bracket&k=3");
        var body = await Json.ReadAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("angle bracket", body.GetProperty("query").GetString());
        Assert.Equal(3, body.GetProperty("k").GetInt32());
        Assert.True(body.GetProperty("tookMs").GetDouble() >= 0);
        Assert.StartsWith("hashing-v1-d128", body.GetProperty("modelVersion").GetString());
        var hits = body.GetProperty("hits");
        Assert.Equal(3, hits.GetArrayLength());
        var top = hits[0];
        Assert.Equal("1005", top.GetProperty("id").GetString());
        Assert.Equal("Steel angle bracket 4 pack", top.GetProperty("title").GetString());
        var headScores = top.GetProperty("headScores").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.Equal(2, headScores.Length);
        var head = top.GetProperty("head").GetInt32();
        Assert.Equal(Array.IndexOf(headScores, headScores.Max()), head);
        // Fused score lies between the smallest and largest head cosine, and hits come best first.
        var score = top.GetProperty("score").GetSingle();
        Assert.InRange(score, headScores.Min() - 1e-5f, headScores.Max() + 1e-5f);
        var scores = hits.EnumerateArray().Select(h => h.GetProperty("score").GetSingle()).ToArray();
        Assert.Equal(scores.OrderDescending(), scores);
    }

    [Fact]
    public async Task Default_k_is_ten_and_k_may_exceed_the_catalog()
    {
        using var ten = await _client.GetAsync("/search?q=sofa");
        Assert.Equal(10, (await Json.ReadAsync(ten)).GetProperty("hits").GetArrayLength());
        using var all = await _client.GetAsync("/search?q=sofa&k=1000");
        Assert.Equal(TestCatalog.Items.Length, (await Json.ReadAsync(all)).GetProperty("hits").GetArrayLength());
    }

    [Fact]
    public async Task Category_filter_matches_the_category_and_everything_below_it()
    {
        using var response = await _client.GetAsync("/search?q=steel&k=50&filter=" + Uri.EscapeDataString("category:tools>hardware"));
        var ids = Ids((await Json.ReadAsync(response)).GetProperty("hits"));
        Assert.Equal(["1005", "1007"], ids.Order().ToArray());
    }

    [Fact]
    public async Task Category_prefix_stops_at_segment_boundaries()
    {
        // "Electronics > Phone" must not match "Electronics > Phones" or "... > Phone Accessories".
        using var response = await _client.GetAsync("/search?q=phone&filter=" + Uri.EscapeDataString("category:Electronics > Phone"));
        Assert.Empty((await Json.ReadAsync(response)).GetProperty("hits").EnumerateArray());
    }

    [Fact]
    public async Task Brand_and_attribute_filters_combine_with_and()
    {
        using var brand = await _client.GetAsync("/search?q=sofa&k=50&filter=brand:homeline");
        Assert.Equal(["1006", "1010", "1012"], Ids((await Json.ReadAsync(brand)).GetProperty("hits")).Order().ToArray());
        using var both = await _client.GetAsync("/search?q=sofa&k=50&filter=brand:HomeLine&filter=color:grey");
        Assert.Equal(["1006"], Ids((await Json.ReadAsync(both)).GetProperty("hits")));
    }

    [Fact]
    public async Task Post_search_answers_a_batch_in_order()
    {
        using var response = await _client.PostAsync("/search", Json.Body("""
            {"queries": [{"q": "angle bracket", "k": 1}, {"q": "sofa", "k": 2, "filter": ["color:brown"]}, {"q": "bananas"}]}
            """));
        var body = await Json.ReadAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = body.GetProperty("results");
        Assert.Equal(3, results.GetArrayLength());
        Assert.Equal(["1005"], Ids(results[0].GetProperty("hits")));
        Assert.Equal(["1010"], Ids(results[1].GetProperty("hits")));
        Assert.Equal("1009", results[2].GetProperty("hits")[0].GetProperty("id").GetString());
        Assert.Equal("bananas", results[2].GetProperty("query").GetString());
    }

    [Fact]
    public async Task Get_item_returns_the_catalog_record()
    {
        using var response = await _client.GetAsync("/items/1007");
        var body = await Json.ReadAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Brass door hinge pair", body.GetProperty("title").GetString());
        Assert.Equal("Tools > Hardware > Hinges", body.GetProperty("category").GetString());
        Assert.Equal("brass", body.GetProperty("attributes").GetProperty("material").GetString());
        Assert.Equal(9, body.GetProperty("price").GetSingle());
    }

    [Fact]
    public async Task Unknown_item_and_unknown_route_are_404_problems()
    {
        using var item = await _client.GetAsync("/items/nope");
        await Json.AssertProblemAsync(item, 404, "no item has id 'nope'");
        using var route = await _client.GetAsync("/no/such/page");
        Assert.Equal(HttpStatusCode.NotFound, route.StatusCode);
        Assert.Equal("application/problem+json", route.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Healthz_says_what_is_serving()
    {
        using var response = await _client.GetAsync("/healthz");
        var body = await Json.ReadAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", body.GetProperty("status").GetString());
        Assert.Equal(TestCatalog.Items.Length, body.GetProperty("items").GetInt32());
        Assert.Equal(2, body.GetProperty("heads").GetInt32());
        Assert.Equal(128 * TestCatalog.Items.Length * 4, body.GetProperty("indexBytes").GetInt64());
    }

    [Fact]
    public async Task Metrics_count_requests_by_status_and_describe_the_engine()
    {
        using (await _client.GetAsync("/search?q=drill")) { }
        using (await _client.GetAsync("/search?q=drill&k=0")) { }
        var text = await _client.GetStringAsync("/metrics");
        Assert.Matches(@"mmse_http_requests_total\{route=""/search"",status=""200""\} [1-9]", text);
        Assert.Matches(@"mmse_http_requests_total\{route=""/search"",status=""400""\} [1-9]", text);
        Assert.Contains("# TYPE mmse_http_request_duration_seconds histogram", text);
        Assert.Matches(@"mmse_http_request_duration_seconds_bucket\{route=""/search"",le=""\+Inf""\} [1-9]", text);
        Assert.Contains($"mmse_index_items {TestCatalog.Items.Length}", text);
        Assert.Contains($"mmse_index_size_bytes {128 * TestCatalog.Items.Length * 4}", text);
        Assert.Contains("mmse_model_info{version=\"hashing-v1-d128\",heads=\"2\",dim=\"128\"} 1", text);
        // Every sample line is "name{labels} value" or "name value": parseable by Prometheus.
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')))
            Assert.Matches(@"^[a-z_]+(\{([a-z_]+=""[^""]*"",?)+\})? [-+0-9.eE]+$", line);
    }

    [Fact]
    public async Task OpenApi_document_describes_every_endpoint()
    {
        using var response = await _client.GetAsync("/openapi.json");
        var body = await Json.ReadAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("3.", body.GetProperty("openapi").GetString());
        var paths = body.GetProperty("paths");
        foreach (var path in new[] { "/search", "/items/{id}", "/healthz", "/metrics", "/admin/reload" })
            Assert.True(paths.TryGetProperty(path, out _), $"{path} missing from the OpenAPI document");
        Assert.True(paths.GetProperty("/search").TryGetProperty("post", out var post));
        Assert.True(post.TryGetProperty("requestBody", out _));
    }

    [Fact]
    public async Task Page_is_served_from_the_assembly_with_no_external_resources()
    {
        using var response = await _client.GetAsync("/");
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<input id=\"q\"", html);
        Assert.Contains("name=\"viewport\"", html);
        Assert.Contains("default-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single());
        var js = await _client.GetStringAsync("/app.js");
        var css = await _client.GetStringAsync("/app.css");
        foreach (var text in new[] { html, js, css })
            Assert.DoesNotMatch(@"(src|href)\s*=\s*[""']?(https?:)?//", text);
        Assert.Contains("/search?", js);
    }
}
