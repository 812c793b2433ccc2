using System.CommandLine;
using Mmse.Internals;
using Mmse.Retrieval;
using Mmse.Server;

namespace Mmse.Cli.Commands;

/// <summary>`mmse serve`: the HTTP search service (docs/server.md).</summary>
internal sealed class ServeCommand : Command
{
    public override string Name => "serve";

    public override string Summary => "Serve search over HTTP: API, web page, metrics, hot reload";

    public override string Help => """
        Usage: mmse serve --model MODEL --index INDEX --catalog C [--urls URLS] [--api-key KEY] [--ef N] [--walk W]
               mmse serve --model MODEL --backend garnet://HOST:PORT[,...] --catalog C [...]

        Loads the model, the index and the catalog and answers searches over HTTP until
        Ctrl+C or SIGTERM. The page is at /, the API at /search, /items/{id}, /healthz,
        /metrics, /openapi.json; POST /admin/reload re-reads the three files and swaps them
        in without dropping a request. See docs/server.md.

        Options:
          --model MODEL      a model written by 'mmse train', or 'hashing' / 'hashing:dim=N'
                             (a built-in untrained encoder for demos and tests)
          --index INDEX      an HNSW index written by 'mmse index' (memory-mapped), 'exact'
                             (exact search, items embedded with the model at load), or a
                             .fvecs file of item vectors, one row per catalog item
          --ef N             HNSW candidate list per query head; larger is more accurate
                             and slower; 0 = the value stored in the index  (default 64)
          --walk W           how a multi-head query walks the HNSW graph: 'fused' (one walk
                             by the fused score, keeping ef x heads candidates) or 'per-head'
                             (one walk per head, union re-scored); fused finds the same
                             hits with about half the work (docs/index.md)  (default fused)
          --catalog C        the catalog (JSONL, CSV or TSV)
          --backend ADDRESS  search item vectors published to a Garnet cluster by 'mmse publish'
                             (garnet://HOST:PORT[,...]) instead of --index; --ef is VSIM's EF
                             (docs/scaling.md)
          --name P           the key prefix given to 'mmse publish'        (default mmse)
          --deadline-ms N    with --backend: answer without the shards that take longer,
                             marked partial                               (default 250)
          --urls URLS        where to listen, ';'-separated     (default http://127.0.0.1:8080)
          --api-key KEY      key that POST /admin/reload must present (X-Api-Key header);
                             also read from MMSE_API_KEY       (default none: reload is open)
          --max-k N          largest k a search may ask for      (default 1000)
          --quiet            no log lines on the console (start-up, reloads, errors)

        Example:
          mmse serve --model model.mmse --index items.idx --catalog catalog.jsonl --urls http://127.0.0.1:8080
          curl 'http://127.0.0.1:8080/search?q=angle+bracket&k=5&filter=category:Tools'
        """;

    private readonly Option<string?> _model = CliOptions.Text("--model");
    private readonly Option<string?> _index = CliOptions.Text("--index");
    private readonly Option<string?> _catalog = CliOptions.Text("--catalog");
    private readonly Option<int> _ef = CliOptions.Int("--ef", EngineSource.DefaultEf, 0, 100_000);
    private readonly Option<string> _walk = WalkOption.Create();
    private readonly Option<string?> _urls = CliOptions.Text("--urls");
    private readonly Option<string?> _apiKey = CliOptions.Text("--api-key");
    private readonly Option<int> _maxK = CliOptions.Int("--max-k", SearchLimits.Default.MaxK, 1, 100_000);
    private readonly Option<bool> _quiet = CliOptions.Flag("--quiet");
    private readonly Option<string?> _backend = CliOptions.Text("--backend");
    private readonly Option<string?> _name = CliOptions.Text("--name");
    private readonly Option<int> _deadlineMs = CliOptions.Int("--deadline-ms", 250, 1, 600_000);

    public override int Run(ParseResult args, CliContext context)
    {
        new OutputGuard().Input("--model", args.GetValue(_model)).Input("--index", args.GetValue(_index)).Input("--catalog", args.GetValue(_catalog)).Check();
        var backend = args.GetValue(_backend);
        var source = backend is null
            ? new EngineSource(args.Required(_model), args.Required(_index), args.Required(_catalog), args.GetValue(_ef), args.GetWalk(_walk))
            : null;
        var urls = (args.GetValue(_urls) ?? "http://127.0.0.1:8080")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var apiKey = args.GetValue(_apiKey) ?? Environment.GetEnvironmentVariable("MMSE_API_KEY");
        var maxK = args.GetValue(_maxK);
        var quiet = args.GetValue(_quiet);
        foreach (var url in urls)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != "http")
                throw new UsageException($"option '--urls': '{url}' is not an http:// address");
        }

        var limits = SearchLimits.Default with { MaxK = maxK };
        var options = new ServerOptions
        {
            Urls = urls,
            ApiKey = string.IsNullOrEmpty(apiKey) ? null : apiKey,
            LogToConsole = !quiet,
            // MMSE_INLINE=1 runs requests on the socket threads (for comparisons; docs/server.md).
            InlineScheduling = Environment.GetEnvironmentVariable("MMSE_INLINE") == "1",
        };
        if (options.ApiKey is null && urls.Any(u => !IsLoopback(u)))
            context.Error.WriteLine("warning: listening beyond this machine with no --api-key: anyone who can connect can reload");
        IEngineLoader loader = source is not null
            ? new BuiltInEngineLoader(source, limits)
            : new Mmse.Garnet.GarnetEngineLoader(
                Mmse.Garnet.GarnetTarget.Parse(backend!, "--backend", args.GetValue(_name) ?? Mmse.Garnet.GarnetTarget.DefaultPrefix),
                args.Required(_model), args.Required(_catalog),
                new Mmse.Garnet.GarnetSearchOptions { Ef = args.GetValue(_ef), Deadline = TimeSpan.FromMilliseconds(args.GetValue(_deadlineMs)) },
                limits);
        return RunAsync(options, loader, context).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(ServerOptions options, IEngineLoader loader, CliContext context)
    {
        SearchServer server;
        try
        {
            server = await SearchServer.StartAsync(options, loader, context.Cancellation).ConfigureAwait(false);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            // Kestrel's "Failed to bind to address ...: address already in use." is the user's to fix.
            server = ThrowHelper.Input<SearchServer>($"cannot listen on {string.Join(' ', options.Urls)}: {e.Message}", e);
        }
        await using var running = server;
        context.Out.WriteLine($"mmse serve: listening on {string.Join(' ', server.Urls)} (Ctrl+C to stop)");
        await server.WaitForShutdownAsync(context.Cancellation).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private static bool IsLoopback(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.IsLoopback || uri.Host == "localhost");
}
