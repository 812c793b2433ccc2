namespace Mmse.Training;

/// <summary>
/// A loss over the fused scores of a batch (DESIGN §5). The engine sums the active losses, each
/// scaled by its weight from <see cref="TrainOptions"/>, and backpropagates their gradient.
/// </summary>
public interface IBatchLoss
{
    /// <summary>
    /// The loss of <paramref name="batch"/> given its scores [batch, slots]; adds
    /// <paramref name="weight"/> times its gradient into <paramref name="gradScores"/> [batch, slots].
    /// </summary>
    double Accumulate(TrainingBatch batch, ReadOnlySpan<float> scores, Span<float> gradScores, float weight);
}

/// <summary>Loss terms of one batch: total = retrievalWeight * Retrieval + rankingWeight * Ranking.</summary>
public readonly record struct LossTerms(double Retrieval, double Ranking, double Total);

/// <summary>The retrieval loss of each kind.</summary>
public static class RetrievalLoss
{
    /// <summary>The loss of <paramref name="kind"/> reading its knobs from (resolved) <paramref name="options"/>.</summary>
    public static IBatchLoss For(RetrievalLossKind kind, TrainOptions options) => kind switch
    {
        RetrievalLossKind.Softmax => new SoftmaxLoss(options),
        RetrievalLossKind.Hinge => new HingeLoss(options),
        _ => new ThresholdLoss(options),
    };
}
