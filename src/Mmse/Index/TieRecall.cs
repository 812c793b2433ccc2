namespace Mmse.Index;

/// <summary>
/// ann-benchmarks' tie rule for recall: a result counts as one of the true k nearest when its
/// score is within <see cref="Epsilon"/> of the k-th true result's (here: inner product at least
/// the k-th's minus 1e-3). Without it, vector sets with many equal or near-equal vectors (a
/// trained model's items: the same title in many shops) cap id-based recall below 1 for any
/// index, exact ones included. `mmse bench ann` and the engine-latency harness both count by it.
/// </summary>
public static class TieRecall
{
    public const float Epsilon = 1e-3f;

    /// <summary>
    /// How many of <paramref name="foundScores"/> count as true results: those at least
    /// <paramref name="kthTrueScore"/> - <see cref="Epsilon"/>, at most <paramref name="trueCount"/>.
    /// </summary>
    public static int Count(ReadOnlySpan<float> foundScores, float kthTrueScore, int trueCount)
    {
        var counted = 0;
        foreach (var score in foundScores)
        {
            if (counted < trueCount && score >= kthTrueScore - Epsilon)
                counted++;
        }
        return counted;
    }
}
