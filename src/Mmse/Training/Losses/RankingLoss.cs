namespace Mmse.Training;

/// <summary>
/// Graded pairwise hinge inside each request's list (margin <see cref="TrainOptions.RankingMargin"/>
/// times the level gap), averaged over its pairs, then over requests (DESIGN §5).
/// </summary>
public sealed class RankingLoss(TrainOptions options) : IBatchLoss
{
    /// <summary>
    /// Share of the last batch's ranking pairs whose hinge was active (margin not yet met); NaN when
    /// the batch had no pair or the loss has not run. A diagnostic: near 0 the loss no longer teaches.
    /// </summary>
    public double ActiveShare { get; private set; } = double.NaN;

    /// <inheritdoc/>
    public double Accumulate(TrainingBatch batch, ReadOnlySpan<float> scores, Span<float> gradScores, float weight)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var n = batch.Slots;
        var requests = 0;
        long allPairs = 0, activePairs = 0;
        ActiveShare = double.NaN;
        for (var b = 0; b < batch.Count; b++)
        {
            if (Pairs(batch, b) > 0) requests++;
        }
        if (requests == 0)
            return 0;
        double total = 0;
        var m0 = options.RankingMargin;
        for (var b = 0; b < batch.Count; b++)
        {
            var pairs = Pairs(batch, b);
            if (pairs == 0) continue;
            allPairs += pairs;
            var scale = (float)(weight / ((double)requests * pairs));
            var s = scores.Slice(b * n, n);
            var gs = gradScores.Slice(b * n, n);
            int l0 = batch.ListOffsets[b], l1 = batch.ListOffsets[b + 1];
            double sum = 0;
            for (var x = l0; x < l1; x++)
            {
                var lx = batch.ListLevels[x];
                var sx = batch.ListSlots[x];
                for (var y = l0; y < l1; y++)
                {
                    var ly = batch.ListLevels[y];
                    if (lx <= ly) continue;
                    var sy = batch.ListSlots[y];
                    var t = m0 * (lx - ly) - (s[sx] - s[sy]);
                    if (t <= 0) continue;
                    activePairs++;
                    sum += t;
                    gs[sx] -= scale;
                    gs[sy] += scale;
                }
            }
            total += sum / pairs;
        }
        ActiveShare = (double)activePairs / allPairs;
        return total / requests;
    }

    private static int Pairs(TrainingBatch batch, int b)
    {
        var count = 0;
        int l0 = batch.ListOffsets[b], l1 = batch.ListOffsets[b + 1];
        for (var x = l0; x < l1; x++)
        {
            for (var y = l0; y < l1; y++)
            {
                if (batch.ListLevels[x] > batch.ListLevels[y]) count++;
            }
        }
        return count;
    }
}
