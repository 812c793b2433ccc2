using System.Text.Json;
using Mmse.Internals;
using Mmse.Model;

namespace Mmse.Training;

/// <summary>
/// The training checkpoint (docs/model.md): an artifact (<see cref="ArtifactWriter"/>, as the model
/// file) holding a JSON header (options, epoch counters, history) and the current weights, the best
/// weights and the optimiser's moments. A resumed run refuses a checkpoint of other options.
/// </summary>
internal static class Checkpoint
{
    /// <summary>The file's magic.</summary>
    public const string Magic = Trainer.CheckpointMagic;

    /// <summary>The file's format version.</summary>
    public const int Version = Trainer.CheckpointVersion;

    internal sealed class TrainState
    {
        public int Epoch { get; set; }
        public int BestEpoch { get; set; }
        public double BestRecall { get; set; } = double.NegativeInfinity;
        public int BadEpochs { get; set; }
        public long RequestsSeen { get; set; }
        public double TrainSeconds { get; set; }
        public long Step { get; set; }
    }

    private sealed record CheckpointHeader(ModelOptions Model, string TrainOptions, int Epoch, int BestEpoch, double BestRecall, int BadEpochs,
        long RequestsSeen, double TrainSeconds, long Step, List<EpochStats> History);

    /// <summary>Writes the state, both weight sets, the optimiser moments and the history atomically.</summary>
    public static void Write(string path, ModelOptions mo, TrainOptions to, TrainState state, ModelParameters current,
        ModelParameters best, Optimizer optimizer, List<EpochStats> history)
    {
        using var file = new AtomicFile(path, 1 << 20);
        var w = new ArtifactWriter(file.Stream, Magic, Version);
        var header = new CheckpointHeader(mo, JsonSerializer.Serialize(to with { ResumeFrom = null, CheckpointPath = null, Epochs = 0, Threads = 0 }),
            state.Epoch, state.BestEpoch, double.IsNegativeInfinity(state.BestRecall) ? -1 : state.BestRecall, state.BadEpochs,
            state.RequestsSeen, state.TrainSeconds, optimizer.Step, history);
        w.WriteBytes(JsonSerializer.SerializeToUtf8Bytes(header, s_json));
        foreach (var g in (float[][])[current.Embedding, .. current.Dense, best.Embedding, .. best.Dense, .. optimizer.DenseM, .. optimizer.DenseV, optimizer.EmbeddingM, optimizer.EmbeddingV])
            w.WriteFloats(g);
        w.Finish();
        file.Commit();
    }

    private static readonly JsonSerializerOptions s_json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Reads a checkpoint written by <see cref="Write"/> for the same model and training options into the given buffers.</summary>
    public static TrainState Read(string path, ModelOptions mo, TrainOptions to, ModelParameters current, ModelParameters best,
        Optimizer optimizer, List<EpochStats> history)
    {
        ThrowHelper.IfFileMissing(path, "checkpoint");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var r = new ArtifactReader(stream, path, Magic, Version, "checkpoint");
        CheckpointHeader header;
        try
        {
            header = JsonSerializer.Deserialize<CheckpointHeader>(r.ReadBytes(64 << 20), s_json) ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            header = ThrowHelper.Artifact<CheckpointHeader>(path, $"corrupt checkpoint header ({e.Message})");
        }
        if (JsonSerializer.Serialize(header.Model) != JsonSerializer.Serialize(mo))
            ThrowHelper.Input($"{path}: the checkpoint's model options differ from this run's ({JsonSerializer.Serialize(header.Model)})");
        if (header.TrainOptions != JsonSerializer.Serialize(to with { ResumeFrom = null, CheckpointPath = null, Epochs = 0, Threads = 0 }))
            ThrowHelper.Input($"{path}: the checkpoint was written with other training options: {header.TrainOptions}");
        foreach (var g in (float[][])[current.Embedding, .. current.Dense, best.Embedding, .. best.Dense, .. optimizer.DenseM, .. optimizer.DenseV, optimizer.EmbeddingM, optimizer.EmbeddingV])
            r.ReadFloats(g);
        r.Verify();
        optimizer.Step = header.Step;
        history.AddRange(header.History);
        return new TrainState
        {
            Epoch = header.Epoch,
            BestEpoch = header.BestEpoch,
            BestRecall = header.BestRecall < 0 ? double.NegativeInfinity : header.BestRecall,
            BadEpochs = header.BadEpochs,
            RequestsSeen = header.RequestsSeen,
            TrainSeconds = header.TrainSeconds,
            Step = header.Step,
        };
    }
}
