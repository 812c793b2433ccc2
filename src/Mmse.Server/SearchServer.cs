using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mmse.Retrieval;
using Mmse.Server.Endpoints;

namespace Mmse.Server;

/// <summary>
/// The search service: Kestrel with hardened limits, the API endpoints, the page, metrics and
/// hot reload. <see cref="StartAsync"/> loads the first engine, binds and returns once listening.
/// </summary>
public sealed partial class SearchServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SearchServer(WebApplication app, SearchEngineHost host)
    {
        _app = app;
        Host = host;
    }

    /// <summary>The engine holder (tests and embedders may reload through it).</summary>
    public SearchEngineHost Host { get; }

    /// <summary>The addresses it listens on, with the real port when port 0 was asked for.</summary>
    public IReadOnlyList<string> Urls => [.. _app.Urls];

    /// <summary>Request and latency counters.</summary>
    public ServerMetrics Metrics => _app.Services.GetRequiredService<ServerMetrics>();

    /// <summary>Loads the engine with <paramref name="loader"/>, starts listening and returns.</summary>
    public static async Task<SearchServer> StartAsync(ServerOptions options, IEngineLoader loader, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loader);
        var start = Stopwatch.GetTimestamp();
        var engine = await Task.Run(() => loader.Load(cancellationToken), cancellationToken).ConfigureAwait(false);
        var host = new SearchEngineHost(engine);
        try
        {
            var app = Build(options, host, loader);
            var server = new SearchServer(app, host);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            LogStarted(app.Services.GetRequiredService<ILogger<SearchServer>>(), engine.ModelVersion, engine.Catalog.Count,
                Stopwatch.GetElapsedTime(start).TotalMilliseconds, string.Join(' ', app.Urls));
            return server;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>Runs until <paramref name="cancellationToken"/> fires or the host is told to stop (SIGTERM).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            Host.Dispose();
        }
    }

    /// <summary>Builds (does not start) the web application around an engine host.</summary>
    public static WebApplication Build(ServerOptions options, SearchEngineHost host, IEngineLoader loader)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(loader);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls([.. options.Urls]);
        // Inline scheduling (off by default) runs a request on the socket's I/O thread instead of
        // queueing it to the thread pool: one hop less per request (docs/server.md, "Latency").
        // Safe because no handler blocks: searches are short CPU work, reloads run on Task.Run.
        builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = options.InlineScheduling);
        var refusals = new RejectedRequestBodies();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Requests Kestrel refuses before the application runs still get a problem body.
            kestrel.ConfigureEndpointDefaults(listen => listen.Use(refusals.Wrap));
            var limits = kestrel.Limits;
            kestrel.AddServerHeader = false;
            limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            limits.RequestHeadersTimeout = options.RequestHeadersTimeout;
            limits.KeepAliveTimeout = options.KeepAliveTimeout;
            limits.MinRequestBodyDataRate = new MinDataRate(options.MinRequestBodyBytesPerSecond, options.MinDataRateGracePeriod);
            limits.MinResponseDataRate = new MinDataRate(options.MinResponseBytesPerSecond, options.MinDataRateGracePeriod);
            limits.MaxConcurrentConnections = options.MaxConcurrentConnections;
            limits.MaxConcurrentUpgradedConnections = 0;
            limits.MaxRequestLineSize = RejectedRequestBodies.MaxRequestLineBytes;
            limits.MaxRequestHeadersTotalSize = RejectedRequestBodies.MaxRequestHeadersBytes;
            limits.MaxRequestHeaderCount = RejectedRequestBodies.MaxRequestHeaderCount;
        });

        builder.Logging.ClearProviders();
        if (options.LogToConsole)
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ssZ ";
                o.UseUtcTimestamp = true;
            });
        }
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        // The host logs a failed start (a port in use) with the full stack trace before it throws;
        // the exception reaches our caller, which says it in one line (mmse serve: exit 2).
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);

        var services = builder.Services;
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ServerJsonContext.Default));
        // A parameter that does not bind ("k=abc") throws, so the problem middleware names it.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            // Routing's own refusals come with no detail; say what was wrong.
            var request = context.HttpContext.Request;
            context.ProblemDetails.Detail ??= context.ProblemDetails.Status switch
            {
                StatusCodes.Status404NotFound => $"nothing at {request.Path}; the API is described at /openapi.json",
                StatusCodes.Status405MethodNotAllowed => $"{request.Method} is not allowed on {request.Path}",
                StatusCodes.Status415UnsupportedMediaType => $"the body must be JSON (Content-Type: application/json), not '{request.ContentType ?? "none"}'",
                _ => null,
            };
        });
        services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Mmse search service";
            document.Info.Description = "Semantic product search over a trained MMSE model and its index. Errors are RFC 9457 problem details.";
            return Task.CompletedTask;
        }));
        services.AddSingleton(options);
        services.AddSingleton(host);
        services.AddSingleton(loader);
        services.AddSingleton<ServerMetrics>();

        var app = builder.Build();
        var refusalEvents = app.Services.GetRequiredService<DiagnosticListener>().Subscribe(refusals, RejectedRequestBodies.IsEnabled);
        app.Lifetime.ApplicationStopped.Register(refusalEvents.Dispose);
        var metrics = app.Services.GetRequiredService<ServerMetrics>();
        app.Use((context, next) => Measure(context, next, metrics));
        app.Use(Problems.Handle);
        app.UseStatusCodePages(); // empty 404/405 bodies become problem details
        app.UseRouting();
        app.MapOpenApi("/openapi.json");
        app.MapSearchEndpoints();
        app.MapItemEndpoints();
        app.MapOpsEndpoints();
        app.MapAdminEndpoints();
        app.MapPageEndpoints();
        return app;
    }

    private static async Task Measure(HttpContext context, RequestDelegate next, ServerMetrics metrics)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            // The route template, not the path, so /items/{id} is one series however many ids.
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            metrics.Record(route, context.Response.StatusCode, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving model {ModelVersion}, {Items} items (loaded in {ElapsedMs:F0} ms) on {Urls}")]
    private static partial void LogStarted(ILogger logger, string modelVersion, int items, double elapsedMs, string urls);
}
