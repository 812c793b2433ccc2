using Mmse.Data;
using Mmse.Numerics;
using Mmse.Text;

namespace Mmse.Training;

/// <summary>
/// Builds minibatches: the levels of each request, sampled unclicked items, the shared random items,
/// pseudo-requests. With a backbone, each request also carries its query's backbone vector
/// (<paramref name="queryBackbone"/> [mined requests, D]); a pseudo-request carries its item's
/// (<paramref name="itemBackbone"/> [items, D]).
/// </summary>
internal sealed class BatchSampler(Catalog catalog, MinedRequests mined, int[] queryOffsets, int[] queryTokens, float[] popularity,
    TrainOptions options, HashedTokenizer tokenizer, float[]? queryBackbone = null, float[]? itemBackbone = null, int backboneDim = 0)
{
    private readonly List<int> _randomItems = [];
    private readonly List<int> _positiveSlots = [];

    /// <summary>Fills <paramref name="batch"/> with the requests <paramref name="ids"/> (a log request r &gt;= 0, or -1 - item for a pseudo-request).</summary>
    public void Fill(TrainingBatch batch, ReadOnlySpan<int> ids, Rng rng, List<int> scratch, List<int> spanTokens)
    {
        batch.Clear(catalog.Count);
        var useUnclicked = !options.NoUnclicked || options.UnclickedInSoftmax;
        var randomShare = (float)options.RandomNegatives / catalog.Count;

        // Shared random items first.
        _randomItems.Clear();
        for (var i = 0; i < options.RandomNegatives; i++)
        {
            var item = rng.Next(catalog.Count);
            var slot = batch.Slot(item);
            batch.MarkCandidate(slot, LogQ(item, ids.Length, randomShare));
            _randomItems.Add(item);
            batch.RandomSlots.Add(slot);
        }

        for (var b = 0; b < ids.Length; b++)
        {
            var id = ids[b];
            _positiveSlots.Clear();
            ReadOnlySpan<int> displayed;
            int pseudoItem = -1;
            if (queryBackbone is not null && itemBackbone is not null)
            {
                var source = id >= 0 ? queryBackbone.AsSpan(id * backboneDim, backboneDim) : itemBackbone.AsSpan((-1 - id) * backboneDim, backboneDim);
                batch.QueryBackbone.AddRange(source);
            }
            if (id >= 0)
            {
                for (var t = queryOffsets[id]; t < queryOffsets[id + 1]; t++)
                    batch.QueryTokens.Add(queryTokens[t]);
                var items = mined.ItemsOf(id);
                var levels = mined.LevelsOf(id);
                var positives = mined.PositiveCounts[id];
                displayed = items;
                for (var i = 0; i < Math.Min(positives, options.MaxPositives); i++)
                    AddPositive(batch, items[i], options.MergeOrderClick ? Levels.Order : levels[i], ids.Length, randomShare);
                if (useUnclicked && items.Length > positives)
                {
                    scratch.Clear();
                    for (var i = positives; i < items.Length; i++)
                        scratch.Add(items[i]);
                    var take = Math.Min(options.MaxUnclicked, scratch.Count);
                    for (var i = 0; i < take; i++)
                    {
                        var j = i + rng.Next(scratch.Count - i);
                        (scratch[i], scratch[j]) = (scratch[j], scratch[i]);
                        var slot = batch.Slot(scratch[i]);
                        if (!options.NoUnclicked)
                        {
                            batch.ListSlots.Add(slot);
                            batch.ListLevels.Add(Levels.None);
                        }
                        if (options.UnclickedInSoftmax)
                            batch.ExtraSlots.Add(slot);
                        else if (options.WeightUnclicked > 0 && !options.NoUnclicked)
                        {
                            // A weak positive of the retrieval loss; its ranking-list place (None) is above.
                            AddSoftmaxPositive(batch, scratch[i], options.WeightUnclicked, ids.Length, randomShare);
                            batch.WeakPositives++;
                        }
                    }
                }
            }
            else
            {
                pseudoItem = -1 - id;
                spanTokens.Clear();
                tokenizer.AddBuckets(PseudoQuery(pseudoItem, rng), "query", spanTokens);
                foreach (var t in spanTokens)
                    batch.QueryTokens.Add(t);
                displayed = [];
                AddPositive(batch, pseudoItem, options.MergeOrderClick ? Levels.Order : Levels.Click, ids.Length, randomShare);
            }

            // Random items in the ranking list: a different window of R per request, skipping displayed ones.
            if (_randomItems.Count > 0 && options.MaxRandomInList > 0)
            {
                var added = 0;
                var startAt = b * options.MaxRandomInList % _randomItems.Count;
                for (var i = 0; i < _randomItems.Count && added < options.MaxRandomInList; i++)
                {
                    var item = _randomItems[(startAt + i) % _randomItems.Count];
                    if (item == pseudoItem || displayed.Contains(item))
                        continue;
                    batch.ListSlots.Add(batch.Slot(item));
                    batch.ListLevels.Add(Levels.Random);
                    added++;
                }
            }
            batch.EndRequest();
        }
    }

    private void AddPositive(TrainingBatch batch, int item, float level, int batchSize, float randomShare)
    {
        var slot = AddSoftmaxPositive(batch, item,
            level >= Levels.Order ? options.WeightOrder : level >= Levels.Cart ? options.WeightCart : options.WeightClick, batchSize, randomShare);
        // Positives lead the ranking list (the list is the request's O, C, U, R).
        batch.ListSlots.Add(slot);
        batch.ListLevels.Add(level);
    }

    /// <summary>Makes <paramref name="item"/> a softmax candidate and a positive of the current request with <paramref name="weight"/>; returns its slot.</summary>
    private int AddSoftmaxPositive(TrainingBatch batch, int item, float weight, int batchSize, float randomShare)
    {
        var slot = batch.Slot(item);
        batch.MarkCandidate(slot, LogQ(item, batchSize, randomShare));
        batch.PositiveSlots.Add(slot);
        batch.PositiveWeights.Add(weight);
        return slot;
    }

    /// <summary>log of the expected share of the candidate set an item takes: in-batch popularity plus the uniform random share.</summary>
    private float LogQ(int item, int batchSize, float randomShare) =>
        MathF.Log(MathF.Max(1e-12f, MathF.Min(1f, batchSize * popularity[item]) + randomShare));

    /// <summary>Catalog stage query: a 1–4 word span of the title, or (one time in four, when there is a brand) the brand and 1–2 title words.</summary>
    private string PseudoQuery(int item, Rng rng)
    {
        var words = catalog.Titles[item].Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 0)
            return catalog.Brands[item] ?? "";
        var brand = catalog.Brands[item];
        if (!string.IsNullOrWhiteSpace(brand) && rng.Next(4) == 0)
        {
            var n = 1 + rng.Next(Math.Min(2, words.Length));
            var s = rng.Next(words.Length - n + 1);
            return brand + " " + string.Join(' ', words, s, n);
        }
        var length = 1 + rng.Next(Math.Min(4, words.Length));
        var startWord = rng.Next(words.Length - length + 1);
        return string.Join(' ', words, startWord, length);
    }
}
