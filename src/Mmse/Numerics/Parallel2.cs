namespace Mmse.Numerics;

/// <summary>Parallel loops over [0, count) in contiguous chunks, serial when threads &lt;= 1 or the work is small.</summary>
public static class Parallel2
{
    public static void For(int count, int threads, int minChunk, Action<int, int> range)
    {
        ArgumentNullException.ThrowIfNull(range);
        var tasks = Math.Min(Math.Max(1, threads), Math.Max(1, count / Math.Max(1, minChunk)));
        if (tasks <= 1)
        {
            range(0, count);
            return;
        }
        Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = tasks }, t =>
            range((int)((long)count * t / tasks), (int)((long)count * (t + 1) / tasks)));
    }

    /// <summary>Resolves a thread setting: 0 means every core.</summary>
    public static int Resolve(int threads) => threads <= 0 ? Environment.ProcessorCount : threads;
}
