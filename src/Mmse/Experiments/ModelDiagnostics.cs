using System.Numerics.Tensors;
using Mmse.Data;
using Mmse.Model;
using Mmse.Numerics;

namespace Mmse.Experiments;

/// <summary>
/// Mechanism measures of a trained model on the test queries (docs/experiments.md, "Diagnostics"):
/// what the K heads do and how the fused score treats relevant and random items. Every value is a
/// macro average over the test requests; NaN where it does not apply (head measures when K = 1,
/// order measures when no test request has an order).
/// </summary>
/// <param name="HeadCosine">Mean cosine between two heads of one query (over all head pairs). 1 means the heads are one vector.</param>
/// <param name="SplitTop10Share">Share of queries whose top 10 items are won (highest head cosine) by more than one head: the heads cover different items.</param>
/// <param name="MinorHeadTop10Share">Mean share of a query's top 10 items won by a head other than the one winning most of them.</param>
/// <param name="RandomScore">Mean fused score s(q, i) of random catalog items.</param>
/// <param name="RandomLift">Mean s(q, i) minus the mean over heads of z_k, for random items: how much the max-like fusion raises a negative above the average head.</param>
/// <param name="OrderScore">Mean fused score of the test request's ordered items.</param>
/// <param name="OrderLift">As <paramref name="RandomLift"/>, for ordered items.</param>
/// <param name="Top100Score">Mean score of the item at rank 100: the bar an item must clear to count for recall@100.</param>
/// <param name="OrderMargin">Mean of (order score − rank-100 score): above zero the ordered item is in the top 100.</param>
public sealed record ModelDiagnostics(
    double HeadCosine,
    double SplitTop10Share,
    double MinorHeadTop10Share,
    double RandomScore,
    double RandomLift,
    double OrderScore,
    double OrderLift,
    double Top100Score,
    double OrderMargin)
{
    /// <summary>Random items scored per query.</summary>
    public const int RandomPerQuery = 200;

    /// <summary>Names as written in results.json and the report, in the order of the record's values.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["head_cos", "split_top10_share", "minor_head_top10_share", "random_score", "random_lift", "order_score", "order_lift", "top100_score", "order_margin"];

    public IReadOnlyList<double> Values =>
        [HeadCosine, SplitTop10Share, MinorHeadTop10Share, RandomScore, RandomLift, OrderScore, OrderLift, Top100Score, OrderMargin];

    /// <summary>Computes the diagnostics (serial, deterministic for a seed).</summary>
    /// <param name="model">The trained model.</param>
    /// <param name="items">Unit item vectors [catalog, Dim] of <paramref name="model"/>.</param>
    /// <param name="queryHeads">Query heads [test requests, Heads*Dim] of the test queries.</param>
    /// <param name="test">The test requests (their ordered items).</param>
    /// <param name="ranked">Each test request's ranked catalog indices, best first.</param>
    /// <param name="seed">Seed of the random items.</param>
    public static ModelDiagnostics Compute(MmseModel model, float[] items, float[] queryHeads, SearchLog test, int[][] ranked, ulong seed = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(queryHeads);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(ranked);
        var d = model.Dim;
        var k = model.Heads;
        var kd = k * d;
        var count = items.Length / d;
        if (count == 0 || test.Count == 0)
            return new ModelDiagnostics(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        var rng = new Rng(seed, 31);
        var z = new double[k];
        var wins = new int[k];
        double headCos = 0, split = 0, minor = 0, randomScore = 0, randomLift = 0, orderScore = 0, orderLift = 0, top100 = 0, margin = 0;
        int headQueries = 0, top100Queries = 0, orderQueries = 0;

        for (var r = 0; r < test.Count; r++)
        {
            var q = queryHeads.AsSpan(r * kd, kd);
            if (k >= 2)
            {
                double c = 0;
                var pairs = 0;
                for (var a = 0; a < k; a++)
                {
                    for (var b = a + 1; b < k; b++)
                    {
                        c += TensorPrimitives.Dot(q.Slice(a * d, d), q.Slice(b * d, d));
                        pairs++;
                    }
                }
                headCos += c / pairs;
                Array.Clear(wins);
                var top = Math.Min(10, ranked[r].Length);
                for (var i = 0; i < top; i++)
                    wins[Winner(q, Item(ranked[r][i]))]++;
                if (top > 0)
                {
                    var most = wins.Max();
                    if (most < top) split++;
                    minor += (top - most) / (double)top;
                }
                headQueries++;
            }

            double rs = 0, rl = 0;
            for (var i = 0; i < RandomPerQuery; i++)
            {
                var (s, lift) = ScoreAndLift(q, Item(rng.Next(count)));
                rs += s;
                rl += lift;
            }
            randomScore += rs / RandomPerQuery;
            randomLift += rl / RandomPerQuery;

            var bar = double.NaN;
            if (ranked[r].Length >= 100)
            {
                bar = model.Score(q, Item(ranked[r][99]));
                top100 += bar;
                top100Queries++;
            }

            var displayed = test.ItemsOf(r);
            var actions = test.ActionsOf(r);
            double os = 0, ol = 0, om = 0;
            var orders = 0;
            for (var i = 0; i < displayed.Length; i++)
            {
                if (actions[i] != UserAction.Order) continue;
                var (s, lift) = ScoreAndLift(q, Item(displayed[i]));
                os += s;
                ol += lift;
                om += s - bar;
                orders++;
            }
            if (orders > 0)
            {
                orderScore += os / orders;
                orderLift += ol / orders;
                margin += om / orders;
                orderQueries++;
            }
        }

        return new ModelDiagnostics(
            headQueries > 0 ? headCos / headQueries : double.NaN,
            headQueries > 0 ? split / headQueries : double.NaN,
            headQueries > 0 ? minor / headQueries : double.NaN,
            randomScore / test.Count,
            randomLift / test.Count,
            orderQueries > 0 ? orderScore / orderQueries : double.NaN,
            orderQueries > 0 ? orderLift / orderQueries : double.NaN,
            top100Queries > 0 ? top100 / top100Queries : double.NaN,
            orderQueries > 0 && top100Queries > 0 ? margin / orderQueries : double.NaN);

        ReadOnlySpan<float> Item(int i) => items.AsSpan(i * d, d);

        int Winner(ReadOnlySpan<float> heads, ReadOnlySpan<float> item)
        {
            var best = 0;
            var bestZ = float.NegativeInfinity;
            for (var h = 0; h < k; h++)
            {
                var v = TensorPrimitives.Dot(heads.Slice(h * d, d), item);
                if (v > bestZ)
                {
                    bestZ = v;
                    best = h;
                }
            }
            return best;
        }

        (double Score, double Lift) ScoreAndLift(ReadOnlySpan<float> heads, ReadOnlySpan<float> item)
        {
            double mean = 0;
            for (var h = 0; h < k; h++)
            {
                z[h] = TensorPrimitives.Dot(heads.Slice(h * d, d), item);
                mean += z[h];
            }
            var s = model.Score(heads, item);
            return (s, s - mean / k);
        }
    }
}
