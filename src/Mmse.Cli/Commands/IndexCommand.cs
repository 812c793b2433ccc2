using System.CommandLine;
using System.Diagnostics;
using Mmse.Data;
using Mmse.Index;
using Mmse.Internals;

namespace Mmse.Cli.Commands;

internal sealed class IndexCommand : Command
{
    public override string Name => "index";

    public override string Summary => "Build an HNSW index file from item vectors (.fvecs) and ids";

    public override string Help => """
        Usage: mmse index --vectors FILE.fvecs [--ids FILE.ids] --out FILE.idx [options]

        Builds an HNSW index (inner product on unit-length vectors) and writes it as one file that
        `mmse search --index`, `mmse eval --index` and the server open memory-mapped.

        Options:
          --vectors FILE        item vectors, .fvecs                                  (required)
          --ids FILE            item ids, one per line, line i = vector i   (default: 0, 1, 2, ...)
                                (with mmse embed's items.manifest.json beside the vectors, both
                                files must be the ones it recorded: a torn pair is refused)
          --out FILE            the index file to write                               (required)
          --M N                 links per node (layer 0 keeps 2M)                     (default 16)
          --ef-construction N   candidate list while building                         (default 200)
          --ef-search N         default candidate list at query time, stored in the file (default 64)
          --quantize MODE       int8 (8-bit codes for traversal, exact re-scoring) or none (default none)
          --threads N           build threads, 0 = all cores; 1 + --seed is repeatable  (default 0)
          --seed S              seed of the level draws                               (default 1)

        Example:
          mmse index --vectors items.fvecs --ids items.ids --out items.idx --M 16 --ef-construction 200 --quantize int8
        """;

    private readonly Option<string?> _vectors = CliOptions.Text("--vectors");
    private readonly Option<string?> _ids = CliOptions.Text("--ids");
    private readonly Option<string?> _out = CliOptions.Text("--out");
    private readonly HnswBuildOptions _hnsw = new(defaultThreads: 0);

    public override int Run(ParseResult args, CliContext context)
    {
        var vectorsPath = args.Required(_vectors);
        var idsPath = args.GetValue(_ids);
        var outPath = args.Required(_out);
        var options = _hnsw.Read(args);
        new OutputGuard().Input("--vectors", vectorsPath).Input("--ids", idsPath).File("--out", outPath).Check();

        var vectors = Vectors.ReadFvecs(vectorsPath, out var count, out var dim);
        Vectors.ThrowIfNotFinite(vectorsPath, vectors, dim);
        // A torn pair (new vectors beside old ids) is refused here, by name (VectorManifest).
        VectorManifest.Verify(vectorsPath, idsPath, count, dim);
        var ids = idsPath is null ? null : ItemIds.Read(idsPath, count);
        var clock = Stopwatch.StartNew();
        using var index = HnswIndex.Build(vectors, dim, ids, options, context.Progress, context.Cancellation);
        var buildSeconds = clock.Elapsed.TotalSeconds;
        index.Save(outPath);
        context.Out.WriteLine(
            $"indexed {count:N0} vectors of dimension {dim} in {buildSeconds:F1} s (M {options.M}, ef-construction {options.EfConstruction}, " +
            $"{options.Quantization.ToString().ToLowerInvariant()}, {options.ResolvedThreads} threads): {outPath} {index.SizeBytes / 1048576.0:F1} MiB, {index.TopLevel + 1} layers");
        return ExitCodes.Ok;
    }

}

/// <summary>The HNSW flags shared by `index` and `bench ann`, mapped onto <see cref="HnswOptions"/> in one place.</summary>
internal sealed class HnswBuildOptions(int defaultThreads) : IOptionGroup
{
    private readonly Option<int> _m = CliOptions.Int("--M", 16, 2, 256);
    private readonly Option<int> _efConstruction = CliOptions.Int("--ef-construction", 200, 1, 100_000);
    private readonly Option<int> _efSearch = CliOptions.Int("--ef-search", 64, 1, 100_000);
    private readonly Option<string> _quantize = CliOptions.Choice("--quantize", "none", "none", "int8");
    private readonly Option<int> _threads = CliOptions.Threads(defaultThreads);
    private readonly Option<int> _seed = CliOptions.Int("--seed", 1);

    /// <inheritdoc/>
    public IEnumerable<Symbol> Symbols => [_m, _efConstruction, _efSearch, _quantize, _threads, _seed];

    public HnswOptions Read(ParseResult args) => new()
    {
        M = args.GetValue(_m),
        EfConstruction = args.GetValue(_efConstruction),
        EfSearch = args.GetValue(_efSearch),
        Quantization = args.GetValue(_quantize) == "int8" ? VectorQuantization.Int8 : VectorQuantization.None,
        Threads = args.GetValue(_threads),
        Seed = args.GetValue(_seed),
    };
}
