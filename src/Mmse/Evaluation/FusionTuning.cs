using Mmse.Data;

namespace Mmse.Evaluation;

/// <summary>The fusion settings <see cref="FusionTuning"/> tries, in order (the first wins a tie).</summary>
public sealed record FusionGrid
{
    /// <summary>RRF constants tried. Default 60 (the paper's, first so it wins ties), 1, 3, 10, 20, 40, 100, 200.</summary>
    public IReadOnlyList<int> RrfK { get; init; } = [RankFusion.DefaultK, 1, 3, 10, 20, 40, 100, 200];

    /// <summary>
    /// Weights of the first list in weighted score fusion. Default 0.1 to 0.9 by 0.1, then 1 and 0
    /// (one list alone), so the tuning can also say that fusing does not help.
    /// </summary>
    public IReadOnlyList<double> Weights { get; init; } = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 0.0];

    /// <summary>The settings in the order they are tried: every RRF constant, then every weight.</summary>
    public IReadOnlyList<FusionSetting> Settings() =>
        [.. RrfK.Select(FusionSetting.Rrf), .. Weights.Select(FusionSetting.Weighted)];
}

/// <summary>One setting tried and its value of the tuning metric on the validation requests.</summary>
public readonly record struct FusionTrial(FusionSetting Setting, double Value);

/// <summary>What the tuning chose and everything it tried.</summary>
/// <param name="Best">The chosen setting: the first in grid order unless another is better by more than one standard error (<see cref="FusionTuning.Choose"/>).</param>
/// <param name="Metric">The metric it was chosen by (recall_order@100, or recall_click@100 when no validation request has an order).</param>
/// <param name="Requests">Validation requests it was measured on.</param>
/// <param name="Trials">Every setting tried, in grid order.</param>
public sealed record FusionTuningResult(FusionSetting Best, string Metric, int Requests, IReadOnlyList<FusionTrial> Trials)
{
    /// <summary>The validation value of the chosen setting.</summary>
    public double BestValue => Trials.First(t => t.Setting == Best).Value;

    /// <summary>The validation value of <paramref name="setting"/>, NaN when it was not tried.</summary>
    public double ValueOf(FusionSetting setting) =>
        Trials.Where(t => t.Setting == setting).Select(t => t.Value).DefaultIfEmpty(double.NaN).First();
}

/// <summary>
/// Chooses how to fuse two rankers (the hybrid's learned channel and BM25) on validation requests
/// instead of fixing it by hand: every setting of a <see cref="FusionGrid"/> fuses both rankers'
/// lists of each validation request, and the setting with the highest macro recall_order@100
/// (the metric training validates on) wins, when it beats the standard RRF k = 60 by more than noise
/// (<see cref="Choose"/>).
/// </summary>
public static class FusionTuning
{
    /// <summary>The metric the tuning maximises.</summary>
    public const string Metric = "recall_order@100";

    /// <summary>The fallback metric when no validation request has an order.</summary>
    public const string FallbackMetric = "recall_click@100";

    /// <summary>Tunes the fusion of <paramref name="first"/> with <paramref name="second"/>, both [validation requests] lists.</summary>
    /// <param name="valid">The validation requests (their judged items).</param>
    /// <param name="first">The first ranker's list of each validation request (the learned channel).</param>
    /// <param name="second">The second ranker's list of each request (BM25).</param>
    /// <param name="grid">Settings to try; default <see cref="FusionGrid"/>'s.</param>
    /// <param name="threads">0 for all cores; the result does not depend on it.</param>
    public static FusionTuningResult Tune(SearchLog valid, IReadOnlyList<RankedList> first, IReadOnlyList<RankedList> second,
        FusionGrid? grid = null, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(valid);
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.Count != valid.Count || second.Count != valid.Count)
            throw new ArgumentException($"'first':{first.Count} and 'second':{second.Count} must both equal the validation log's {valid.Count} requests");
        var settings = (grid ?? new FusionGrid()).Settings();
        if (settings.Count == 0)
            throw new ArgumentException("the fusion grid is empty", nameof(grid));
        var metric = Enumerable.Range(0, valid.Count).Any(r => valid.ActionsOf(r).Contains(UserAction.Order)) ? Metric : FallbackMetric;
        var m = RetrievalMetrics.Names.ToList().IndexOf(metric);
        // Only the top 100 counts for the metric, so each fused list stops there.
        const int depth = 100;
        var sums = new double[valid.Count, settings.Count];
        var defined = new bool[valid.Count];
        Parallel.For(0, valid.Count, new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount }, r =>
        {
            var candidates = RankFusion.Pair(first[r], second[r]);
            var values = new double[RetrievalMetrics.Count];
            for (var s = 0; s < settings.Count; s++)
            {
                RetrievalMetrics.Compute(candidates.Fuse(settings[s], depth), valid.ItemsOf(r), valid.ActionsOf(r), values);
                sums[r, s] = values[m];
            }
            defined[r] = !double.IsNaN(values[m]);
        });
        var trials = new FusionTrial[settings.Count];
        var count = defined.Count(d => d);
        for (var s = 0; s < settings.Count; s++)
        {
            // Summed in request order, so the value does not depend on threads.
            var total = 0.0;
            for (var r = 0; r < valid.Count; r++)
            {
                if (defined[r]) total += sums[r, s];
            }
            trials[s] = new FusionTrial(settings[s], count > 0 ? total / count : 0);
        }
        return new FusionTuningResult(settings[Choose(sums, defined)], metric, valid.Count, trials);
    }

    /// <summary>
    /// The index of the chosen setting given every request's metric under every setting
    /// ([requests, settings]; rows not <paramref name="defined"/> are skipped): the first setting
    /// (the standard RRF k = 60) unless others beat it by more than one standard error of their
    /// paired per-request difference to it, and then the best of those (the earliest among equals).
    /// On a few hundred validation requests most differences between neighbouring settings are
    /// noise; following one cost 0.003 recall_order@100 on held-out requests
    /// (docs/experiments.md, "Real data").
    /// </summary>
    internal static int Choose(double[,] values, bool[] defined)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(defined);
        var requests = values.GetLength(0);
        var settings = values.GetLength(1);
        var n = defined.Count(d => d);
        if (n < 2)
            return 0; // no spread to measure a difference against
        var best = 0;
        var bestMean = 0.0;
        for (var s = 1; s < settings; s++)
        {
            // Mean and sample standard deviation of (setting s - setting 0) over the defined requests.
            double sum = 0, squares = 0;
            for (var r = 0; r < requests; r++)
            {
                if (!defined[r]) continue;
                var d = values[r, s] - values[r, 0];
                sum += d;
                squares += d * d;
            }
            var mean = sum / n;
            var variance = Math.Max(0, (squares - n * mean * mean) / (n - 1));
            var standardError = Math.Sqrt(variance / n);
            if (mean > standardError && mean > bestMean)
            {
                best = s;
                bestMean = mean;
            }
        }
        return best;
    }
}
