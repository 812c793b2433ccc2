using Mmse.Numerics;

namespace Mmse.Synthesis;

/// <summary>
/// xoshiro256** seeded through SplitMix64 from (seed, stream, block), so every block of
/// items or requests has its own reproducible stream whatever thread generates it. A
/// struct on purpose: it lives on the generating thread's stack and is never shared.
/// </summary>
internal struct SynthRandom
{
    private Xoshiro256 _state;

    public SynthRandom(ulong seed, ulong stream, ulong block) =>
        _state = new Xoshiro256(seed ^ (stream * 0x9E3779B97F4A7C15UL) ^ (block * 0xD1B54A32D192ED03UL));

    public ulong NextULong() => _state.Next();

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, n).</summary>
    public int Next(int n) => (int)((NextULong() >> 32) * (ulong)n >> 32);

    /// <summary>Uniform in [min, max] inclusive.</summary>
    public int Between(int min, int max) => min + Next(max - min + 1);

    public bool Chance(double p) => NextDouble() < p;

    /// <summary>Standard normal (Box–Muller, one value per call so the stream stays simple).</summary>
    public double Normal()
    {
        var u = 1.0 - NextDouble();
        var v = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
    }

    /// <summary>Logistic noise scaled to unit variance: one logarithm, close enough to normal for score noise.</summary>
    public double Logistic()
    {
        var u = (NextULong() >> 11) * (1.0 / (1UL << 53)) + (0.5 / (1UL << 53));
        return 0.5513288954217921 * Math.Log(u / (1 - u));
    }

    public T Pick<T>(IReadOnlyList<T> list) => list[Next(list.Count)];

    /// <summary>Fisher–Yates shuffle.</summary>
    public void Shuffle<T>(Span<T> span)
    {
        for (var i = span.Length - 1; i > 0; i--)
        {
            var j = Next(i + 1);
            (span[i], span[j]) = (span[j], span[i]);
        }
    }
}

/// <summary>Samples an index with probability proportional to its weight (cumulative table, binary search).</summary>
internal sealed class WeightedSampler
{
    private readonly double[] _cumulative;

    public WeightedSampler(ReadOnlySpan<double> weights)
    {
        _cumulative = new double[weights.Length];
        double sum = 0;
        for (var i = 0; i < weights.Length; i++)
        {
            sum += Math.Max(0, weights[i]);
            _cumulative[i] = sum;
        }
        Total = sum;
    }

    public double Total { get; }

    public int Count => _cumulative.Length;

    public int Sample(ref SynthRandom random)
    {
        var target = random.NextDouble() * Total;
        var i = Array.BinarySearch(_cumulative, target);
        i = i < 0 ? ~i : i + 1;
        return Math.Min(i, _cumulative.Length - 1);
    }

    /// <summary>Weights 1 / (rank + 1)^s for ranks 0..n-1.</summary>
    public static WeightedSampler Zipf(int n, double s)
    {
        var weights = new double[n];
        for (var i = 0; i < n; i++)
            weights[i] = Math.Pow(i + 1, -s);
        return new WeightedSampler(weights);
    }
}

/// <summary>
/// Samples an item with probability proportional to its weight in O(1) (Vose's alias method):
/// one uniform slot, one coin. Each slot holds its item, its alias item and the threshold in one
/// 12-byte entry, so a draw touches one cache line of a table that may hold millions of items.
/// </summary>
internal sealed class AliasSampler
{
    private readonly Slot[] _slots;

    private readonly record struct Slot(float Threshold, int Item, int Alias);

    public AliasSampler(ReadOnlySpan<int> items, ReadOnlySpan<double> weights)
    {
        var n = items.Length;
        _slots = new Slot[n];
        if (n == 0) return;
        var total = 0.0;
        foreach (var w in weights) total += Math.Max(0, w);
        var scaled = new double[n];
        for (var i = 0; i < n; i++) scaled[i] = total > 0 ? Math.Max(0, weights[i]) * n / total : 1;
        var small = new Stack<int>();
        var large = new Stack<int>();
        for (var i = n - 1; i >= 0; i--) (scaled[i] < 1 ? small : large).Push(i);
        var threshold = new double[n];
        var alias = new int[n];
        while (small.Count > 0 && large.Count > 0)
        {
            var s = small.Pop();
            var l = large.Pop();
            threshold[s] = scaled[s];
            alias[s] = l;
            scaled[l] = scaled[l] + scaled[s] - 1;
            (scaled[l] < 1 ? small : large).Push(l);
        }
        while (large.Count > 0) { var l = large.Pop(); threshold[l] = 1; alias[l] = l; }
        while (small.Count > 0) { var s = small.Pop(); threshold[s] = 1; alias[s] = s; }
        for (var i = 0; i < n; i++) _slots[i] = new Slot((float)threshold[i], items[i], items[alias[i]]);
    }

    public int Count => _slots.Length;

    /// <summary>An item (not an index); the sampler must not be empty.</summary>
    public int Sample(ref SynthRandom random)
    {
        var x = random.NextULong();
        var slot = _slots[(int)((x >> 32) * (ulong)_slots.Length >> 32)];
        // The low 24 bits give the coin, independent of the slot's high bits.
        return (x & 0xFFFFFF) * (1.0f / (1 << 24)) < slot.Threshold ? slot.Item : slot.Alias;
    }
}
