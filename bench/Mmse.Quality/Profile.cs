using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Mmse.Backbone;

namespace Mmse.Quality;

/// <summary>Development probe: ONNX Runtime's profiler over single-query runs, summed by operator type.</summary>
internal static class Profile
{
    public static void Run(bool int8, int tokens, int batch)
    {
        var (onnx, _) = BackboneModel.ArcticXs.Open();
        if (int8) onnx = OnnxWeightQuantizer.Quantize(onnx).Model;
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        options.OptimizedModelFilePath = Path.Combine(Path.GetTempPath(), $"mmse-opt-{int8}.onnx");
        options.EnableProfiling = true;
        options.ProfileOutputPathPrefix = Path.Combine(Path.GetTempPath(), "mmse-prof");
        using var session = new InferenceSession(onnx, options);
        var ids = new long[batch * tokens];
        var mask = new long[batch * tokens];
        for (var i = 0; i < ids.Length; i++) { ids[i] = 1000 + i % 500; mask[i] = 1; }
        var types = new long[batch * tokens];
        long[] shape = [batch, tokens];
        for (var r = 0; r < 50; r++)
        {
            using var a = OrtValue.CreateTensorValueFromMemory(ids, shape);
            using var b = OrtValue.CreateTensorValueFromMemory(mask, shape);
            using var c = OrtValue.CreateTensorValueFromMemory(types, shape);
            using var ro = new RunOptions();
            using var o = session.Run(ro, ["input_ids", "attention_mask", "token_type_ids"], [a, b, c], ["last_hidden_state"]);
        }
        var file = session.EndProfiling();
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        var byOp = new Dictionary<string, (double Us, int N)>();
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            if (e.GetProperty("cat").GetString() != "Node" || !e.TryGetProperty("args", out var args) || !args.TryGetProperty("op_name", out var op)) continue;
            var name = e.GetProperty("name").GetString()!;
            if (!name.EndsWith("_kernel_time", StringComparison.Ordinal)) continue;
            var k = op.GetString()!;
            var (us, n) = byOp.GetValueOrDefault(k);
            byOp[k] = (us + e.GetProperty("dur").GetDouble(), n + 1);
        }
        var total = byOp.Values.Sum(v => v.Us) / 50;
        Console.WriteLine($"int8={int8} [{batch},{tokens}]: {total / 1000:F2} ms of kernels per run");
        foreach (var (k, v) in byOp.OrderByDescending(p => p.Value.Us))
            Console.WriteLine($"  {k,-28} {v.Us / 50 / 1000,7:F3} ms  {v.N / 50,4} nodes");
        File.Delete(file);
    }
}
