using System.CommandLine;
using System.Diagnostics;
using Mmse.Data;
using Mmse.Internals;
using Mmse.Model;

namespace Mmse.Cli.Commands;

internal sealed class EmbedCommand : Command
{
    public override string Name => "embed";

    public override string Summary => "Embed every catalog item with a trained model (items.fvecs + items.ids)";

    public override string Help => """
        Usage: mmse embed --model MODEL --catalog FILE --out DIR [--queries LOG] [--threads N] [--skip-bad]

        Writes DIR/items.fvecs (one unit vector of the model's dimension per item, catalog order),
        DIR/items.ids (the item ids, one per line, same order) and DIR/items.manifest.json (count,
        dimension, a SHA-256 of each file, the model version), which commits the pair: index and
        serve refuse vectors and ids of different runs. Runs on every core.
        With --queries, also DIR/queries.fvecs: the scoring vectors of each request's query in
        LOG, one row per head (K rows per request, request order; one row with pre-fusion), and
        DIR/queries.txt (the query texts, one per request). These are the query side of an ANN
        benchmark on the model's own vectors (mmse bench ann --base items.fvecs --query ...).

        Options:
          --model MODEL    a model written by mmse train        (required)
          --catalog FILE   the catalog                           (required)
          --out DIR        output folder                         (required)
          --queries LOG    also embed the queries of this search log
          --threads N      worker threads, 0 = all cores         (default 0)

        Example:
          mmse embed --model model.mmse --catalog data/catalog.jsonl --out vectors/
          mmse embed --model model.mmse --catalog data/catalog.jsonl --queries data/test.jsonl --out vectors/
        """;

    private readonly Option<string?> _model = CliOptions.Text("--model");
    private readonly Option<string?> _catalog = CliOptions.Text("--catalog");
    private readonly Option<string?> _out = CliOptions.Text("--out");
    private readonly Option<string?> _queries = CliOptions.Text("--queries");
    private readonly Option<int> _threads = CliOptions.Threads(0);
    private readonly Option<bool> _skipBad = CliOptions.Flag("--skip-bad");

    public override int Run(ParseResult args, CliContext context)
    {
        var modelPath = args.Required(_model);
        var catalogPath = args.Required(_catalog);
        var outDir = args.Required(_out);
        var queriesPath = args.GetValue(_queries);
        var threads = args.GetValue(_threads);
        var skipBad = args.GetValue(_skipBad);
        new OutputGuard().Input("--model", modelPath).Input("--catalog", catalogPath).Input("--queries", queriesPath)
            .Folder("--out", outDir, "items.fvecs", "items.ids", "items.manifest.json", "queries.fvecs", "queries.txt").Check();
        var model = MmseModel.Load(modelPath);
        var options = new DataReadOptions { SkipBad = skipBad };
        var problems = new DataProblems(options.MaxReportedProblems);
        var catalog = DataLoading.LoadCatalog(catalogPath, options, problems, context);
        var log = queriesPath is null ? null : DataLoading.LoadLog(queriesPath, catalog, options, problems, context);
        var clock = Stopwatch.StartNew();
        var vectors = model.EncodeItems(catalog, threads);
        Directory.CreateDirectory(outDir);
        // The manifest says "writing" while either file is replaced, so a kill between the two
        // renames leaves a pair that index and serve refuse (VectorManifest).
        var itemsPath = Path.Combine(outDir, "items.fvecs");
        var idsPath = Path.Combine(outDir, "items.ids");
        var pair = new VectorManifest(catalog.Count, model.Dim, VectorManifest.HashFvecs(vectors, model.Dim),
            VectorManifest.HashIds(catalog.Ids), model.Version, Complete: true);
        VectorManifest.Begin(itemsPath, pair);
        Vectors.WriteFvecs(itemsPath, vectors, model.Dim);
        WriteLines(idsPath, catalog.Ids);
        VectorManifest.Commit(itemsPath, pair);
        if (log is not null)
            WriteQueries(model, log, outDir, threads, context);
        context.Out.WriteLine($"embedded {catalog.Count:N0} items (dim {model.Dim}) in {clock.Elapsed.TotalSeconds:F1} s -> {Path.Combine(outDir, "items.fvecs")}, items.ids");
        return ExitCodes.Ok;
    }

    private static void WriteQueries(MmseModel model, SearchLog log, string outDir, int threads, CliContext context)
    {
        var heads = model.EncodeQueries(log.Queries, threads);
        int kd = model.Heads * model.Dim, rows = model.ScoringHeads, d = model.Dim;
        var scoring = new float[log.Count * rows * d];
        for (var r = 0; r < log.Count; r++)
            model.ScoringQuery(heads.AsSpan(r * kd, kd), scoring.AsSpan(r * rows * d, rows * d));
        Vectors.WriteFvecs(Path.Combine(outDir, "queries.fvecs"), scoring, d);
        WriteLines(Path.Combine(outDir, "queries.txt"), log.Queries.Select(q => q.ReplaceLineEndings(" ")));
        context.Out.WriteLine($"embedded {log.Count:N0} queries ({rows} vector(s) each) -> {Path.Combine(outDir, "queries.fvecs")}, queries.txt");
    }

    /// <summary>Writes one string per line ("\n"), atomically.</summary>
    private static void WriteLines(string path, IEnumerable<string> lines)
    {
        using var file = new AtomicFile(path);
        using (var writer = new StreamWriter(file.Stream, leaveOpen: true))
        {
            foreach (var line in lines)
                writer.Write(line + "\n");
        }
        file.Commit();
    }
}
