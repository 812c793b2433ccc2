using System.Diagnostics;
using Mmse.Backbone;

namespace Mmse.Quality;

/// <summary>
/// Development probe for a loaded machine: one intra-op thread, and the process CPU time per
/// title and per query beside the wall time, so settings can be compared when the wall clock
/// is dominated by other work.
/// </summary>
internal static partial class Probe
{
    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out Timespec time);

    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>CPU time of the calling thread in ms (CLOCK_THREAD_CPUTIME_ID): with one intra-op thread ONNX Runtime runs on the caller.</summary>
    private static double ThreadCpuMs()
    {
        ClockGetTime(3, out var t);
        return t.Seconds * 1e3 + t.Nanoseconds / 1e6;
    }

    public static void Run(string dataDir, int titleCount, int queryCount, bool int8, int maxBatch, int maxTokens)
    {
        var data = RealData.Load(dataDir);
        var titles = data.Catalog.Titles.Take(titleCount).ToArray();
        var queries = data.Requests.Where(r => r.Part == RealData.Validation).Take(queryCount).Select(r => r.Query).ToArray();
        using var encoder = BackboneEncoder.Load("arctic-xs", new BackboneOptions { Int8 = int8, Threads = 1, QueryCacheCapacity = 0, MaxBatch = maxBatch, MaxBatchTokens = maxTokens });
        var buffer = new float[titles.Length * encoder.Dimension];
        encoder.EncodeItems(titles.Take(64).ToArray(), buffer.AsSpan(0, 64 * encoder.Dimension));
        var cpu = ThreadCpuMs();
        var clock = Stopwatch.StartNew();
        encoder.EncodeItems(titles, buffer);
        Console.WriteLine($"int8={int8} batch={maxBatch}/{maxTokens}: titles thread cpu {(ThreadCpuMs() - cpu) / titles.Length:F3} ms/title, wall {clock.Elapsed.TotalMilliseconds / titles.Length:F2}");
        foreach (var q in queries.Take(20)) encoder.EncodeQuery(q);
        var cpuTimes = new double[queries.Length];
        for (var i = 0; i < queries.Length; i++)
        {
            var c = ThreadCpuMs();
            encoder.EncodeQuery(queries[i]);
            cpuTimes[i] = ThreadCpuMs() - c;
        }
        Array.Sort(cpuTimes);
        Console.WriteLine($"  query cpu p50 {cpuTimes[cpuTimes.Length / 2]:F2} ms, mean {cpuTimes.Average():F2} ms");
    }
}
