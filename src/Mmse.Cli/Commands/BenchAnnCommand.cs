using System.CommandLine;
using System.Diagnostics;
using Mmse.Data;
using Mmse.Index;
using Mmse.Internals;
using Mmse.Numerics;
using Mmse.Retrieval;

namespace Mmse.Cli.Commands;

internal sealed class BenchAnnCommand : Command
{
    public override string Name => "bench ann";

    public override string Summary => "Build an HNSW index on .fvecs and measure recall@k, queries/s and p99 latency per ef";

    public override string Help => """
        Usage: mmse bench ann --base FILE.fvecs --query FILE.fvecs [--gt FILE.ivecs] [options]

        Builds the index on the base vectors, then runs every query once per ef value and reports
        recall@k against the ground truth (computed exactly on all cores when --gt is absent),
        both by id and with ann-benchmarks' tie rule ("ties": a result counts when its inner
        product is within 1e-3 of the k-th true neighbour's, which matters for vector sets with
        many equal vectors), queries per second and the 99th-percentile latency. Queries run on --threads threads
        (1 = single-thread latency, the number to compare with other libraries).

        Options:
          --base FILE           base vectors, .fvecs                                  (required)
          --query FILE          query vectors, .fvecs                                 (required)
          --gt FILE             ground truth, .ivecs (>= k neighbours per query)  (default: computed)
          --gt-out FILE         write the computed ground truth as .ivecs
          --k N                 neighbours per query                                  (default 10)
          --M N                 links per node                                        (default 16)
          --ef-construction N   candidate list while building                         (default 200)
          --ef LIST             comma-separated ef values            (default 16,32,64,128,256)
          --quantize MODE       none or int8                                          (default none)
          --threads N           build and query threads                               (default 1)
          --seed S              seed of the level draws                               (default 1)
          --json OUT            write {"build_s", "index_bytes", "runs": [{"ef", "recall", "recall_ties", "qps", "p99_ms"}]}
          --save FILE           also save the index, time opening it (with and without the checksum)
                                and run the queries on the memory-mapped copy

        Example:
          mmse bench gen-vectors --n 200000 --dim 64 --clusters 1000 --queries 10000 --seed 1 --out data/ann
          mmse bench ann --base data/ann/base.fvecs --query data/ann/query.fvecs --k 10 --M 16 --ef-construction 200 --ef 16,32,64,128,256 --threads 1 --json ann.json
        """;

    private readonly Option<string?> _base = CliOptions.Text("--base");
    private readonly Option<string?> _query = CliOptions.Text("--query");
    private readonly Option<string?> _gt = CliOptions.Text("--gt");
    private readonly Option<string?> _gtOut = CliOptions.Text("--gt-out");
    private readonly Option<int> _k = CliOptions.Int("--k", 10, 1, 10_000);
    private readonly Option<int[]?> _ef = CliOptions.IntList("--ef", 1);
    private readonly Option<string?> _json = CliOptions.Text("--json");
    private readonly Option<string?> _save = CliOptions.Text("--save");
    private readonly HnswBuildOptions _hnsw = new(defaultThreads: 1);

    public override int Run(ParseResult args, CliContext context)
    {
        var basePath = args.Required(_base);
        var queryPath = args.Required(_query);
        var gtPath = args.GetValue(_gt);
        var gtOut = args.GetValue(_gtOut);
        var k = args.GetValue(_k);
        var efs = args.GetValue(_ef) ?? [16, 32, 64, 128, 256];
        var jsonPath = args.GetValue(_json);
        var savePath = args.GetValue(_save);
        var options = _hnsw.Read(args);
        new OutputGuard().Input("--base", basePath).Input("--query", queryPath).Input("--gt", gtPath)
            .File("--gt-out", gtOut).File("--json", jsonPath).File("--save", savePath).Check();

        var baseVectors = Vectors.ReadFvecs(basePath, out var n, out var dim);
        var queries = Vectors.ReadFvecs(queryPath, out var nq, out var queryDim);
        if (queryDim != dim)
            ThrowHelper.Input($"{queryPath}: dimension {queryDim} differs from the base vectors' {dim} ({basePath})");
        for (var q = 0; q < nq; q++)
            VectorKernels.Normalize(queries.AsSpan(q * dim, dim));

        int[] truth;
        var clock = Stopwatch.StartNew();
        if (gtPath is not null)
        {
            var gt = Vectors.ReadIvecs(gtPath, out var gtCount, out var gtDim);
            if (gtCount != nq || gtDim < k)
                ThrowHelper.Input($"{gtPath}: {gtCount} x {gtDim} neighbours, expected {nq} queries x at least {k}");
            truth = new int[nq * k];
            for (var q = 0; q < nq; q++)
                gt.AsSpan(q * gtDim, k).CopyTo(truth.AsSpan(q * k, k));
        }
        else
        {
            context.Progress.Line($"exact ground truth for {nq:N0} queries over {n:N0} vectors on all cores ...");
            truth = ExactPanelIndex.GroundTruth(baseVectors, dim, queries, k);
            context.Progress.Line($"ground truth in {clock.Elapsed.TotalSeconds:F1} s");
            if (gtOut is not null)
                Vectors.WriteIvecs(gtOut, truth, k);
        }

        clock.Restart();
        var cpu0 = Environment.CpuUsage.TotalTime;
        var index = HnswIndex.Build(baseVectors, dim, null, options, context.Progress, context.Cancellation);
        var buildSeconds = clock.Elapsed.TotalSeconds;
        var buildCpuSeconds = (Environment.CpuUsage.TotalTime - cpu0).TotalSeconds;
        baseVectors = [];
        double? openSeconds = null, openVerifiedSeconds = null;
        if (savePath is not null)
        {
            index.Save(savePath);
            index.Dispose();
            clock.Restart();
            HnswIndex.Open(savePath, verifyChecksum: false).Dispose();
            openSeconds = clock.Elapsed.TotalSeconds;
            clock.Restart();
            index = HnswIndex.Open(savePath);
            openVerifiedSeconds = clock.Elapsed.TotalSeconds;
            context.Out.WriteLine($"saved {savePath}; open {openSeconds * 1000:F1} ms, open with checksum {openVerifiedSeconds * 1000:F1} ms");
        }
        using var _ = index;
        context.Out.WriteLine($"built {n:N0} x {dim} in {buildSeconds:F2} s ({buildCpuSeconds:F2} CPU s) (M {options.M}, ef-construction {options.EfConstruction}, {options.Quantization.ToString().ToLowerInvariant()}, {options.ResolvedThreads} threads), {index.SizeBytes / 1048576.0:F1} MiB");
        context.Out.WriteLine($"{"ef",6} {"recall@" + k,10} {"ties",10} {"qps",10} {"qps_cpu",10} {"p50_ms",8} {"p99_ms",8}");

        var runs = new List<Dictionary<string, object>>();
        var threads = options.ResolvedThreads;
        foreach (var ef in efs)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            var (recall, recallTies, qps, qpsCpu, p50, p99) = AnnMeasure.Run(index, queries, nq, dim, truth, k, ef, threads);
            context.Out.WriteLine($"{ef,6} {recall,10:F4} {recallTies,10:F4} {qps,10:F0} {qpsCpu,10:F0} {p50,8:F3} {p99,8:F3}");
            runs.Add(new()
            {
                ["ef"] = ef,
                ["recall"] = Math.Round(recall, 5),
                ["recall_ties"] = Math.Round(recallTies, 5),
                ["qps"] = Math.Round(qps, 1),
                ["qps_cpu"] = Math.Round(qpsCpu, 1),
                ["p50_ms"] = Math.Round(p50, 4),
                ["p99_ms"] = Math.Round(p99, 4),
            });
        }

        if (jsonPath is not null)
        {
            var document = new Dictionary<string, object>
            {
                ["build_s"] = Math.Round(buildSeconds, 3),
                ["build_cpu_s"] = Math.Round(buildCpuSeconds, 3),
                ["index_bytes"] = index.SizeBytes,
                ["vector_bytes"] = index.CodeBytes > 0 ? index.CodeBytes : index.FloatVectorBytes,
                ["float_vector_bytes"] = index.FloatVectorBytes,
                ["graph_bytes"] = index.GraphBytes,
                ["n"] = n,
                ["dim"] = dim,
                ["queries"] = nq,
                ["k"] = k,
                ["M"] = options.M,
                ["ef_construction"] = options.EfConstruction,
                ["quantize"] = options.Quantization.ToString().ToLowerInvariant(),
                ["threads"] = threads,
                ["runs"] = runs,
            };
            if (openSeconds is { } open && openVerifiedSeconds is { } verified)
            {
                document["open_s"] = Math.Round(open, 4);
                document["open_verified_s"] = Math.Round(verified, 4);
            }
            JsonOutput.Write(jsonPath, document);
        }
        return ExitCodes.Ok;
    }
}

internal sealed class BenchGenVectorsCommand : Command
{
    public override string Name => "bench gen-vectors";

    public override string Summary => "Write a seeded clustered vector set (base.fvecs, query.fvecs) for ANN benchmarks";

    public override string Help => """
        Usage: mmse bench gen-vectors --out DIR [--n N] [--dim D] [--clusters C] [--queries Q] [--seed S] [--spread X]

        Unit-length vectors scattered around C random unit centres (point = normalise(centre +
        spread * g / sqrt(D)), g standard normal); queries come from the same clusters.

        Options:
          --out DIR        where to write base.fvecs and query.fvecs                 (required)
          --n N            base vectors                                         (default 1000000)
          --dim D          dimension                                                (default 64)
          --clusters C     cluster centres                                        (default 1000)
          --queries Q      query vectors                                         (default 10000)
          --seed S         seed                                                      (default 1)
          --spread X       noise scale relative to the unit centre                 (default 0.5)

        Example:
          mmse bench gen-vectors --n 1000000 --dim 64 --clusters 1000 --queries 10000 --seed 1 --out data/ann
        """;

    private readonly Option<string?> _out = CliOptions.Text("--out");
    private readonly Option<int> _n = CliOptions.Int("--n", 1_000_000, 1, 100_000_000);
    private readonly Option<int> _dim = CliOptions.Int("--dim", 64, 1, 65536);
    private readonly Option<int> _clusters = CliOptions.Int("--clusters", 1000, 1, 10_000_000);
    private readonly Option<int> _queries = CliOptions.Int("--queries", 10_000, 0, 10_000_000);
    private readonly Option<int> _seed = CliOptions.Int("--seed", 1);
    private readonly Option<double> _spread = CliOptions.Double("--spread", 0.5, 0, 100);

    public override int Run(ParseResult args, CliContext context)
    {
        var outDir = args.Required(_out);
        var n = args.GetValue(_n);
        var dim = args.GetValue(_dim);
        var clusters = args.GetValue(_clusters);
        var queries = args.GetValue(_queries);
        var seed = args.GetValue(_seed);
        var spread = (float)args.GetValue(_spread);
        Directory.CreateDirectory(outDir);
        var baseVectors = SyntheticVectors.Clustered(n, dim, clusters, seed, unchecked(seed * 7919 + 1), spread);
        Vectors.WriteFvecs(Path.Combine(outDir, "base.fvecs"), baseVectors, dim);
        var queryVectors = SyntheticVectors.Clustered(queries, dim, clusters, seed, unchecked(seed * 7919 + 2), spread);
        Vectors.WriteFvecs(Path.Combine(outDir, "query.fvecs"), queryVectors, dim);
        context.Out.WriteLine($"wrote {n:N0} base and {queries:N0} query vectors of dimension {dim} ({clusters:N0} clusters, seed {seed}) to {outDir}");
        return ExitCodes.Ok;
    }
}
