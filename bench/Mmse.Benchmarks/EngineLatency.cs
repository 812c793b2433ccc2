using System.Diagnostics;
using System.Globalization;
using Mmse.Index;
using Mmse.Retrieval;

namespace Mmse.Benchmarks;

/// <summary>
/// `engine-latency MODEL INDEX CATALOG QUERIES [ef,...] [k] [passes] [EXACT.fvecs|-] [fused|per-head|both] [FILTER]`: the serving engine of
/// `mmse serve`, loaded the same way (<see cref="BuiltInEngineLoader"/>), timed in-process on one
/// thread, query by query: encoding, the index search and both together, as p50/p90/p99/max.
/// QUERIES is the load test's file (one URL-encoded query per line). This is the engine's share
/// of a request's latency, without HTTP or queueing; the load test (bench/server/run.sh) has the rest.
/// With EXACT (the catalog's item vectors, e.g. from `mmse embed`) it also reports recall@k of
/// the served hits against exact post-fusion search over every item. FILTER (clauses as the
/// server takes them, ';'-separated, e.g. "category:Clothing;color:black") filters every query.
/// </summary>
internal static class EngineLatency
{
    public static int Run(string[] args)
    {
        if (args.Length < 4)
        {
            Console.Error.WriteLine("usage: engine-latency MODEL INDEX CATALOG QUERIES [ef,...] [k] [passes] [EXACT.fvecs or -] [fused|per-head|both] [FILTER]");
            return 2;
        }
        var efs = args.Length > 4 ? args[4].Split(',').Select(e => int.Parse(e, CultureInfo.InvariantCulture)).ToArray() : [EngineSource.DefaultEf];
        var k = args.Length > 5 ? int.Parse(args[5], CultureInfo.InvariantCulture) : 10;
        var passes = args.Length > 6 ? int.Parse(args[6], CultureInfo.InvariantCulture) : 3;
        var exactPath = args.Length > 7 && args[7] != "-" ? args[7] : null;
        var walk = args.Length > 8 ? args[8] : "both";
        var clauses = args.Length > 9 ? args[9].Split(';', StringSplitOptions.RemoveEmptyEntries) : null;
        MultiHeadWalk[] walks = walk switch
        {
            "fused" => [MultiHeadWalk.Fused],
            "per-head" => [MultiHeadWalk.PerHead],
            _ => [MultiHeadWalk.Fused, MultiHeadWalk.PerHead],
        };
        var queries = File.ReadAllLines(args[3]).Where(l => l.Length > 0).Select(l => Uri.UnescapeDataString(l.Replace('+', ' '))).ToArray();
        Console.WriteLine($"# engine-latency: {queries.Length} queries x {passes} passes (first pass is warm-up, not counted), k {k}, one thread");
        int[][]? truth = null;
        float[] kthScore = [];
        if (exactPath is not null)
        {
            using var exact = new BuiltInEngineLoader(new EngineSource(args[0], exactPath, args[2])).Load(CancellationToken.None);
            var exactFilter = clauses is null ? null : exact.Validate("x", k, clauses).Filter;
            var exactHits = queries.Select(q => exact.SearchItems(q, k, exactFilter)).ToArray();
            truth = [.. exactHits.Select(h => h.Items.ToArray())];
            kthScore = [.. exactHits.Select(h => h.Count == 0 ? float.NegativeInfinity : h.Scores[^1])];
            Console.WriteLine($"exact post-fusion top {k} of {queries.Length} queries from {exactPath}");
        }
        foreach (var (ef, w) in efs.SelectMany(e => walks.Select(w => (e, w))))
        {
            var clock = Stopwatch.StartNew();
            using var engine = new BuiltInEngineLoader(new EngineSource(args[0], args[1], args[2], ef, w)).Load(CancellationToken.None);
            Console.WriteLine($"ef {ef}, walk {w}: loaded {engine.Index.Count} items, {engine.Encoder.Heads} heads x {engine.Encoder.Dim} in {clock.Elapsed.TotalSeconds:F1} s");
            var heads = new float[engine.Encoder.Heads * engine.Encoder.Dim];
            var filter = clauses is null ? null : engine.Validate("x", k, clauses).Filter;
            if (filter is not null)
                Console.WriteLine($"  filter {string.Join(" AND ", clauses!)}: {Enumerable.Range(0, engine.Catalog.Count).Count(filter.Allows)} items");
            var encode = new List<double>();
            var search = new List<double>();
            var total = new List<double>();
            long hits = 0;
            double recall = 0, tieRecall = 0;
            for (var pass = 0; pass < passes; pass++)
            {
                for (var qi = 0; qi < queries.Length; qi++)
                {
                    var q = queries[qi];
                    var t0 = Stopwatch.GetTimestamp();
                    engine.Encoder.EncodeQuery(q, heads);
                    var t1 = Stopwatch.GetTimestamp();
                    var found = engine.Index.Search(heads, engine.Encoder.Heads, engine.Encoder.Beta, k, filter);
                    var t2 = Stopwatch.GetTimestamp();
                    hits += found.Count;
                    if (pass == 0 && truth is not null)
                    {
                        recall += (double)AnnMeasure.TrueHits(found.Items, truth[qi], out _) / Math.Max(1, truth[qi].Length);
                        tieRecall += (double)TieRecall.Count(found.Scores, kthScore[qi], truth[qi].Length) / Math.Max(1, truth[qi].Length);
                    }
                    if (pass == 0)
                        continue;
                    encode.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
                    search.Add(Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds);
                    total.Add(Stopwatch.GetElapsedTime(t0, t2).TotalMilliseconds);
                }
            }
            Console.WriteLine($"  encode  {Percentiles(encode)}");
            Console.WriteLine($"  search  {Percentiles(search)}");
            Console.WriteLine($"  total   {Percentiles(total)}  ({LatencySummary.Of(total).QueriesPerSecond:F0} queries/s on one thread; {hits} hits)");
            if (truth is not null)
                Console.WriteLine($"  recall@{k} against exact post-fusion search: {recall / queries.Length:F4} by id, {tieRecall / queries.Length:F4} with ties");
        }
        return 0;
    }

    private static string Percentiles(List<double> ms)
    {
        var l = LatencySummary.Of(ms);
        return string.Create(CultureInfo.InvariantCulture,
            $"mean {l.MeanMs:F3} ms  p50 {l.P50Ms:F3}  p90 {l.P90Ms:F3}  p99 {l.P99Ms:F3}  max {l.MaxMs:F3}");
    }
}
