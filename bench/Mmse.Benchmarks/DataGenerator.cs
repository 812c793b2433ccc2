using System.Diagnostics;
using System.Globalization;
using Mmse.Data;

namespace Mmse.Benchmarks;

/// <summary>
/// Writes a large synthetic catalog and search log for the reader benchmarks:
/// <c>gen-data DIR [--items N] [--requests N] [--per-request N] [--seed S]</c>. Defaults: 1M items,
/// 1M requests, 20..40 items per request (mean 30), seed 1. The same seed writes the same files.
/// </summary>
internal static class DataGenerator
{
    public static int Run(string[] args)
    {
        if (args.Length < 1 || args[0].StartsWith('-'))
        {
            Console.Error.WriteLine("usage: gen-data DIR [--items N] [--requests N] [--per-request N] [--seed S]");
            return 2;
        }
        var dir = args[0];
        int items = 1_000_000, requests = 1_000_000, perRequest = 30, seed = 1;
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            var value = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--items": items = value; break;
                case "--requests": requests = value; break;
                case "--per-request": perRequest = value; break;
                case "--seed": seed = value; break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        }
        Directory.CreateDirectory(dir);
        var clock = Stopwatch.StartNew();
        var catalogPath = Path.Combine(dir, "catalog.jsonl");
        var logPath = Path.Combine(dir, "log.jsonl");
        Generate(catalogPath, logPath, items, requests, perRequest, seed);
        Console.WriteLine($"wrote {catalogPath} ({new FileInfo(catalogPath).Length / 1e6:F0} MB, {items:N0} items) and " +
            $"{logPath} ({new FileInfo(logPath).Length / 1e6:F0} MB, {requests:N0} requests) in {clock.Elapsed.TotalSeconds:F1} s");
        return 0;
    }

    public static void Generate(string catalogPath, string logPath, int items, int requests, int perRequest, int seed)
    {
        var random = new Random(seed);
        var words = Enumerable.Range(0, 5000).Select(_ => Word(random)).ToArray();
        var brands = Enumerable.Range(0, 2000).Select(_ => Word(random) + " " + Word(random)).ToArray();
        var categories = Enumerable.Range(0, 500).Select(_ => $"{Word(random)} > {Word(random)} > {Word(random)}").ToArray();
        var colors = new[] { "black", "white", "red", "blue", "green", "steel", "brass", "oak" };
        var ids = new string[items];
        using (var writer = new CatalogJsonlWriter(catalogPath))
        {
            for (var i = 0; i < items; i++)
            {
                ids[i] = (10_000_000 + i).ToString(CultureInfo.InvariantCulture);
                var title = string.Join(' ', Enumerable.Range(0, random.Next(4, 11)).Select(_ => words[Skewed(random, words.Length)]));
                var brand = brands[Skewed(random, brands.Length)];
                writer.Write(new CatalogItem(ids[i], $"{brand} {title}", brand, categories[Skewed(random, categories.Length)], $"shop{random.Next(5000)}",
                    [new("color", colors[random.Next(colors.Length)])], MathF.Round(random.NextSingle() * 200, 2)));
            }
            writer.Commit();
        }

        var queries = Enumerable.Range(0, 50_000)
            .Select(_ => string.Join(' ', Enumerable.Range(0, random.Next(1, 4)).Select(_ => words[Skewed(random, words.Length)])))
            .ToArray();
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        var shown = new LogItem[2 * perRequest];
        using (var writer = new SearchLogJsonlWriter(logPath))
        {
            for (var r = 0; r < requests; r++)
            {
                var n = random.Next(perRequest * 2 / 3, perRequest * 4 / 3 + 1);
                for (var k = 0; k < n; k++)
                {
                    var roll = random.Next(1000);
                    var action = roll < 10 ? UserAction.Order : roll < 20 ? UserAction.Cart : roll < 60 ? UserAction.Click : UserAction.None;
                    shown[k] = new LogItem(ids[Skewed(random, items)], action);
                }
                writer.Write(queries[Skewed(random, queries.Length)], $"u{random.Next(100_000)}", start + r * 1000L, shown.AsSpan(0, n));
            }
            writer.Commit();
        }
    }

    /// <summary>Reads DIR/catalog.jsonl and DIR/log.jsonl and prints the seconds each phase takes.</summary>
    public static int TimeReads(string[] args)
    {
        if (args.Length < 1)
        {
            Console.Error.WriteLine("usage: read-data DIR");
            return 2;
        }
        var clock = Stopwatch.StartNew();
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        string Lap()
        {
            process.Refresh();
            var text = $"{clock.Elapsed.TotalSeconds:F2} s (cpu {(process.TotalProcessorTime - cpu).TotalSeconds:F2} s)";
            clock.Restart();
            cpu = process.TotalProcessorTime;
            return text;
        }
        var catalog = CatalogReader.Read(Path.Combine(args[0], "catalog.jsonl"));
        var catalogTime = Lap();
        var log = SearchLogReader.Read(Path.Combine(args[0], "log.jsonl"), catalog);
        var logTime = Lap();
        var stats = LogStatistics.Compute(catalog, log);
        var statsTime = Lap();
        Console.WriteLine($"catalog {catalog.Count:N0} items {catalogTime}; log {log.Count:N0} requests " +
            $"({log.Items.Length:N0} items) {logTime}; statistics {statsTime} " +
            $"(inconsistent pairs {stats.InconsistentPairs:N0}); managed heap {GC.GetTotalMemory(false) / 1e9:F2} GB; " +
            $"GCs gen0 {GC.CollectionCount(0)}, gen1 {GC.CollectionCount(1)}, gen2 {GC.CollectionCount(2)}, pause {GC.GetTotalPauseDuration().TotalSeconds:F2} s");
        return 0;
    }

    /// <summary>A popularity-skewed index in [0, n): small indices are far more likely.</summary>
    private static int Skewed(Random random, int n)
    {
        var u = random.NextDouble();
        return Math.Min(n - 1, (int)(u * u * u * n));
    }

    private static string Word(Random random)
    {
        const string letters = "abcdefghijklmnopqrstuvwxyz";
        Span<char> word = stackalloc char[random.Next(3, 10)];
        for (var i = 0; i < word.Length; i++)
            word[i] = letters[random.Next(letters.Length)];
        return new string(word);
    }
}
