using System.Numerics.Tensors;

namespace Mmse.Numerics;

/// <summary>
/// Mean-pooled embedding bags: output row r = mean of table rows tokens[offsets[bag] .. offsets[bag + 1]]
/// for bag = bags[r] (zero when the bag is empty), written at output[r * stride + column].
/// <see cref="Forward{TPath}"/> and <see cref="Backward{TPath}"/> pick the plain reference or the
/// fast kernel by their <see cref="IKernelPath"/> type argument.
/// </summary>
public static class EmbeddingBag
{
    /// <summary>The forward of <paramref name="rows"/> bags, by <typeparamref name="TPath"/>.</summary>
    public static void Forward<TPath>(float[] table, int dim, int[] offsets, int[] tokens, int[] bags, int rows,
        float[] output, int stride, int column, int threads)
        where TPath : struct, IKernelPath
    {
        if (TPath.IsReference)
            ForwardReference(table, dim, offsets, tokens, bags.AsSpan(0, rows), output, stride, column);
        else
            Forward(table, dim, offsets, tokens, bags, rows, output, stride, column, threads);
    }

    /// <summary>The scatter-add of bag gradients into <paramref name="gradTable"/>, by <typeparamref name="TPath"/>.</summary>
    public static void Backward<TPath>(ReadOnlySpan<float> gradOutput, int stride, int column, int dim, ReadOnlySpan<int> offsets,
        ReadOnlySpan<int> tokens, ReadOnlySpan<int> bags, SparseRows gradTable)
        where TPath : struct, IKernelPath
    {
        if (TPath.IsReference)
            BackwardReference(gradOutput, stride, column, dim, offsets, tokens, bags, gradTable);
        else
            Backward(gradOutput, stride, column, dim, offsets, tokens, bags, gradTable);
    }

    /// <summary>Plain loops, one output element at a time: the reference the fast forward is tested against.</summary>
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
                MeanRow(table, dim, tokens.AsSpan(start, end - start), output.AsSpan(r * stride + column, dim));
            }
        }
        Parallel2.For(bagCount, threads, 64, Range);
    }

    /// <summary>
    /// One bag: destination [dim] = mean of the table rows of <paramref name="tokens"/> (zero when
    /// there is none). One SIMD add per token row, then one scale; the batched fast forward and the
    /// single-query tower both run this, so they agree bit for bit.
    /// </summary>
    public static void MeanRow(ReadOnlySpan<float> table, int dim, ReadOnlySpan<int> tokens, Span<float> destination)
    {
        var dest = destination[..dim];
        dest.Clear();
        foreach (var t in tokens)
            TensorPrimitives.Add(dest, table.Slice(t * dim, dim), dest);
        if (tokens.Length > 1)
            TensorPrimitives.Multiply(dest, 1f / tokens.Length, dest);
    }

    /// <summary>Plain loops: the reference the fast scatter-add is tested against.</summary>
    public static void BackwardReference(ReadOnlySpan<float> gradOutput, int stride, int column, int dim, ReadOnlySpan<int> offsets,
        ReadOnlySpan<int> tokens, ReadOnlySpan<int> bags, SparseRows gradTable)
    {
        ArgumentNullException.ThrowIfNull(gradTable);
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
        ArgumentNullException.ThrowIfNull(gradTable);
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
