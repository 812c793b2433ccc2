using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mmse.Retrieval;

namespace Mmse.Server.Endpoints;

/// <summary>POST /admin/reload: load the model, index and catalog again and swap them in.</summary>
public static partial class AdminEndpoints
{
    public static IEndpointRouteBuilder MapAdminEndpoints(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost("/admin/reload", Reload)
            .WithName("Reload")
            .WithSummary("Reload the model, index and catalog from their files and swap them in atomically")
            .WithDescription("Needs the API key (X-Api-Key or Authorization: Bearer) when the server has one. " +
                "A failed load leaves the previous engine serving and says why.")
            .Produces<ReloadResponse>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status500InternalServerError);
        return app;
    }

    internal static async Task<IResult> Reload(HttpContext context, SearchEngineHost host, IEngineLoader loader, ServerOptions options)
    {
        if (!Problems.Authorized(context.Request, options.ApiKey))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
                detail: "this server needs its API key in the X-Api-Key header (or Authorization: Bearer KEY) to reload");
        }
        var logger = context.RequestServices.GetRequiredService<ILogger<SearchServer>>();
        // The application's token, not the request's: a client hanging up must not abort a load halfway.
        var stopping = context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        var result = await host.ReloadAsync(loader, stopping).ConfigureAwait(false);
        switch (result.Outcome)
        {
            case ReloadOutcome.Swapped:
                LogSwapped(logger, result.ModelVersion, result.Items, result.Elapsed.TotalMilliseconds);
                return TypedResults.Ok(new ReloadResponse("swapped", result.ModelVersion, result.Items, Math.Round(result.Elapsed.TotalMilliseconds, 1)));
            case ReloadOutcome.Busy:
                return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Reload already running",
                    detail: "another reload is running; try again when it has finished");
            default:
                LogFailed(logger, loader.Description, result.Error, result.ModelVersion);
                return TypedResults.Problem(
                    statusCode: result.InputError ? StatusCodes.Status422UnprocessableEntity : StatusCodes.Status500InternalServerError,
                    title: "Reload failed",
                    detail: $"{result.Error} (still serving model {result.ModelVersion} with {result.Items} items)");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reloaded: model {ModelVersion}, {Items} items in {ElapsedMs:F0} ms")]
    private static partial void LogSwapped(ILogger logger, string modelVersion, int items, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reload of {Source} failed: {Error}; still serving {ModelVersion}")]
    private static partial void LogFailed(ILogger logger, string source, string? error, string modelVersion);
}
