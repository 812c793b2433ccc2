using System.Numerics.Tensors;

namespace Mmse.Numerics;

/// <summary>
/// Mean-pooled embedding bags: output row r = mean of table rows tokens[offsets[bag] .. offsets[bag + 1]]
/// for bag = bags[r] (zero when the bag is empty), written at output[r * stride + column].
/// </summary>
public static class EmbeddingBag
{
    public static void ForwardReference(ReadOnlySpan<float> table, int dim, ReadOnlySpan<int> offsets, ReadOnlySpan<int> tokens,
        ReadOnlySpan<int> bags, Span<float> output, int stride, int column)
    {
        for (var r = 0; r < bags.Length; r++)
        {
            var start = offsets[bags[r]];
            var end = offsets[bags[r] + 1];
            var dest = output.Slice(r * stride + column, dim);
            for (var e = 0; e < dim; e++)
            {
                float sum = 0;
                for (var t = start; t < end; t++)
                    sum += table[tokens[t] * dim + e];
                dest[e] = end > start ? sum / (end - start) : 0f;
            }
        }
    }

    /// <summary>Fused gather-sum with TensorPrimitives (one SIMD add per token row), parallel over bags.</summary>
    public static void Forward(float[] table, int dim, int[] offsets, int[] tokens, int[] bags, int bagCount,
        float[] output, int stride, int column, int threads)
    {
        void Range(int from, int to)
        {
            for (var r = from; r < to; r++)
            {
                var start = offsets[bags[r]];
                var end = offsets[bags[r] + 1];
                var dest = output.AsSpan(r * stride + column, dim);
                dest.Clear();
                for (var t = start; t < end; t++)
                    TensorPrimitives.Add(dest, table.AsSpan(tokens[t] * dim, dim), dest);
                if (end - start > 1)
                    TensorPrimitives.Multiply(dest, 1f / (end - start), dest);
            }
        }
        Parallel2.For(bagCount, threads, 64, Range);
    }

    public static void BackwardReference(ReadOnlySpan<float> gradOutput, int stride, int column, int dim, ReadOnlySpan<int> offsets,
        ReadOnlySpan<int> tokens, ReadOnlySpan<int> bags, SparseRows gradTable)
    {
        for (var r = 0; r < bags.Length; r++)
        {
            var start = offsets[bags[r]];
            var end = offsets[bags[r] + 1];
            if (end == start) continue;
            var scale = 1f / (end - start);
            for (var t = start; t < end; t++)
            {
                var row = gradTable.Row(tokens[t]);
                for (var e = 0; e < dim; e++)
                    row[e] += gradOutput[r * stride + column + e] * scale;
            }
        }
    }

    /// <summary>Scatter-add of bag gradients into touched table rows (serial, so the sum order is fixed).</summary>
    public static void Backward(ReadOnlySpan<float> gradOutput, int stride, int column, int dim, ReadOnlySpan<int> offsets,
        ReadOnlySpan<int> tokens, ReadOnlySpan<int> bags, SparseRows gradTable)
    {
        for (var r = 0; r < bags.Length; r++)
        {
            var start = offsets[bags[r]];
            var end = offsets[bags[r] + 1];
            if (end == start) continue;
            var g = gradOutput.Slice(r * stride + column, dim);
            var scale = 1f / (end - start);
            for (var t = start; t < end; t++)
            {
                var row = gradTable.Row(tokens[t]);
                TensorPrimitives.MultiplyAdd(g, scale, row, row);
            }
        }
    }
}

/// <summary>
/// Gradient rows of a large table, only for the rows a step touched: a slot per touched row,
/// found through a dense row->slot map that is reset row by row (never cleared whole).
/// </summary>
public sealed class SparseRows
{
    private readonly int[] _slotOf; // [rows] slot or -1
    private readonly List<int> _rows = [];
    private float[] _values; // [slots, dim]

    public SparseRows(int rows, int dim)
    {
        Dim = dim;
        _slotOf = new int[rows];
        Array.Fill(_slotOf, -1);
        _values = new float[Math.Max(1, 1024 * dim)];
    }

    public int Dim { get; }

    public int Count => _rows.Count;

    /// <summary>The table row of slot s.</summary>
    public int RowAt(int slot) => _rows[slot];

    public Span<float> Values(int slot) => _values.AsSpan(slot * Dim, Dim);

    /// <summary>The gradient row of a table row, created zeroed on first touch.</summary>
    public Span<float> Row(int row)
    {
        var slot = _slotOf[row];
        if (slot < 0)
        {
            slot = _rows.Count;
            _slotOf[row] = slot;
            _rows.Add(row);
            if ((slot + 1) * Dim > _values.Length)
                Array.Resize(ref _values, _values.Length * 2);
            _values.AsSpan(slot * Dim, Dim).Clear();
        }
        return _values.AsSpan(slot * Dim, Dim);
    }

    public void Clear()
    {
        foreach (var r in _rows)
            _slotOf[r] = -1;
        _rows.Clear();
    }
}

/// <summary>Parallel loops over [0, count) in contiguous chunks, serial when threads &lt;= 1 or the work is small.</summary>
public static class Parallel2
{
    public static void For(int count, int threads, int minChunk, Action<int, int> range)
    {
        ArgumentNullException.ThrowIfNull(range);
        var tasks = Math.Min(Math.Max(1, threads), Math.Max(1, count / Math.Max(1, minChunk)));
        if (tasks <= 1)
        {
            range(0, count);
            return;
        }
        Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = tasks }, t =>
            range((int)((long)count * t / tasks), (int)((long)count * (t + 1) / tasks)));
    }

    /// <summary>Resolves a thread setting: 0 means every core.</summary>
    public static int Resolve(int threads) => threads <= 0 ? Environment.ProcessorCount : threads;
}
