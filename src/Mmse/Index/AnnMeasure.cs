using System.Diagnostics;
using System.Numerics.Tensors;

namespace Mmse.Index;

/// <summary>One ANN run at one ef: recall@k by id and with ties (<see cref="TieRecall"/>), throughput and latency.</summary>
/// <param name="Recall">Found true neighbours over all true neighbours (micro average).</param>
/// <param name="RecallTies">The same with ann-benchmarks' tie rule.</param>
/// <param name="QueriesPerSecond">Queries over wall seconds.</param>
/// <param name="QueriesPerCpuSecond">Queries over the process's CPU seconds (less disturbed by other load).</param>
/// <param name="P50Ms">Median latency of one query, milliseconds.</param>
/// <param name="P99Ms">99th percentile latency, milliseconds.</param>
public sealed record AnnRun(double Recall, double RecallTies, double QueriesPerSecond, double QueriesPerCpuSecond, double P50Ms, double P99Ms);

/// <summary>Latencies of one timed loop, in milliseconds: mean, percentiles, max and the throughput they imply.</summary>
public sealed record LatencySummary(int Count, double MeanMs, double P50Ms, double P90Ms, double P99Ms, double MaxMs, double TotalMs)
{
    /// <summary>Summarises <paramref name="milliseconds"/> (one value per query; need not be sorted).</summary>
    public static LatencySummary Of(IEnumerable<double> milliseconds)
    {
        ArgumentNullException.ThrowIfNull(milliseconds);
        var sorted = milliseconds.Order().ToArray();
        if (sorted.Length == 0)
            return new LatencySummary(0, 0, 0, 0, 0, 0, 0);
        var total = sorted.Sum();
        return new LatencySummary(sorted.Length, total / sorted.Length, AnnMeasure.Percentile(sorted, 0.50),
            AnnMeasure.Percentile(sorted, 0.90), AnnMeasure.Percentile(sorted, 0.99), sorted[^1], total);
    }

    /// <summary>Queries per second of one thread that spent exactly these latencies.</summary>
    public double QueriesPerSecond => Count / TotalMs * 1000;
}

/// <summary>
/// ANN recall and latency measurement for library users (and <c>mmse bench ann</c>, the
/// engine-latency harness): recall@k against exact neighbours, by id and with ties
/// (<see cref="TieRecall"/>), latency percentiles and queries per second.
/// </summary>
public static class AnnMeasure
{
    /// <summary>
    /// The value at percentile <paramref name="p"/> (0..1) of ascending <paramref name="sorted"/>:
    /// element floor(p n), clamped to the last (0 when empty).
    /// </summary>
    public static double Percentile(ReadOnlySpan<double> sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(p * sorted.Length))];

    /// <summary><paramref name="count"/> over <paramref name="seconds"/> (guarded against zero time).</summary>
    public static double PerSecond(long count, double seconds) => count / Math.Max(seconds, 1e-9);

    /// <summary>
    /// How many of the true neighbours <paramref name="truth"/> (-1 = padding, not counted) appear in
    /// <paramref name="found"/>; <paramref name="total"/> is how many true neighbours there are.
    /// </summary>
    public static int TrueHits(ReadOnlySpan<int> found, ReadOnlySpan<int> truth, out int total)
    {
        var hits = 0;
        total = 0;
        foreach (var id in truth)
        {
            if (id < 0)
                continue;
            total++;
            if (found.Contains(id))
                hits++;
        }
        return hits;
    }

    /// <summary>
    /// Runs every query [nq, dim] through <paramref name="index"/> once at <paramref name="ef"/> (on
    /// <paramref name="threads"/> threads) after a warm-up of at least half a second, and measures
    /// recall@k against <paramref name="truth"/> [nq, k] (positions, -1 padded), with and without ties,
    /// queries per wall and CPU second, and the p50/p99 latency.
    /// </summary>
    public static AnnRun Run(HnswIndex index, float[] queries, int nq, int dim, int[] truth, int k, int ef, int threads)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(truth);
        var found = new int[nq * k];
        Array.Fill(found, -1);
        var latency = new double[nq];
        // Warm-up for at least half a second: tiered JIT promotes the search loop to optimised code
        // only after a delay, so a few hundred queries would leave the first ef measured on tier 0.
        var warm = new int[k];
        var warmScores = new float[k];
        var warmClock = Stopwatch.StartNew();
        for (var w = 0; nq > 0 && (w < 200 || warmClock.ElapsedMilliseconds < 500); w++)
            index.Search(queries.AsSpan(w % nq * dim, dim), k, ef, null, warm, warmScores);

        var wall = Stopwatch.StartNew();
        var cpu0 = Environment.CpuUsage.TotalTime;
        if (threads <= 1)
        {
            var scores = new float[k];
            for (var q = 0; q < nq; q++)
            {
                var t0 = Stopwatch.GetTimestamp();
                index.Search(queries.AsSpan(q * dim, dim), k, ef, null, found.AsSpan(q * k, k), scores);
                latency[q] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
        }
        else
        {
            Parallel.For(0, nq, new ParallelOptions { MaxDegreeOfParallelism = threads }, () => new float[k], (q, _, scores) =>
            {
                var t0 = Stopwatch.GetTimestamp();
                index.Search(queries.AsSpan(q * dim, dim), k, ef, null, found.AsSpan(q * k, k), scores);
                latency[q] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                return scores;
            }, _ => { });
        }
        var seconds = wall.Elapsed.TotalSeconds;
        var cpuSeconds = (Environment.CpuUsage.TotalTime - cpu0).TotalSeconds;

        long hits = 0, tieHits = 0, total = 0;
        var foundScores = new float[k];
        for (var q = 0; q < nq; q++)
        {
            var t = truth.AsSpan(q * k, k);
            var f = found.AsSpan(q * k, k);
            var query = queries.AsSpan(q * dim, dim);
            var last = t.Length - 1;
            while (last >= 0 && t[last] < 0)
                last--;
            hits += TrueHits(f, t, out var trueCount);
            total += trueCount;
            if (last < 0)
                continue;
            var m = 0;
            foreach (var id in f)
            {
                if (id >= 0)
                    foundScores[m++] = Dot(index, query, id);
            }
            tieHits += TieRecall.Count(foundScores.AsSpan(0, m), Dot(index, query, t[last]), last + 1);
        }
        Array.Sort(latency);
        return new AnnRun(total == 0 ? 1 : (double)hits / total, total == 0 ? 1 : (double)tieHits / total,
            PerSecond(nq, seconds), PerSecond(nq, cpuSeconds), Percentile(latency, 0.50), Percentile(latency, 0.99));
    }

    private static float Dot(HnswIndex index, ReadOnlySpan<float> query, int position) =>
        TensorPrimitives.Dot(query, index.GetVector(position));
}
