using System.Diagnostics;

namespace Mmse.Benchmarks;

/// <summary>Wall and process CPU seconds of one action: CPU time is what other load on the machine disturbs least.</summary>
internal static class BenchClock
{
    public static (double Wall, double Cpu) Measure(Action action)
    {
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        action();
        clock.Stop();
        process.Refresh();
        return (clock.Elapsed.TotalSeconds, (process.TotalProcessorTime - cpu0).TotalSeconds);
    }
}
