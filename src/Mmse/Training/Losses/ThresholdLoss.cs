namespace Mmse.Training;

/// <summary>
/// amazon3: positives above <see cref="TrainOptions.ThresholdPositive"/>, unclicked (level 1) below
/// <see cref="TrainOptions.ThresholdExposed"/>, random (level 0) below <see cref="TrainOptions.ThresholdRandom"/>;
/// the mean of the violations over every such term.
/// </summary>
public sealed class ThresholdLoss(TrainOptions options) : IBatchLoss
{
    /// <inheritdoc/>
    public double Accumulate(TrainingBatch batch, ReadOnlySpan<float> scores, Span<float> gradScores, float weight)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var n = batch.Slots;
        long terms = 0;
        for (var b = 0; b < batch.Count; b++)
        {
            terms += batch.PositiveOffsets[b + 1] - batch.PositiveOffsets[b];
            for (var x = batch.ListOffsets[b]; x < batch.ListOffsets[b + 1]; x++)
            {
                if (batch.ListLevels[x] <= 1f) terms++;
            }
        }
        if (terms == 0)
            return 0;
        var scale = (float)(weight / (double)terms);
        double total = 0;
        for (var b = 0; b < batch.Count; b++)
        {
            var s = scores.Slice(b * n, n);
            var gs = gradScores.Slice(b * n, n);
            for (var p = batch.PositiveOffsets[b]; p < batch.PositiveOffsets[b + 1]; p++)
            {
                var slot = batch.PositiveSlots[p];
                var t = options.ThresholdPositive - s[slot];
                if (t <= 0) continue;
                total += t;
                gs[slot] -= scale;
            }
            for (var x = batch.ListOffsets[b]; x < batch.ListOffsets[b + 1]; x++)
            {
                var level = batch.ListLevels[x];
                if (level > 1f) continue;
                var slot = batch.ListSlots[x];
                var t = s[slot] - (level >= 1f ? options.ThresholdExposed : options.ThresholdRandom);
                if (t <= 0) continue;
                total += t;
                gs[slot] += scale;
            }
        }
        return total / terms;
    }
}
