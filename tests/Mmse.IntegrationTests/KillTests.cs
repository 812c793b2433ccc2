using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Mmse.Cli;
using Mmse.Data;
using Mmse.Index;
using Mmse.Model;
using Xunit.Abstractions;

namespace Mmse.IntegrationTests;

/// <summary>
/// Issue 15's fault suite, part two: every command that writes files, run as the real CLI process
/// and killed with SIGKILL at several points: mid-work (as its progress line appears, before any
/// output is opened) where the command computes before it writes, as soon as its first temporary
/// file appears, and at fixed delays after that. After each kill the earlier output must be intact
/// or replaced whole, never torn: every file equals the earlier run's bytes or is a complete new
/// one that loads. Then the same command run again must succeed. `publish` writes to Garnet, not to
/// files: its kill test is in GarnetClusterTests, beside the cluster it needs.
/// </summary>
public sealed class KillTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();
    private int _kills;

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// Where a run is killed: as soon as <paramref name="Output"/> appears on its stderr (a progress
    /// line: mid-work, before any output file is opened), or when a temporary file matching
    /// <paramref name="Temp"/> appears (writing has begun), then <paramref name="DelayMs"/> more.
    /// </summary>
    private sealed record KillPoint(string Name, string? Output = null, string Temp = "*.tmp-*", int DelayMs = 0);

    /// <summary>While writing: as the first temporary file appears, and 40 and 150 ms after it.</summary>
    private static readonly KillPoint[] s_writing =
        [new("first temporary file"), new("temporary file + 40 ms", DelayMs: 40), new("temporary file + 150 ms", DelayMs: 150)];

    /// <summary>A run killed mid-work (at the progress line <paramref name="output"/>), then the writing points.</summary>
    private static KillPoint[] Points(string output) => [new($"mid-work ('{output}' on stderr)", Output: output), .. s_writing];

    private readonly List<string> _outcomes = [];

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
        return Process.Start(info)!;
    }

    /// <summary>
    /// Starts the command, waits for the kill point (its progress output, or a temporary file in
    /// <paramref name="watch"/>, then the point's delay) and kills it with SIGKILL. Returns false
    /// when the command finished before the kill point (nothing was killed).
    /// </summary>
    private bool KillDuring(string watch, KillPoint point, params string[] args)
    {
        Func<string, bool> reached = point.Output is { } text
            ? stderr => stderr.Contains(text, StringComparison.Ordinal)
            : _ => Directory.Exists(watch) && Directory.EnumerateFiles(watch, point.Temp).Any();
        var killed = StartAndKill(reached, point.DelayMs, point.Name, args);
        if (killed)
            _kills++;
        _outcomes.Add($"{point.Name}: {(killed ? "killed" : "had finished")}");
        return killed;
    }

    /// <summary>
    /// Runs the CLI as a process until <paramref name="reached"/> holds (it is given the stderr so
    /// far), waits <paramref name="delayMs"/> more and kills it with SIGKILL (no finally block, no
    /// flush). Returns false when the command had finished by then; it must have succeeded.
    /// </summary>
    internal static bool StartAndKill(Func<string, bool> reached, int delayMs, string point, params string[] args)
    {
        using var process = Start(args);
        process.StandardOutput.ReadToEndAsync();
        var stderr = new StringBuilder();
        _ = Task.Run(async () =>
        {
            var buffer = new char[4096];
            int n;
            while ((n = await process.StandardError.ReadAsync(buffer)) > 0)
            {
                lock (stderr)
                    stderr.Append(buffer, 0, n);
            }
        });
        string Stderr()
        {
            lock (stderr)
                return stderr.ToString();
        }
        var clock = Stopwatch.StartNew();
        while (!process.HasExited && !reached(Stderr()))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(3), $"mmse {string.Join(' ', args)} did not reach '{point}' in 3 minutes");
            Thread.Sleep(2);
        }
        if (delayMs > 0)
            process.WaitForExit(delayMs);
        if (process.HasExited)
        {
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"mmse {string.Join(' ', args)} exited {process.ExitCode} before '{point}': {Stderr()}");
            return false;
        }
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
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

    /// <summary>The counts for CI's log: runs started, killed, and where each kill point fell.</summary>
    private void Report(string command, int attempts)
    {
        var line = $"kill -9 {command}: {attempts} runs started, {_kills} killed (the rest finished before the kill point); {string.Join("; ", _outcomes)}";
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
        foreach (var point in s_writing)
        {
            var dir = _dir.File($"synth-{attempts}");
            RunInProcess(Args(dir, 1));
            var earlier = Snapshot(dir, s_synthFiles);
            attempts++;
            KillDuring(dir, point, Args(dir, 2));
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
        foreach (var point in Points("epoch 1/"))
        {
            attempts++;
            KillDuring(Path.GetDirectoryName(model)!, point, Args(2));  // the temporary file appears when the model is saved
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
        foreach (var point in Points("index build"))
        {
            attempts++;
            KillDuring(Path.GetDirectoryName(index)!, point, Args(2));
            AssertEarlierOrLoads(index, earlier, p => HnswIndex.Open(p).Dispose());
        }
        RunInProcess(Args(2));
        HnswIndex.Open(index).Dispose();
        Report("index", attempts);
        Assert.True(_kills > 0, "no index run was still going at any kill point");
    }

    /// <summary>
    /// The issue's case: an earlier embed in DIR, then embed of a reordered catalog into DIR killed
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
        // The first temporary file is the manifest's ("writing"), then items.fvecs's, then items.ids's.
        KillPoint[] points = [new("items.ids's temporary file", Temp: "items.ids.tmp-*"), s_writing[0], s_writing[2]];
        foreach (var point in points)
        {
            RunInProcess("embed", "--model", model, "--catalog", big.Catalog, "--out", dir, "--threads", "1");
            var earlier = Snapshot(dir, ["items.fvecs", "items.ids"]);
            attempts++;
            KillDuring(dir, point, "embed", "--model", model, "--catalog", reordered, "--out", dir, "--threads", "1");
            var fvecs = Path.Combine(dir, "items.fvecs");
            var ids = Path.Combine(dir, "items.ids");
            Vectors.ReadFvecs(fvecs, out var n, out _);
            Assert.Equal(lines.Length, n);
            Assert.Equal(lines.Length, File.ReadAllLines(ids).Length);
            var torn = File.ReadAllBytes(fvecs).AsSpan().SequenceEqual(earlier["items.fvecs"]) != File.ReadAllBytes(ids).AsSpan().SequenceEqual(earlier["items.ids"]);
            var error = new StringWriter();
            var code = Program.Run(["index", "--vectors", fvecs, "--ids", ids, "--out", _dir.File($"pair-{attempts}.idx")], new CliContext(new StringWriter(), error, ProgressReporter.Silent));
            Assert.True(torn ? code == 2 : code == 0, $"torn pair: {torn}, index exited {code}: {error}");
            RunInProcess("embed", "--model", model, "--catalog", reordered, "--out", dir, "--threads", "1");
        }
        Report("embed", attempts);
        Assert.True(_kills > 0, "no embed run was still going at any kill point");
    }

    private static readonly string[] s_reportFiles = ["report.md", "results.json", "recall_at_k.svg", "training_loss.svg", "valid_recall.svg"];

    /// <summary>Each report file is the earlier run's, byte for byte, or a complete new one (they hold times, so no two runs match byte for byte).</summary>
    private static void AssertReportWhole(string dir, Dictionary<string, byte[]> earlier)
    {
        foreach (var name in s_reportFiles)
        {
            var path = Path.Combine(dir, name);
            Assert.True(File.Exists(path), $"{name}: the earlier run's file is gone");
            var bytes = File.ReadAllBytes(path);
            if (earlier.TryGetValue(name, out var before) && bytes.AsSpan().SequenceEqual(before))
                continue;
            var text = Encoding.UTF8.GetString(bytes);
            if (name.EndsWith(".json", StringComparison.Ordinal))
                JsonDocument.Parse(bytes).Dispose();  // throws on a torn file
            else if (name.EndsWith(".svg", StringComparison.Ordinal))
                System.Xml.Linq.XDocument.Parse(text);
            else
                Assert.True(text.StartsWith("# Mmse experiment", StringComparison.Ordinal) && text.TrimEnd().EndsWith("(valid_recall.svg)", StringComparison.Ordinal),
                    $"report.md ({bytes.Length} bytes) is neither the earlier nor a complete new report: torn by the kill");
        }
    }

    /// <summary>
    /// experiment trains, evaluates, then writes five report files one by one, each through a
    /// temporary file: killed mid-training the earlier report stays as it was; killed while
    /// writing, each file is the earlier one or the complete new one. The rerun succeeds and
    /// removes the temporary files the killed runs left.
    /// </summary>
    [Fact]
    public void Experiment_killed_leaves_each_report_file_whole_and_runs_again()
    {
        var dir = _dir.File("m");
        RunInProcess("synth", "--out", dir, "--items", "200", "--requests", "800", "--days", "6", "--seed", "1", "--threads", "1");
        var report = _dir.File("report");
        string[] Args(int seed) => ["experiment", "--catalog", Path.Combine(dir, "catalog.jsonl"), "--train", Path.Combine(dir, "train.jsonl"),
            "--test", Path.Combine(dir, "test.jsonl"), "--out", report, "--variants", "mmse,bm25", "--epochs", "1", "--buckets", "4096", "--dim", "16",
            "--threads", "1", "--rounds", "100", "--seed", $"{seed}"];
        RunInProcess(Args(1));
        var earlier = Snapshot(report, s_reportFiles);
        var attempts = 0;
        // The five files take milliseconds to write and the run ends right after, so a temporary file
        // is seen only now and then: the points are mid-training, the moment the last variant's
        // evaluation is printed (the report is computed and written next), and the first temporary
        // file. Three points keep the test's time down (each run killed late costs a whole run).
        KillPoint[] points = [new("mid-training ('epoch 1/' on stderr)", Output: "epoch 1/"),
            new("evaluation done ('[bm25]' on stderr)", Output: "[bm25]"), s_writing[0]];
        foreach (var point in points)
        {
            attempts++;
            KillDuring(report, point, Args(2));
            AssertReportWhole(report, earlier);
            earlier = Snapshot(report, s_reportFiles);
        }
        RunInProcess(Args(2));
        AssertReportWhole(report, []);
        Assert.Empty(Directory.EnumerateFiles(report, "*.tmp-*"));
        Report("experiment", attempts);
        Assert.True(_kills > 0, "no experiment run was still going at any kill point");
    }
}
