using Mmse.Numerics;

namespace Mmse.Model;

/// <summary>
/// The mean-of-embeddings layer (a bag of hashed tokens -> one E vector), forward and backward side
/// by side; the kernels are <see cref="EmbeddingBag"/>'s, reference or fast by <c>TPath</c>.
/// Rows are written at output[r * stride + column], so several fields fill one concatenated row.
/// </summary>
public static class MeanBag
{
    /// <summary>Output row r = mean of the table rows of bag bags[r] of the token CSR (offsets, tokens).</summary>
    public static void Forward<TPath>(float[] table, int dim, int[] offsets, int[] tokens, int[] bags, int rows,
        float[] output, int stride, int column, int threads)
        where TPath : struct, IKernelPath =>
        EmbeddingBag.Forward<TPath>(table, dim, offsets, tokens, bags, rows, output, stride, column, threads);

    /// <summary>One bag given by its tokens (the single-query tower): the same sums as a row of the fast forward.</summary>
    public static void Forward(ReadOnlySpan<float> table, int dim, ReadOnlySpan<int> tokens, Span<float> output) =>
        EmbeddingBag.MeanRow(table, dim, tokens, output);

    /// <summary>Adds gradOutput / |bag| to the gradient row of every token of each bag (touched rows only).</summary>
    public static void Backward<TPath>(ReadOnlySpan<float> gradOutput, int stride, int column, int dim, ReadOnlySpan<int> offsets,
        ReadOnlySpan<int> tokens, ReadOnlySpan<int> bags, SparseRows gradTable)
        where TPath : struct, IKernelPath =>
        EmbeddingBag.Backward<TPath>(gradOutput, stride, column, dim, offsets, tokens, bags, gradTable);
}
