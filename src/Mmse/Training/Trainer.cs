using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Mmse.Backbone;
using Mmse.Data;
using Mmse.Evaluation;
using Mmse.Internals;
using Mmse.Model;
using Mmse.Numerics;
using Mmse.Text;

namespace Mmse.Training;

/// <summary>Loss terms and validation of one epoch.</summary>
public sealed record EpochStats(int Epoch, double RetrievalLoss, double RankingLoss, double TotalLoss,
    double ValidRecall, long Requests, double Seconds, double RequestsPerSecond)
{
    /// <summary>Mean over the epoch's batches of the share of ranking pairs with an active hinge (NaN without the ranking loss).</summary>
    public double RankingActiveShare { get; init; } = double.NaN;
}

/// <summary>What a training run produced: the best model and the history.</summary>
public sealed record TrainResult(
    MmseModel Model,
    IReadOnlyList<EpochStats> Epochs,
    int BestEpoch,
    double BestValidRecall,
    long RequestsSeen,
    double TrainSeconds,
    double RequestsPerSecond,
    bool StoppedEarly,
    int TrainRequests,
    int ValidRequests,
    int PseudoRequestsPerEpoch);

/// <summary>
/// The trainer of DESIGN §3, §5–§6: mined log requests plus catalog-stage pseudo-requests,
/// shuffled minibatches, in-batch and shared random negatives, Adam / lazy Adam with warm-up and
/// clipping, validation each epoch (exact recall_order@100), best-model keeping, early stopping,
/// checkpoints and resume. Every epoch's randomness comes from (seed, epoch), so a resumed run
/// continues exactly as an uninterrupted one would, and <c>Threads = 1</c> repeats bit for bit.
/// </summary>
public static class Trainer
{
    public const string CheckpointMagic = "MMSECKPT";
    public const int CheckpointVersion = 1;

    /// <summary>The validation metric: recall_order@100 (recall_click@100 when no validation request has an order).</summary>
    public const string ValidMetric = "recall_order@100";

    public static TrainResult Train(Catalog catalog, SearchLog trainLog, SearchLog? validLog, ModelOptions modelOptions,
        TrainOptions options, ProgressReporter? progress = null, CancellationToken cancellation = default, BackboneRuntime? backbone = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(trainLog);
        ArgumentNullException.ThrowIfNull(modelOptions);
        ArgumentNullException.ThrowIfNull(options);
        progress ??= ProgressReporter.Silent;
        options.Validate();
        var (mo, to, kind) = options.Resolve(modelOptions);
        mo.Validate();
        if (catalog.Count == 0)
            ThrowHelper.Input("the catalog is empty");
        var threads = Parallel2.Resolve(to.Threads);

        (trainLog, validLog) = SplitValidation(trainLog, validLog, to);

        var mined = MultiStageMiner.Mine(trainLog, new MiningOptions { MergeSameQuery = to.MergeSameQuery });
        var model = new MmseModel(mo, backbone: backbone);
        backbone = model.Backbone;
        var tokenizer = model.Tokenizer;
        progress.Start("tokenising");
        var itemTokens = model.ItemInputs(catalog, threads, progress);
        var queryBackbone = backbone?.EncodeQueries(mined.Queries);
        var queryOffsets = new int[mined.Count + 1];
        var queryTokenList = new List<int>();
        for (var r = 0; r < mined.Count; r++)
        {
            tokenizer.AddBuckets(mined.Queries[r], "query", queryTokenList);
            queryOffsets[r + 1] = queryTokenList.Count;
        }
        var queryTokens = queryTokenList.ToArray();

        // Popularity of each item as a positive (logQ correction).
        var popularity = new float[catalog.Count];
        long positiveTotal = 0;
        for (var r = 0; r < mined.Count; r++)
        {
            var items = mined.ItemsOf(r);
            for (var i = 0; i < mined.PositiveCounts[r]; i++)
            {
                popularity[items[i]]++;
                positiveTotal++;
            }
        }
        if (positiveTotal > 0)
        {
            for (var i = 0; i < popularity.Length; i++)
                popularity[i] /= positiveTotal;
        }

        var parameters = model.Parameters;
        var grads = new ModelGradients(parameters, mo);
        var optimizer = new Optimizer(parameters, to, threads);
        var engine = new TrainingEngine<FastPath>(parameters, mo, itemTokens, to, kind, threads);
        var best = new ModelParameters(mo);
        parameters.CopyTo(best);
        var history = new List<EpochStats>();
        var state = new Checkpoint.TrainState();
        if (to.ResumeFrom is not null)
            state = Checkpoint.Read(to.ResumeFrom, mo, to, parameters, best, optimizer, history);

        var pseudoCount = to.CatalogStage ? (int)Math.Min(catalog.Count, Math.Round(to.CatalogStageFactor * mined.WithPositives)) : 0;
        var perEpoch = mined.Count + pseudoCount;
        var batch = new TrainingBatch();
        var scratch = new List<int>();
        var spanTokens = new List<int>();
        var permutation = Enumerable.Range(0, catalog.Count).ToArray();
        var stepClock = new Stopwatch();
        var stoppedEarly = false;
        var sampler = new BatchSampler(catalog, mined, queryOffsets, queryTokens, popularity, to, tokenizer,
            queryBackbone, itemTokens.Backbone, mo.Dim);
        var totalRequests = (long)perEpoch * to.Epochs;
        var stepsPerEpoch = (perEpoch + to.BatchSize - 1) / to.BatchSize;
        progress.Start("training");

        for (var epoch = state.Epoch + 1; epoch <= to.Epochs; epoch++)
        {
            if (to.MaxSteps > 0 && optimizer.Step >= to.MaxSteps) break;
            var rng = new Rng(to.Seed, 1000UL + (ulong)epoch);
            // Catalog stage: a fresh random set of items each epoch (from the identity, so an epoch
            // depends only on (seed, epoch) and a resumed run matches an uninterrupted one).
            for (var i = 0; i < permutation.Length; i++)
                permutation[i] = i;
            for (var i = 0; i < pseudoCount; i++)
            {
                var j = i + rng.Next(catalog.Count - i);
                (permutation[i], permutation[j]) = (permutation[j], permutation[i]);
            }
            var order = new int[perEpoch];
            for (var i = 0; i < perEpoch; i++)
                order[i] = i < mined.Count ? i : -1 - permutation[i - mined.Count];
            rng.Shuffle<int>(order);

            double sumRet = 0, sumRank = 0, sumTotal = 0, sumActive = 0;
            long batches = 0, seen = 0, activeBatches = 0;
            var epochClock = Stopwatch.StartNew();
            var epochStepTime = stepClock.Elapsed;
            for (var start = 0; start < perEpoch; start += to.BatchSize)
            {
                cancellation.ThrowIfCancellationRequested();
                if (to.MaxSteps > 0 && optimizer.Step >= to.MaxSteps) break;
                stepClock.Start();
                var count = Math.Min(to.BatchSize, perEpoch - start);
                sampler.Fill(batch, order.AsSpan(start, count), rng, scratch, spanTokens);
                engine.FusionBeta = to.FusionBetaAt(optimizer.Step, stepsPerEpoch, mo.Beta);
                var terms = engine.ForwardBackward(batch, grads);
                optimizer.Apply(grads);
                stepClock.Stop();
                sumRet += terms.Retrieval;
                sumRank += terms.Ranking;
                sumTotal += terms.Total;
                if (!double.IsNaN(engine.RankingActiveShare))
                {
                    sumActive += engine.RankingActiveShare;
                    activeBatches++;
                }
                batches++;
                seen += count;
                state.RequestsSeen += count;
                var rate = seen / Math.Max(1e-9, (stepClock.Elapsed - epochStepTime).TotalSeconds);
                progress.Report(state.RequestsSeen, totalRequests, string.Create(CultureInfo.InvariantCulture,
                    $"epoch {epoch}/{to.Epochs} {rate:F0} req/s ret {sumRet / batches:F4} rank {sumRank / batches:F4}"));
            }
            var epochSeconds = (stepClock.Elapsed - epochStepTime).TotalSeconds;
            state.TrainSeconds += epochSeconds;

            // Validation.
            var recall = double.NaN;
            if (validLog is not null && validLog.Count > 0)
                recall = Validate(new MmseModel(mo, parameters, backbone: backbone), catalog, itemTokens, validLog, threads, cancellation);
            var stats = new EpochStats(epoch, sumRet / Math.Max(1, batches), sumRank / Math.Max(1, batches), sumTotal / Math.Max(1, batches),
                recall, seen, epochSeconds, seen / Math.Max(1e-9, epochSeconds))
            { RankingActiveShare = activeBatches > 0 ? sumActive / activeBatches : double.NaN };
            history.Add(stats);
            progress.Line(string.Create(CultureInfo.InvariantCulture,
                $"epoch {epoch}: loss {stats.TotalLoss:F4} (retrieval {stats.RetrievalLoss:F4}, ranking {stats.RankingLoss:F4}, active pairs {stats.RankingActiveShare:P1}), valid {ValidMetric} {recall:F4}, {stats.RequestsPerSecond:F0} requests/s"));
            // Without validation the last epoch is the best; otherwise strictly better recall wins.
            if (double.IsNaN(recall) || recall > state.BestRecall)
            {
                if (!double.IsNaN(recall))
                    state.BestRecall = recall;
                state.BestEpoch = epoch;
                state.BadEpochs = 0;
                parameters.CopyTo(best);
            }
            else
            {
                state.BadEpochs++;
            }
            state.Epoch = epoch;
            if (to.CheckpointPath is not null)
                Checkpoint.Write(to.CheckpointPath, mo, to, state, parameters, best, optimizer, history);
            if (to.Patience > 0 && state.BadEpochs >= to.Patience && epoch < to.Epochs)
            {
                stoppedEarly = true;
                progress.Line($"early stop: no better {ValidMetric} for {to.Patience} epochs (best {state.BestRecall:F4} at epoch {state.BestEpoch})");
                break;
            }
        }

        var metadata = new Dictionary<string, string>
        {
            ["variant"] = to.Variant.ToString(),
            ["retrieval_loss"] = kind.ToString(),
            ["epochs"] = state.Epoch.ToString(CultureInfo.InvariantCulture),
            ["best_epoch"] = state.BestEpoch.ToString(CultureInfo.InvariantCulture),
            ["train_options"] = JsonSerializer.Serialize(to),
        };
        var bestModel = new MmseModel(mo, best, metadata, backbone);
        return new TrainResult(bestModel, history, state.BestEpoch, double.IsNegativeInfinity(state.BestRecall) ? double.NaN : state.BestRecall,
            state.RequestsSeen, state.TrainSeconds, state.RequestsSeen / Math.Max(1e-9, state.TrainSeconds), stoppedEarly,
            mined.Count, validLog?.Count ?? 0, pseudoCount);
    }

    /// <summary>
    /// The requests training validates on: <paramref name="valid"/>, or without one a hold-out of
    /// <see cref="TrainOptions.ValidShare"/> of the training log by the seed; either cut to
    /// <see cref="TrainOptions.MaxValidRequests"/>. Returns the training log without the hold-out.
    /// </summary>
    public static (SearchLog Train, SearchLog? Valid) SplitValidation(SearchLog train, SearchLog? valid, TrainOptions options)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        // Hold-out split when no validation log is given.
        if (valid is null && options.ValidShare > 0 && train.Count >= 2)
        {
            var order = Enumerable.Range(0, train.Count).ToArray();
            new Rng(options.Seed, 7).Shuffle<int>(order);
            var held = Math.Clamp((int)Math.Round(train.Count * options.ValidShare), 1, train.Count - 1);
            var heldSet = order[..held];
            Array.Sort(heldSet);
            var rest = order[held..];
            Array.Sort(rest);
            valid = train.Subset(heldSet);
            train = train.Subset(rest);
        }
        if (valid is not null && valid.Count > options.MaxValidRequests)
        {
            var order = Enumerable.Range(0, valid.Count).ToArray();
            new Rng(options.Seed, 8).Shuffle<int>(order);
            var keep = order[..options.MaxValidRequests];
            Array.Sort(keep);
            valid = valid.Subset(keep);
        }

        return (train, valid);
    }

    /// <summary>Exact recall_order@100 (recall_click@100 when no request has an order) of a model on a log.</summary>
    public static double Validate(MmseModel model, Catalog catalog, CatalogTokens itemTokens, SearchLog log, int threads, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(log);
        var items = model.EncodeItems(itemTokens, catalog.Count, threads);
        var evaluator = new ExactEvaluator(model, items, catalog.Count, threads);
        var result = evaluator.Evaluate(log, null, cancellation);
        var hasOrder = false;
        foreach (var values in result.PerRequest)
            hasOrder |= !double.IsNaN(values[1]);
        return result.Metrics[hasOrder ? ValidMetric : "recall_click@100"];
    }
}
