using System.Diagnostics;
using System.Text;
using Xunit.Abstractions;

namespace Mmse.Tests.Faults;

/// <summary>How one reader fared over a fuzz run.</summary>
internal sealed record FuzzReport(string Reader, int Inputs, int Accepted, int Refused, IReadOnlyList<string> Failures, TimeSpan Elapsed)
{
    public override string ToString() =>
        $"fuzz {Reader}: {Inputs} inputs, {Accepted} accepted, {Refused} refused (exit-2 errors), {Failures.Count} failures, {Elapsed.TotalSeconds:F1} s";
}

/// <summary>
/// Runs a reader over generated inputs: each must end in success or a clear
/// <see cref="MmseInputException"/> (the CLI's exit-2 class: <see cref="MmseDataException"/>,
/// <see cref="MmseArtifactException"/> and the input errors beside them). Any other exception is a
/// failure; an input that runs past the per-input timeout is a hang. The loop runs on its own
/// thread and a watchdog reads the input number and its start time, so the timeout costs nothing
/// per input. Failing inputs are written to a folder for replay, with their seed, number and recipe.
/// </summary>
internal static class FuzzRunner
{
    /// <summary>Inputs per reader per run (issue 15: at least 10,000); MMSE_FUZZ_INPUTS overrides, for longer local runs.</summary>
    public static int Inputs { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("MMSE_FUZZ_INPUTS"), out var n) && n > 0 ? n : 10_000;

    /// <summary>Far above the slowest legitimate input (milliseconds) even on a loaded 2-core machine.</summary>
    public static readonly TimeSpan PerInputTimeout = TimeSpan.FromSeconds(10);

    private static readonly string s_failures = Path.Combine(Path.GetTempPath(), "mmse-fuzz-failures");

    /// <summary>
    /// Generates <paramref name="count"/> inputs with <paramref name="generate"/> and feeds each to
    /// <paramref name="read"/>; returns the counts. Never throws for a failing input: the caller asserts.
    /// </summary>
    public static FuzzReport Run(string reader, int seed, int count, Func<Random, (byte[] Input, string Recipe)> generate, Action<byte[]> read)
    {
        var rng = new Random(seed);
        var failures = new List<string>();
        var seen = new HashSet<string>();
        int accepted = 0, refused = 0;
        var current = -1;
        var started = 0L;
        var currentInput = Array.Empty<byte>();
        var currentRecipe = "";
        var clock = Stopwatch.StartNew();

        var worker = new Thread(() =>
        {
            for (var i = 0; i < count; i++)
            {
                var (input, recipe) = generate(rng);
                Volatile.Write(ref currentInput, input);
                Volatile.Write(ref currentRecipe, recipe);
                Volatile.Write(ref started, clock.ElapsedTicks);
                Volatile.Write(ref current, i);
                try
                {
                    read(input);
                    accepted++;
                }
                catch (MmseInputException)
                {
                    refused++;
                }
#pragma warning disable CA1031 // anything else is the finding this suite looks for
                catch (Exception e)
#pragma warning restore CA1031
                {
                    // One report per kind of failure (type and throwing method), so one bug does not flood the list.
                    var site = $"{e.GetType().Name} at {e.TargetSite?.DeclaringType?.Name}.{e.TargetSite?.Name}";
                    if (seen.Add(site) && failures.Count < 10)
                        failures.Add($"{site}: {e.Message} [input {i}, {recipe}, saved as {Save(reader, seed, i, input)}]\n{e.StackTrace}");
                }
            }
            Volatile.Write(ref current, count);
        }, 16 << 20)
        { IsBackground = true, Name = $"fuzz {reader}" };  // deep JSON recurses; a large stack keeps that a parser's problem, not ours
        worker.Start();

        while (!worker.Join(50))
        {
            var i = Volatile.Read(ref current);
            if (i < 0 || i >= count)
                continue;
            var elapsed = Stopwatch.GetElapsedTime(0, clock.ElapsedTicks - Volatile.Read(ref started));
            if (elapsed > PerInputTimeout && Volatile.Read(ref current) == i)
            {
                // The thread cannot be stopped; it is a background thread and dies with the test host.
                failures.Add($"hang: input {i} ran past {PerInputTimeout.TotalSeconds} s [{Volatile.Read(ref currentRecipe)}, saved as {Save(reader, seed, i, Volatile.Read(ref currentInput))}]");
                return new FuzzReport(reader, i, accepted, refused, failures, clock.Elapsed);
            }
        }
        return new FuzzReport(reader, count, accepted, refused, failures, clock.Elapsed);
    }

    private static string Save(string reader, int seed, int input, byte[] bytes)
    {
        Directory.CreateDirectory(s_failures);
        var path = Path.Combine(s_failures, $"{reader}-seed{seed}-input{input}.bin");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>
    /// Writes the report to the test's output and to the run's console (the counts belong in CI's log),
    /// then asserts: no failure, and both outcomes seen (a generator whose every input is refused at
    /// the first byte, or accepted, is not exercising the reader).
    /// </summary>
    public static void Check(FuzzReport report, ITestOutputHelper output, bool expectAccepted = true)
    {
        output.WriteLine(report.ToString());
        Console.WriteLine(report.ToString());
        if (report.Failures.Count > 0)
        {
            var text = new StringBuilder(report.ToString()).AppendLine();
            foreach (var f in report.Failures)
                text.AppendLine(f);
            Assert.Fail(text.ToString());
        }
        Assert.True(report.Refused > report.Inputs / 20, $"only {report.Refused} of {report.Inputs} inputs were refused: the mutations do not reach the reader's checks");
        if (expectAccepted)
            Assert.True(report.Accepted > 0, $"no input of {report.Inputs} was accepted: the generator never produces a readable file");
    }
}
