using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Mmse.Internals;
using Mmse.Retrieval;

namespace Mmse.Server.Endpoints;

/// <summary>GET /search (one query) and POST /search (a batch).</summary>
public static class SearchEndpoints
{
    public static IEndpointRouteBuilder MapSearchEndpoints(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/search", Search)
            .WithName("Search")
            .WithSummary("Top-k items for one query")
            .WithDescription("q: the query (1..MaxQueryLength characters after trimming). k: hits wanted (1..MaxK, default 10). " +
                "filter (repeatable, all must hold): category:PATH (that category and below), brand:X, shop:X, or KEY:VALUE for any catalog attribute.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        app.MapPost("/search", SearchBatch)
            .WithName("SearchBatch")
            .WithSummary("Top-k items for each query of a batch")
            .WithDescription("Body: {\"queries\": [{\"q\": \"...\", \"k\": 10, \"filter\": [\"brand:X\"]}, ...]} with 1..MaxBatch queries.")
            .Accepts<BatchRequest>("application/json")
            .Produces<BatchResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        return app;
    }

    internal static SearchJsonResult Search(string? q, int? k, [FromQuery] string[]? filter, SearchEngineHost host, ServerMetrics metrics)
    {
        using var lease = host.Acquire();
        var engine = lease.Engine;
        var query = engine.Validate(q, k, filter);
        var hits = engine.SearchItems(query, out var tookMs);
        metrics.AddQueries(1);
        // The catalog is plain managed memory: it stays valid after the lease ends (a retired
        // engine unmaps only its index), so the JSON is written after the engine is released.
        return new SearchJsonResult(query.Text, query.K, engine.ModelVersion, Math.Round(tookMs, 3), hits, engine.Catalog);
    }

    internal static async Task<IResult> SearchBatch(HttpRequest request, SearchEngineHost host, ServerMetrics metrics)
    {
        if (!request.HasJsonContentType())
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                detail: $"the body must be JSON (Content-Type: application/json), not '{request.ContentType ?? "none"}'");
        }
        BatchRequest? body;
        try
        {
            body = await request.ReadFromJsonAsync(ServerJsonContext.Default.BatchRequest, request.HttpContext.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            // JsonException's message names .NET types (Mmse.Server.BatchQuery, IReadOnlyList`1...):
            // say where the body went wrong instead.
            var at = e.LineNumber is { } line ? $" (line {line + 1}, byte {e.BytePositionInLine + 1})" : "";
            var unknown = e.Message.IndexOf("JSON property '", StringComparison.Ordinal) is var p and >= 0
                && e.Message.IndexOf('\'', p + 15) is var end and > 0 ? e.Message[(p + 15)..end] : null;
            return Problems.BadRequest(unknown is not null
                ? $"malformed JSON: unknown field '{unknown}' at {e.Path ?? "$"}{at}"
                : $"malformed JSON, or a value of the wrong type, at {e.Path ?? "$"}{at}", "Malformed JSON");
        }
        var queries = body?.Queries;
        if (queries is null)
            return Problems.BadRequest("the body must be an object with a 'queries' array", "Malformed JSON");

        var start = Stopwatch.GetTimestamp();
        using var lease = host.Acquire();
        var engine = lease.Engine;
        if (queries.Count == 0 || queries.Count > engine.Limits.MaxBatch)
            ThrowHelper.SearchInput("queries", $"holds {queries.Count} queries; send 1 to {engine.Limits.MaxBatch}");
        // Validate every query before searching any, so a bad batch costs nothing.
        var validated = new SearchQuery[queries.Count];
        for (var i = 0; i < queries.Count; i++)
        {
            var query = queries[i] ?? ThrowHelper.SearchInput<BatchQuery>($"queries[{i}]", "is null");
            validated[i] = engine.Validate(query.Q, query.K, query.Filter, $"queries[{i}].");
        }
        var results = new SearchResponse[validated.Length];
        for (var i = 0; i < validated.Length; i++)
            results[i] = ToResponse(engine.Search(validated[i]), engine);
        metrics.AddQueries(results.Length);
        return TypedResults.Ok(new BatchResponse(engine.ModelVersion, Stopwatch.GetElapsedTime(start).TotalMilliseconds, results));
    }

    private static SearchResponse ToResponse(SearchResult result, SearchEngine engine)
    {
        var hits = new HitResponse[result.Hits.Count];
        for (var i = 0; i < hits.Length; i++)
        {
            var h = result.Hits[i];
            hits[i] = new HitResponse(h.Id, h.Title, h.Category, h.Brand, h.Score, h.HeadScores, h.Head);
        }
        // As GET /search: "partial" and "missingShards" only when a shard of a Garnet backend missed the deadline.
        return new SearchResponse(result.Query, result.K, engine.ModelVersion, Math.Round(result.TookMs, 3), hits,
            result.Partial ? true : null, result.Partial ? result.MissingShards : null);
    }
}
