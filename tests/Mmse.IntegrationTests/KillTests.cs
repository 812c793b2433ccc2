using System.Diagnostics;
using System.Text.Json;
using Mmse.Cli;
using Mmse.Data;
using Mmse.Index;
using Mmse.Model;
using Xunit.Abstractions;

namespace Mmse.IntegrationTests;

/// <summary>
/// Issue 15's fault suite, part two: every command that writes, run as the real CLI process and
/// killed with SIGKILL at several points (as soon as its first temporary file appears, and at
/// fixed delays after that). After each kill the earlier output must be intact or replaced whole,
/// never torn: every file equals the earlier run's bytes or the killed run's complete bytes, and
/// loads. Then the same command run again must succeed.
/// </summary>
public sealed class KillTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();
    private int _kills;

    public void Dispose() => _dir.Dispose();

    /// <summary>Kill points: when the first temporary file appears, then that plus these milliseconds.</summary>
    private static readonly int[] s_delaysMs = [0, 40, 150];

    private static int RunInProcess(params string[] args)
    {
        var error = new StringWriter();
        var code = Program.Run(args, new CliContext(new StringWriter(), error, ProgressReporter.Silent));
        Assert.True(code == 0, $"mmse {string.Join(' ', args)} exited {code}: {error}");
        return code;
    }

    private static Process Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Mmse.Cli.dll"));
        foreach (var a in args)
            info.ArgumentList.Add(a);
        info.Environment["DOTNET_gcServer"] = "0";
        var process = Process.Start(info)!;
        process.StandardOutput.ReadToEndAsync();
        process.StandardError.ReadToEndAsync();
        return process;
    }

    /// <summary>
    /// Starts the command, waits until a temporary file (<c>*.tmp-*</c>) appears in
    /// <paramref name="watch"/> and then <paramref name="delayMs"/> more, and kills it with SIGKILL.
    /// Returns false when the command finished before the kill point (nothing was killed).
    /// </summary>
    private bool KillDuring(string watch, int delayMs, params string[] args) => KillDuring(watch, "*.tmp-*", delayMs, args);

    private bool KillDuring(string watch, string pattern, int delayMs, params string[] args)
    {
        using var process = Start(args);
        var clock = Stopwatch.StartNew();
        while (!process.HasExited && !(Directory.Exists(watch) && Directory.EnumerateFiles(watch, pattern).Any()))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"mmse {string.Join(' ', args)} wrote no temporary file in 2 minutes");
            Thread.Sleep(2);
        }
        if (delayMs > 0)
            process.WaitForExit(delayMs);
        if (process.HasExited)
            return false;
        process.Kill(entireProcessTree: true);  // SIGKILL on Linux: no finally block, no flush
        process.WaitForExit();
        _kills++;
        return true;
    }

    private static Dictionary<string, byte[]> Snapshot(string dir, IEnumerable<string> names) =>
        names.Where(n => File.Exists(Path.Combine(dir, n))).ToDictionary(n => n, n => File.ReadAllBytes(Path.Combine(dir, n)));

    /// <summary>Each file is absent or equals one of the complete versions: the earlier run's or the killed run's.</summary>
    private static void AssertWhole(string dir, IEnumerable<string> names, params Dictionary<string, byte[]>[] versions)
    {
        foreach (var name in names)
        {
            var path = Path.Combine(dir, name);
            if (!File.Exists(path))
                continue;
            var bytes = File.ReadAllBytes(path);
            Assert.True(versions.Any(v => v.TryGetValue(name, out var whole) && whole.AsSpan().SequenceEqual(bytes)),
                $"{name} ({bytes.Length} bytes) is neither the earlier nor the new complete file: torn by the kill");
        }
    }

    private void Report(string command, int attempts)
    {
        var line = $"kill -9 {command}: {attempts} runs started, {_kills} killed (the rest finished before the kill point)";
        output.WriteLine(line);
        Console.WriteLine(line);
    }

    private (string Catalog, string Train) Market(string name, int seed, int items = 300)
    {
        var dir = _dir.File(name);
        RunInProcess("synth", "--out", dir, "--items", $"{items}", "--requests", "3000", "--days", "6", "--seed", $"{seed}", "--threads", "1");
        return (Path.Combine(dir, "catalog.jsonl"), Path.Combine(dir, "train.jsonl"));
    }

    private static readonly string[] s_synthFiles = ["catalog.jsonl", "train.jsonl", "valid.jsonl", "test.jsonl", "truth.jsonl", "intents.jsonl", "manifest.json"];

    [Fact]
    public void Synth_killed_leaves_each_file_whole_and_runs_again()
    {
        string[] Args(string dir, int seed) => ["synth", "--out", dir, "--items", "2000", "--requests", "60000", "--days", "6", "--seed", $"{seed}", "--threads", "1"];
        var reference = _dir.File("synth-ref");
        RunInProcess(Args(reference, 2));
        var newer = Snapshot(reference, s_synthFiles);
        var attempts = 0;
        foreach (var delay in s_delaysMs)
        {
            var dir = _dir.File($"synth-{delay}");
            RunInProcess(Args(dir, 1));
            var earlier = Snapshot(dir, s_synthFiles);
            attempts++;
            KillDuring(dir, delay, Args(dir, 2));
            AssertWhole(dir, s_synthFiles, earlier, newer);
            RunInProcess(Args(dir, 2));
            AssertWhole(dir, s_synthFiles, newer);
        }
        Report("synth", attempts);
        Assert.True(_kills > 0, "no synth run was still going at any kill point");
    }

    /// <summary>The file is the earlier run's, byte for byte, or a complete new one that loads (its checksum holds).</summary>
    private static void AssertEarlierOrLoads(string path, byte[] earlier, Action<string> load)
    {
        if (File.ReadAllBytes(path).AsSpan().SequenceEqual(earlier))
            return;
        load(path);  // throws MmseArtifactException for a torn or corrupt file
    }

    [Fact]
    public void Train_killed_leaves_the_earlier_model_whole_and_runs_again()
    {
        var (catalog, train) = Market("m", 1);
        var model = _dir.File("out/model.mmse");
        string[] Args(int seed) => ["train", "--catalog", catalog, "--train", train, "--out", model, "--buckets", "65536", "--epochs", "2", "--threads", "1", "--seed", $"{seed}"];
        RunInProcess(Args(1));
        var earlier = File.ReadAllBytes(model);
        var attempts = 0;
        foreach (var delay in s_delaysMs)
        {
            attempts++;
            KillDuring(Path.GetDirectoryName(model)!, delay, Args(2));  // the temporary file appears when the model is saved
            AssertEarlierOrLoads(model, earlier, p => MmseModel.Load(p));
        }
        RunInProcess(Args(2));
        MmseModel.Load(model);
        Report("train", attempts);
        Assert.True(_kills > 0, "no train run was still going at any kill point");
    }

    [Fact]
    public void Index_killed_leaves_the_earlier_index_whole_and_runs_again()
    {
        var vectors = _dir.File("v.fvecs");
        var rng = new Random(3);
        const int dim = 32, count = 20_000;
        Vectors.WriteFvecs(vectors, Enumerable.Range(0, count * dim).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray(), dim);
        var index = _dir.File("idx/items.idx");
        string[] Args(int seed) => ["index", "--vectors", vectors, "--out", index, "--threads", "1", "--seed", $"{seed}", "--ef-construction", "100"];
        RunInProcess(Args(1));
        var earlier = File.ReadAllBytes(index);
        var attempts = 0;
        foreach (var delay in s_delaysMs)
        {
            attempts++;
            KillDuring(Path.GetDirectoryName(index)!, delay, Args(2));
            AssertEarlierOrLoads(index, earlier, p => HnswIndex.Open(p).Dispose());
        }
        RunInProcess(Args(2));
        HnswIndex.Open(index).Dispose();
        Report("index", attempts);
        Assert.True(_kills > 0, "no index run was still going at any kill point");
    }

    /// <summary>
    /// The case: an earlier embed in DIR, then embed of a reordered catalog into DIR killed
    /// as soon as items.ids's temporary file appears (items.fvecs is already the new one). Each
    /// file is whole; and a pair that is torn (one file new, the other old) must be refused by
    /// index (exit 2), never indexed. The guarantee is the pair manifest of the faults helper.
    /// </summary>
    [Fact]
    public void Embed_killed_leaves_no_pair_that_index_would_use()
    {
        var (catalog, train) = Market("e", 1);
        var model = _dir.File("model.mmse");
        RunInProcess("train", "--catalog", catalog, "--train", train, "--out", model, "--buckets", "4096", "--epochs", "1", "--threads", "1");
        var big = Market("big", 2, items: 30_000);
        var lines = File.ReadAllLines(big.Catalog);
        var reordered = _dir.File("reordered.jsonl");
        File.WriteAllLines(reordered, lines.Reverse());
        var dir = _dir.File("vectors");
        var attempts = 0;
        foreach (var delay in s_delaysMs)
        {
            RunInProcess("embed", "--model", model, "--catalog", big.Catalog, "--out", dir, "--threads", "1");
            var earlier = Snapshot(dir, ["items.fvecs", "items.ids"]);
            attempts++;
            KillDuring(dir, delay == 0 ? "items.ids.tmp-*" : "*.tmp-*", delay, "embed", "--model", model, "--catalog", reordered, "--out", dir, "--threads", "1");
            var fvecs = Path.Combine(dir, "items.fvecs");
            var ids = Path.Combine(dir, "items.ids");
            Vectors.ReadFvecs(fvecs, out var n, out _);
            Assert.Equal(lines.Length, n);
            Assert.Equal(lines.Length, File.ReadAllLines(ids).Length);
            var torn = File.ReadAllBytes(fvecs).AsSpan().SequenceEqual(earlier["items.fvecs"]) != File.ReadAllBytes(ids).AsSpan().SequenceEqual(earlier["items.ids"]);
            var error = new StringWriter();
            var code = Program.Run(["index", "--vectors", fvecs, "--ids", ids, "--out", _dir.File($"pair-{delay}.idx")], new CliContext(new StringWriter(), error, ProgressReporter.Silent));
            Assert.True(torn ? code == 2 : code == 0, $"torn pair: {torn}, index exited {code}: {error}");
            RunInProcess("embed", "--model", model, "--catalog", reordered, "--out", dir, "--threads", "1");
        }
        Report("embed", attempts);
        Assert.True(_kills > 0, "no embed run was still going at any kill point");
    }
}
