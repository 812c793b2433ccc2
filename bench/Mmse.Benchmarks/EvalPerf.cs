using System.Diagnostics;
using System.Globalization;
using Mmse.Evaluation;
using Mmse.Model;
using Mmse.Numerics;

namespace Mmse.Benchmarks;

/// <summary>
/// `dotnet run -c Release --project bench/Mmse.Benchmarks -- eval-perf [items] [queries] [threads,...]`:
/// exact top-1000 search over random unit items (K = 2 heads, d = 64, 100k items and 5,000 queries
/// by default), as `mmse eval` runs it. Prints the load average, the time of the scoring products alone
/// (one thread, the same shapes, no selection) so the split between products and selection is visible,
/// then queries/s of <see cref="ExactEvaluator.SearchMany"/> per thread count, wall and per CPU-second.
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
        Console.WriteLine($"load average before: {LoadAverage()}");
        ProductsOnly(items, count, heads, Math.Min(queries, 512), model.Heads, d);
        {
            // Top 1 keeps the threshold high from the start, so almost nothing is offered: products + bound checks only.
            var evaluator = new ExactEvaluator(model, items, count, 1);
            evaluator.SearchMany(heads[..(64 * kd)], 64, 1, 1);
            var (wall, cpu) = Measure(() => evaluator.SearchMany(heads, queries, 1, 1));
            Console.WriteLine($"exact eval top 1 (products and bound checks, almost no selection), threads 1: {queries / cpu:F0} queries per CPU-second " +
                $"({2.0 * queries * model.Heads * count * d / cpu / 1e9:F1} GFLOP per CPU-second, {wall:F2} s wall)");
        }
        foreach (var threads in threadList)
        {
            var evaluator = new ExactEvaluator(model, items, count, threads);
            evaluator.SearchMany(heads[..(64 * kd)], 64, 1000, threads); // warm-up (JIT)
            var (wall, cpu) = Measure(() => evaluator.SearchMany(heads, queries, 1000, threads));
            Console.WriteLine($"exact eval: {count:N0} items, K={model.Heads}, d={d}, top 1000, {queries:N0} queries, threads {threads}: " +
                $"{queries / wall:F0} queries/s wall, {queries / cpu:F0} per CPU-second ({wall:F2} s wall, {cpu:F2} s CPU); load {LoadAverage()}");
        }
        return 0;
    }

    /// <summary>The scoring products alone for <paramref name="queries"/> queries, one thread, with the old generic kernel (reference for the split).</summary>
    private static void ProductsOnly(float[] items, int count, float[] heads, int queries, int k, int d)
    {
        const int block = 1024;
        var panels = new float[items.Length];
        for (var j0 = 0; j0 < count; j0 += block)
        {
            var nb = Math.Min(block, count - j0);
            Gemm.Transpose(nb, d, items.AsSpan(j0 * d, nb * d), panels.AsSpan(j0 * d, nb * d));
        }
        var m = 32 * k;
        var z = new float[m * block];
        void Pass(int nq)
        {
            for (var q0 = 0; q0 < nq; q0 += 32)
            {
                for (var j0 = 0; j0 < count; j0 += block)
                {
                    var nb = Math.Min(block, count - j0);
                    Gemm.Multiply(m, nb, d, heads.AsSpan(q0 * k * d, m * d), d, 1, panels.AsSpan(j0 * d, nb * d), nb, z, nb, false);
                }
            }
        }
        Pass(32);
        var (wall, cpu) = Measure(() => Pass(queries));
        Console.WriteLine($"products only (Gemm.Multiply, 32 queries x {k} heads per block, 1 thread): {queries / cpu:F0} queries per CPU-second " +
            $"({2.0 * queries * k * count * d / cpu / 1e9:F1} GFLOP per CPU-second, {wall:F2} s wall)");
    }

    private static (double Wall, double Cpu) Measure(Action action)
    {
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        action();
        clock.Stop();
        process.Refresh();
        return (clock.Elapsed.TotalSeconds, (process.TotalProcessorTime - cpu0).TotalSeconds);
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
