using System.Globalization;
using Mmse.Evaluation;
using Mmse.Model;
using Mmse.Numerics;

namespace Mmse.Benchmarks;

/// <summary>
/// `dotnet run -c Release --project bench/Mmse.Benchmarks -- eval-perf [items] [queries] [threads,...]`:
/// exact top-1000 search over random unit items (K = 2 heads, d = 64, 100k items and 5,000 queries
/// by default), as `mmse eval` runs it. Prints the load average; top-1 search on one thread (products and
/// bound checks with almost no selection work, so the split between products and selection is visible);
/// then per thread count the queries/s of <see cref="ExactEvaluator.SearchMany"/> and, in the same run, of
/// the previous implementation (<see cref="LegacyExactSearch"/>), wall and per CPU-second, their ratio and
/// the overlap of their top-1000 lists (not exactly 1: the two fuse with different roundings).
/// </summary>
public static class EvalPerf
{
    public static int Run(string[] args)
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        var queries = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5_000;
        var threadList = args.Length > 2 ? args[2].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() : [1, 2];
        var model = new MmseModel(ModelOptions.Default with { Buckets = 1 << 12 });
        int d = model.Dim, kd = model.Heads * d;
        var rng = new Rng(1);
        var items = new float[(long)count * d];
        for (var i = 0; i < items.Length; i++)
            items[i] = (float)rng.NextGaussian();
        var heads = new float[(long)queries * kd];
        for (var i = 0; i < heads.Length; i++)
            heads[i] = (float)rng.NextGaussian();
        Normalize(items, d);
        Normalize(heads, d);
        Console.WriteLine($"load average before: {LoadAverage()}; {count:N0} items, K={model.Heads}, d={d}, top 1000, {queries:N0} queries");
        {
            // Top 1 keeps the threshold high from the start, so almost nothing is offered: products + bound checks only.
            var evaluator = new ExactEvaluator(model, items, count, 1);
            evaluator.SearchMany(heads[..(64 * kd)], 64, 1, 1);
            var (wall, cpu) = BenchClock.Measure(() => evaluator.SearchMany(heads, queries, 1, 1));
            Console.WriteLine($"new, top 1 (products and bound checks, almost no selection), 1 thread: {queries / cpu:F0} queries per CPU-second " +
                $"({2.0 * queries * model.Heads * count * d / cpu / 1e9:F1} GFLOP per CPU-second, {wall:F2} s wall)");
        }
        foreach (var threads in threadList)
        {
            var evaluator = new ExactEvaluator(model, items, count, threads);
            var legacy = new LegacyExactSearch(model, items, count, threads);
            evaluator.SearchMany(heads[..(64 * kd)], 64, 1000, threads); // warm-up (JIT)
            legacy.SearchMany(heads[..(64 * kd)], 64, 1000, threads);
            (int[] Items, float[] Scores)[] fresh = [], old = [];
            var (wall, cpu) = BenchClock.Measure(() => fresh = evaluator.SearchMany(heads, queries, 1000, threads));
            var load = LoadAverage();
            var (oldWall, oldCpu) = BenchClock.Measure(() => old = legacy.SearchMany(heads, queries, 1000, threads));
            var same = 0;
            for (var q = 0; q < queries; q++)
                same += fresh[q].Items.Intersect(old[q].Items).Count();
            Console.WriteLine($"threads {threads}: new {queries / wall:F0} queries/s wall, {queries / cpu:F0} per CPU-second ({wall:F2} s wall, {cpu:F2} s CPU, load {load}); " +
                $"previous {queries / oldWall:F0} queries/s wall, {queries / oldCpu:F0} per CPU-second ({oldWall:F2} s wall); " +
                $"ratio new/previous {oldWall / wall:F2}x wall, {oldCpu / cpu:F2}x CPU; top-1000 overlap {(double)same / queries / 1000:P3}");
        }
        return 0;
    }

    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static void Normalize(float[] v, int dim)
    {
        for (var o = 0; o < v.Length; o += dim)
        {
            var row = v.AsSpan(o, dim);
            var n = System.Numerics.Tensors.TensorPrimitives.Norm(row);
            System.Numerics.Tensors.TensorPrimitives.Divide(row, n, row);
        }
    }
}
