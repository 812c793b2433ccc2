using System.CommandLine;
using Mmse.Data;
using Mmse.Garnet;
using Mmse.Internals;
using Mmse.Retrieval;

namespace Mmse.Cli.Commands;

/// <summary>`mmse publish`: the catalog's item vectors into Garnet vector sets (docs/scaling.md).</summary>
internal sealed class PublishCommand : Command
{
    public override string Name => "publish";

    public override string Summary => "Publish item vectors to a Garnet cluster for 'serve --backend garnet://'";

    public override string Help => """
        Usage: mmse publish --model MODEL --catalog C --to garnet://HOST:PORT[,HOST:PORT...] [options]

        Embeds the catalog with the model (or takes --vectors) and writes every item into one of
        S vector sets whose hash-tagged keys are spread over the cluster's primaries, with its
        category, brand, shop, attributes and price as filterable attributes. Pipelined and
        resumable: a re-publish sends only what changed (adds, updates, removes by id). A manifest
        key records the model's version and dimension; a server refuses vectors of another model.
        See docs/scaling.md.

        Options:
          --model MODEL      a model written by 'mmse train', or 'hashing' / 'hashing:dim=N'  (required)
          --catalog C        the catalog (JSONL, CSV or TSV)                                  (required)
          --to ADDRESS       garnet://HOST:PORT[,HOST:PORT...], any nodes of the cluster      (required)
          --vectors FILE     item vectors (.fvecs, one row per catalog item, catalog order,
                             e.g. from 'mmse embed') instead of embedding here
          --shards S         vector sets to spread the items over    (default: 2 per primary,
                             or what the last publish used)
          --quantize Q       noquant (float32), q8 or bin: Garnet's storage of the vectors (default noquant)
          --name P           key prefix, for several catalogs or models in one cluster        (default mmse)
          --replace          drop sets of another model, dimension, quantisation or shard count
          --pipeline N       commands in flight at once                                       (default 512)

        Example:
          deploy/garnet/cluster.sh up 3
          mmse publish --model model.mmse --catalog catalog.jsonl --to garnet://127.0.0.1:7100
          mmse serve --model model.mmse --catalog catalog.jsonl --backend garnet://127.0.0.1:7100
        """;

    private readonly Option<string?> _model = CliOptions.Text("--model");
    private readonly Option<string?> _catalog = CliOptions.Text("--catalog");
    private readonly Option<string?> _to = CliOptions.Text("--to");
    private readonly Option<string?> _vectors = CliOptions.Text("--vectors");
    private readonly Option<int> _shards = CliOptions.Int("--shards", 0, 0, 16384);
    private readonly Option<string> _quantize = CliOptions.Choice("--quantize", "noquant", "noquant", "q8", "bin");
    private readonly Option<string?> _name = CliOptions.Text("--name");
    private readonly Option<bool> _replace = CliOptions.Flag("--replace");
    private readonly Option<int> _pipeline = CliOptions.Int("--pipeline", 512, 1, 1_000_000);

    public override int Run(ParseResult args, CliContext context)
    {
        var modelPath = args.Required(_model);
        var catalogPath = args.Required(_catalog);
        var target = GarnetTarget.Parse(args.Required(_to), "--to", args.GetValue(_name) ?? GarnetTarget.DefaultPrefix);
        var vectorsPath = args.GetValue(_vectors);
        new OutputGuard().Input("--model", modelPath).Input("--catalog", catalogPath).Input("--vectors", vectorsPath).Check();
        var options = new PublishOptions
        {
            Shards = args.GetValue(_shards),
            Quantize = args.GetValue(_quantize)!,
            Replace = args.GetValue(_replace),
            Pipeline = args.GetValue(_pipeline),
        };

        // Connect before the (long) embedding, so a cluster that is down fails at once.
        using var connection = target.Connect();
        var encoder = BuiltInEngineLoader.LoadEncoder(modelPath);
        try
        {
            var catalog = CatalogReader.Read(catalogPath);
            var vectors = Embed(encoder, catalog, catalogPath, vectorsPath);
            var report = new GarnetPublisher(connection, target).Publish(catalog, vectors, encoder.Dim, encoder.Version, options,
                context.Progress, context.Cancellation);
            context.Out.WriteLine(
                $"published {report.Items:N0} items of model {encoder.Version} (d={encoder.Dim}, {options.Quantize}) to {report.Shards} shards " +
                $"in {report.Seconds:F1} s: {report.Added:N0} added, {report.Updated:N0} updated, {report.Unchanged:N0} unchanged, " +
                $"{report.Removed:N0} removed ({report.ItemsPerSecond:N0} items/s)");
            return ExitCodes.Ok;
        }
        finally
        {
            (encoder as IDisposable)?.Dispose();
        }
    }

    private static float[] Embed(IQueryEncoder encoder, Catalog catalog, string catalogPath, string? vectorsPath)
    {
        if (vectorsPath is not null)
        {
            ThrowHelper.IfFileMissing(vectorsPath);
            var vectors = Vectors.ReadFvecs(vectorsPath, out var count, out var dim);
            if (count != catalog.Count || dim != encoder.Dim)
                ThrowHelper.Artifact(vectorsPath, $"holds {count} vectors of dimension {dim}; the catalog has {catalog.Count} items and the model dimension {encoder.Dim}");
            // embed's vectors, ids and catalog order belong together: a torn or foreign pair is refused by name.
            VectorManifest.VerifyServed(vectorsPath, count, dim, catalog.Ids, catalogPath, (encoder as ModelQueryEncoder)?.Model.Version);
            return vectors;
        }
        switch (encoder)
        {
            case HashingQueryEncoder hashing:
                var rows = new float[(long)catalog.Count * hashing.Dim];
                for (var i = 0; i < catalog.Count; i++)
                    hashing.EncodeItem(catalog.Titles[i], catalog.Brands[i], catalog.Categories[i], rows.AsSpan(i * hashing.Dim, hashing.Dim));
                return rows;
            case ModelQueryEncoder model:
                return model.Model.EncodeItems(catalog);
            default:
                return ThrowHelper.Input<float[]>($"--model: no item encoder for {encoder.GetType().Name}");
        }
    }
}
