namespace Mmse.Server;

/// <summary>
/// How the search service listens and what it refuses. Defaults keep a slow or hostile client
/// from holding a connection or memory: every wait has a timeout, every body a size limit.
/// Limits on a search itself (query length, k, batch size) are the engine's
/// <see cref="Mmse.Retrieval.SearchLimits"/>, given to its loader, so a reload may change them.
/// </summary>
public sealed record ServerOptions
{
    /// <summary>Addresses to listen on (default http://127.0.0.1:8080; port 0 picks a free port).</summary>
    public IReadOnlyList<string> Urls { get; init; } = ["http://127.0.0.1:8080"];

    /// <summary>When set, POST /admin/reload needs it in <c>X-Api-Key</c> or <c>Authorization: Bearer</c> (default none).</summary>
    public string? ApiKey { get; init; }

    /// <summary>Largest request body (default 1 MiB); larger is refused with 413.</summary>
    public long MaxRequestBodyBytes { get; init; } = 1 << 20;

    /// <summary>Time a client has to send the request line and headers (default 10 s).</summary>
    public TimeSpan RequestHeadersTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Idle time before a kept-alive connection is closed (default 60 s).</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a body upload or response download may run below its minimum rate before it is cut off (default 5 s, more than 1 s).</summary>
    public TimeSpan MinDataRateGracePeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Slowest body upload tolerated, in bytes per second after the grace period (default 240).</summary>
    public double MinRequestBodyBytesPerSecond { get; init; } = 240;

    /// <summary>Slowest response download tolerated, in bytes per second after the grace period (default 240).</summary>
    public double MinResponseBytesPerSecond { get; init; } = 240;

    /// <summary>Most open connections (default 10,000); more are refused.</summary>
    public long MaxConcurrentConnections { get; init; } = 10_000;

    /// <summary>
    /// Run requests on the socket I/O threads instead of the thread pool (Kestrel's
    /// <c>UnsafePreferInlineScheduling</c>). Default false: on the shared 2-core machine the
    /// paced run's p99 was worse with it in every comparison (docs/server.md, "Latency").
    /// </summary>
    public bool InlineScheduling { get; init; }

    /// <summary>Write start-up, reload and error messages to the console (default true).</summary>
    public bool LogToConsole { get; init; } = true;
}
