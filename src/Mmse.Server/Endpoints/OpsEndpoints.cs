using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Mmse.Retrieval;

namespace Mmse.Server.Endpoints;

/// <summary>GET /healthz and GET /metrics (Prometheus text format).</summary>
public static class OpsEndpoints
{
    public static IEndpointRouteBuilder MapOpsEndpoints(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/healthz", Health)
            .WithName("Health")
            .WithSummary("Liveness and what is serving");
        app.MapGet("/metrics", Metrics)
            .WithName("Metrics")
            .WithSummary("Prometheus metrics (text format 0.0.4)")
            .Produces<string>(StatusCodes.Status200OK, "text/plain");
        return app;
    }

    internal static Ok<HealthResponse> Health(SearchEngineHost host)
    {
        var engine = host.Current;
        return TypedResults.Ok(new HealthResponse("ok", engine.ModelVersion, engine.Encoder.Heads, engine.Encoder.Dim,
            engine.Catalog.Count, engine.Index.SizeBytes, engine.LoadedAt, host.Reloads, host.FailedReloads));
    }

    internal static ContentHttpResult Metrics(SearchEngineHost host, ServerMetrics metrics) =>
        TypedResults.Text(metrics.Render(host), "text/plain; version=0.0.4; charset=utf-8");
}
