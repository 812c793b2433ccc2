using System.Text.Json;
using Mmse.Data;
using Mmse.Model;
using Mmse.Numerics;
using Mmse.Text;
using Mmse.Training;

namespace Mmse.Benchmarks;

/// <summary>
/// `dotnet run -c Release --project bench/Mmse.Benchmarks -- dump-gradients OUT.json`: a tiny model,
/// one real batch (log requests and a catalog-stage pseudo-request), and Mmse's loss terms and
/// gradients, for bench/python/gradcheck_torch.py to recompute with PyTorch autograd.
/// </summary>
public static class GradientDump
{
    public static void Run(string path)
    {
        var rng = new Rng(5);
        string[] words = ["red", "blue", "kettle", "sofa", "couch", "lamp", "steel", "tea", "pro", "max"];
        var builder = new CatalogBuilder();
        for (var i = 0; i < 30; i++)
        {
            var title = string.Join(' ', Enumerable.Range(0, 3 + rng.Next(3)).Select(_ => words[rng.Next(words.Length)]));
            builder.TryAdd(new CatalogItem($"i{i}", title, i % 3 == 0 ? null : $"brand{i % 4}", $"cat{i % 5}"));
        }
        var catalog = builder.Build();
        var logBuilder = new SearchLogBuilder();
        for (var r = 0; r < 8; r++)
        {
            var shown = Enumerable.Range(0, 8).Select(_ => rng.Next(catalog.Count)).Distinct().ToArray();
            var actions = shown.Select((_, k) => k == 0 ? UserAction.Order : k == 1 ? UserAction.Cart : k == 2 ? UserAction.Click : UserAction.None).ToArray();
            logBuilder.Add($"{words[rng.Next(words.Length)]} {words[rng.Next(words.Length)]}", null, SearchLog.NoTime, shown, actions);
        }
        var log = logBuilder.Build();
        var model = new ModelOptions { Buckets = 97, EmbeddingDim = 4, Hidden = 6, Heads = 2, Dim = 3, Beta = 0.5f };
        var train = new TrainOptions { RandomNegatives = 5, MaxUnclicked = 3, MaxRandomInList = 3, Temperature = 0.5f };
        var (mo, to, kind) = train.Resolve(model);
        var parameters = new ModelParameters(mo);
        parameters.Initialize(mo with { EmbeddingInitStd = 0.5f });
        var tokenizer = new HashedTokenizer(mo.Tokenizer);
        var tokens = CatalogTokens.Build(catalog, tokenizer, mo.ItemFields, 1);
        var mined = MultiStageMiner.Mine(log);
        var qOffsets = new int[mined.Count + 1];
        var qTokens = new List<int>();
        for (var r = 0; r < mined.Count; r++)
        {
            tokenizer.AddBuckets(mined.Queries[r], "query", qTokens);
            qOffsets[r + 1] = qTokens.Count;
        }
        var sampler = new BatchSampler(catalog, mined, qOffsets, [.. qTokens], new float[catalog.Count], to, tokenizer);
        var batch = new TrainingBatch();
        sampler.Fill(batch, [0, 1, 2, 3, 4, -1 - 7], new Rng(17), [], []);
        var engine = new TrainingEngine<ReferencePath>(parameters, mo, tokens, to, kind, threads: 1);
        var grads = new ModelGradients(parameters, mo);
        var terms = engine.ForwardBackward(batch, grads);
        var embGrad = new float[parameters.Embedding.Length];
        for (var s = 0; s < grads.Embedding.Count; s++)
            grads.Embedding.Values(s).CopyTo(embGrad.AsSpan(grads.Embedding.RowAt(s) * mo.EmbeddingDim));

        int[] Slice(Mmse.Training.Buffer<int> b) => b.Span.ToArray();
        var items = batch.Items.Span.ToArray();
        var doc = new Dictionary<string, object>
        {
            ["E"] = mo.EmbeddingDim,
            ["K"] = mo.Heads,
            ["d"] = mo.Dim,
            ["beta"] = mo.Beta,
            ["tau"] = to.Temperature,
            ["m0"] = to.RankingMargin,
            ["query_offsets"] = Slice(batch.QueryOffsets),
            ["query_tokens"] = batch.QueryTokens.Span.ToArray(),
            ["item_fields"] = Enumerable.Range(0, tokens.Fields).Select(f => items.Select(i => tokens.Tokens[f][tokens.Offsets[f][i]..tokens.Offsets[f][i + 1]]).ToArray()).ToArray(),
            ["candidate"] = batch.IsCandidate.Span.ToArray(),
            ["pos_offsets"] = Slice(batch.PositiveOffsets),
            ["pos_slots"] = Slice(batch.PositiveSlots),
            ["pos_weights"] = batch.PositiveWeights.Span.ToArray(),
            ["list_offsets"] = Slice(batch.ListOffsets),
            ["list_slots"] = Slice(batch.ListSlots),
            ["list_levels"] = batch.ListLevels.Span.ToArray(),
            ["weights"] = new Dictionary<string, float[]>
            {
                ["embedding"] = parameters.Embedding,
                ["query.w1"] = parameters.QueryW1,
                ["query.b1"] = parameters.QueryB1,
                ["query.w2"] = parameters.QueryW2,
                ["query.b2"] = parameters.QueryB2,
                ["item.w1"] = parameters.ItemW1,
                ["item.b1"] = parameters.ItemB1,
                ["item.w2"] = parameters.ItemW2,
                ["item.b2"] = parameters.ItemB2,
            },
            ["loss"] = new[] { terms.Retrieval, terms.Ranking, terms.Total },
            ["grads"] = new Dictionary<string, float[]>
            {
                ["embedding"] = embGrad,
                ["query.w1"] = grads.Dense[0],
                ["query.b1"] = grads.Dense[1],
                ["query.w2"] = grads.Dense[2],
                ["query.b2"] = grads.Dense[3],
                ["item.w1"] = grads.Dense[4],
                ["item.b1"] = grads.Dense[5],
                ["item.w2"] = grads.Dense[6],
                ["item.b2"] = grads.Dense[7],
            },
        };
        File.WriteAllText(path, JsonSerializer.Serialize(doc));
        Console.WriteLine($"wrote {path}: loss {terms.Total:G6}, {batch.Count} requests, {batch.Slots} slots");
    }
}
