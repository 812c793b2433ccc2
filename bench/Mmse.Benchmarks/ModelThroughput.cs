using Mmse.Data;
using Mmse.Evaluation;
using Mmse.Model;
using Mmse.Numerics;
using Mmse.Training;

namespace Mmse.Benchmarks;

/// <summary>
/// `dotnet run -c Release --project bench/Mmse.Benchmarks -- model-throughput [items] [threads]`:
/// exact-eval queries/s over a catalog of random unit vectors (K = 2, d = 64, top 1000) and training
/// requests/s with the default configuration (~20 displayed items per request). Prints wall-clock
/// rates and rates per CPU-second, because on a shared machine wall time mostly measures the neighbours.
/// </summary>
public static class ModelThroughput
{
    public static void Run(string[] args)
    {
        var items = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
        var threads = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 0;
        GemmRate();
        Eval(items, threads);
        Train(threads);
    }

    private static void Eval(int count, int threads)
    {
        var model = new MmseModel(ModelOptions.Default with { Buckets = 1 << 12 });
        var rng = new Rng(1);
        var vectors = new float[(long)count * model.Dim];
        for (var i = 0; i < vectors.Length; i++)
            vectors[i] = (float)rng.NextGaussian();
        var heads = new float[2000 * model.Heads * model.Dim];
        for (var i = 0; i < heads.Length; i++)
            heads[i] = (float)rng.NextGaussian();
        Normalize(vectors, model.Dim);
        Normalize(heads, model.Dim);
        var evaluator = new ExactEvaluator(model, vectors, count, threads);
        evaluator.SearchMany(heads[..(64 * model.Heads * model.Dim)], 64, 1000, threads); // warm-up (JIT)
        var (wall, cpu) = BenchClock.Measure(() => evaluator.SearchMany(heads, 2000, 1000, threads));
        Console.WriteLine($"exact eval: {count:N0} items, K=2, d=64, top 1000, threads {Parallel2.Resolve(threads)}: " +
            $"{2000 / wall:F0} queries/s wall, {2000 / cpu:F0} queries per CPU-second ({wall:F2} s wall, {cpu:F2} s CPU)");
    }

    /// <summary>Single-thread rate of the kernel on the eval shape (64 x 1024 x 64), to separate kernel speed from the rest.</summary>
    private static void GemmRate()
    {
        var rng = new Rng(3);
        var a = new float[64 * 64];
        var b = new float[64 * 1024];
        var c = new float[64 * 1024];
        for (var i = 0; i < a.Length; i++) a[i] = (float)rng.NextGaussian();
        for (var i = 0; i < b.Length; i++) b[i] = (float)rng.NextGaussian();
        for (var i = 0; i < 200; i++) Gemm.Multiply(64, 1024, 64, a, 64, 1, b, 1024, c, 1024, false, 1);
        const int reps = 3000;
        var (wall, cpu) = BenchClock.Measure(() =>
        {
            for (var i = 0; i < reps; i++) Gemm.Multiply(64, 1024, 64, a, 64, 1, b, 1024, c, 1024, false, 1);
        });
        var flops = 2.0 * 64 * 1024 * 64 * reps;
        Console.WriteLine($"gemm 64x1024x64, 1 thread: {flops / wall / 1e9:F1} GFLOP/s wall, {flops / cpu / 1e9:F1} GFLOP per CPU-second");
    }

    private static void Normalize(float[] v, int dim)
    {
        for (var o = 0; o < v.Length; o += dim)
        {
            var row = v.AsSpan(o, dim);
            var n = System.Numerics.Tensors.TensorPrimitives.Norm(row);
            System.Numerics.Tensors.TensorPrimitives.Divide(row, n, row);
        }
    }

    private static void Train(int threads)
    {
        // A catalog of 20k items with 5-word titles from a 3k-word vocabulary; 8k requests showing 20 items each.
        var rng = new Rng(2);
        var words = Enumerable.Range(0, 3000).Select(i => $"w{i}x").ToArray();
        var builder = new CatalogBuilder();
        for (var i = 0; i < 20_000; i++)
        {
            var title = string.Join(' ', Enumerable.Range(0, 5).Select(_ => words[rng.Next(words.Length)]));
            builder.TryAdd(new CatalogItem($"i{i}", title, $"brand{rng.Next(200)}", $"cat{rng.Next(50)} > sub{rng.Next(10)}"));
        }
        var catalog = builder.Build();
        var log = new SearchLogBuilder();
        for (var r = 0; r < 8000; r++)
        {
            var shown = Enumerable.Range(0, 20).Select(_ => rng.Next(catalog.Count)).Distinct().ToArray();
            var actions = shown.Select((_, k) => k == 0 ? UserAction.Order : k < 3 ? UserAction.Click : UserAction.None).ToArray();
            log.Add($"{words[rng.Next(words.Length)]} {words[rng.Next(words.Length)]}", null, SearchLog.NoTime, shown, actions);
        }
        var trainLog = log.Build();
        var options = TrainOptions.Default with { Epochs = 1, ValidShare = 0, Threads = threads, MaxSteps = 30 };
        TrainResult? result = null;
        var (wall, cpu) = BenchClock.Measure(() => result = Trainer.Train(catalog, trainLog, null, ModelOptions.Default, options));
        var steps = result!.RequestsSeen;
        Console.WriteLine($"training: default config (2^20 x 64 table, K=2, batch 256, R=512), threads {Parallel2.Resolve(threads)}: " +
            $"{result.RequestsPerSecond:F0} requests/s over the steps (wall), {steps:N0} requests; whole run {wall:F1} s wall, {cpu:F1} s CPU " +
            $"(includes table init and tokenising)");
    }
}
