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
        Usage: mmse embed --model MODEL --catalog FILE --out DIR [--threads N] [--skip-bad]

        Writes DIR/items.fvecs (one unit vector of the model's dimension per item, catalog order)
        and DIR/items.ids (the item ids, one per line, same order). Runs on every core.

        Options:
          --model MODEL    a model written by mmse train        (required)
          --catalog FILE   the catalog                           (required)
          --out DIR        output folder                         (required)
          --threads N      worker threads, 0 = all cores         (default 0)

        Example:
          mmse embed --model model.mmse --catalog data/catalog.jsonl --out vectors/
        """;

    public override int Run(CliArgs args, CliContext context)
    {
        var modelPath = args.Required("--model");
        var catalogPath = args.Required("--catalog");
        var outDir = args.Required("--out");
        var threads = args.Int("--threads", 0, 0, 1024);
        var skipBad = args.Flag("--skip-bad");
        args.Finish();
        var model = MmseModel.Load(modelPath);
        var options = new DataReadOptions { SkipBad = skipBad };
        var catalog = DataLoading.LoadCatalog(catalogPath, options, new DataProblems(options.MaxReportedProblems), context);
        var clock = Stopwatch.StartNew();
        var vectors = model.EncodeItems(catalog, threads);
        Directory.CreateDirectory(outDir);
        Vectors.WriteFvecs(Path.Combine(outDir, "items.fvecs"), vectors, model.Dim);
        using (var ids = new AtomicFile(Path.Combine(outDir, "items.ids")))
        {
            using (var writer = new StreamWriter(ids.Stream, leaveOpen: true))
            {
                foreach (var id in catalog.Ids)
                    writer.Write(id + "\n");
            }
            ids.Commit();
        }
        context.Out.WriteLine($"embedded {catalog.Count:N0} items (dim {model.Dim}) in {clock.Elapsed.TotalSeconds:F1} s -> {Path.Combine(outDir, "items.fvecs")}, items.ids");
        return ExitCodes.Ok;
    }
}
