using Mmse.Numerics;

namespace Mmse.Model;

/// <summary>
/// A dense layer y = x w + b with an optional ReLU on its output, forward and backward side by side
/// (x [rows, in], w [in, out] row-major, b [out], y [rows, out]). The kernels come from
/// <see cref="Gemm"/> and <see cref="DenseRow"/>, reference or fast by <c>TPath</c>.
/// </summary>
public static class DenseLayer
{
    /// <summary>y[rows, out] = x[rows, in] w[in, out] + b, then ReLU when <paramref name="relu"/>.</summary>
    public static void Forward<TPath>(int rows, int inDim, int outDim, float[] x, float[] w, float[] b, float[] y, bool relu, int threads)
        where TPath : struct, IKernelPath
    {
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(y);
        for (var r = 0; r < rows; r++)
            b.AsSpan(0, outDim).CopyTo(y.AsSpan(r * outDim, outDim));
        Gemm.Multiply<TPath>(rows, outDim, inDim, x, inDim, 1, w, outDim, y, outDim, accumulate: true, threads);
        if (relu)
        {
            var span = y.AsSpan(0, rows * outDim);
            for (var i = 0; i < span.Length; i++)
                span[i] = MathF.Max(span[i], 0f);
        }
    }

    /// <summary>One row, y[out] = x[in] w + b (the single-query tower): the same sums as a row of the batched forward.</summary>
    public static void Forward<TPath>(ReadOnlySpan<float> x, float[] w, float[] b, Span<float> y, bool relu)
        where TPath : struct, IKernelPath =>
        DenseRow.Forward<TPath>(x, w, b, y, relu);

    /// <summary>
    /// Backward given gradY [rows, out]: gradW = x^T gradY, gradB = column sums of gradY, gradX = gradY w^T,
    /// zeroed where x &lt;= 0 when <paramref name="reluOnInput"/> (x was the ReLU output of the layer before).
    /// <paramref name="transposed"/> is scratch for w^T [out, in]; it grows as needed.
    /// </summary>
    public static void Backward<TPath>(int rows, int inDim, int outDim, float[] x, float[] w, float[] gradY,
        float[] gradW, float[] gradB, float[] gradX, bool reluOnInput, ref float[] transposed, int threads)
        where TPath : struct, IKernelPath
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(gradY);
        ArgumentNullException.ThrowIfNull(gradB);
        ArgumentNullException.ThrowIfNull(gradX);
        Gemm.Multiply<TPath>(inDim, outDim, rows, x, 1, inDim, gradY, outDim, gradW, outDim, accumulate: false, threads);
        Array.Clear(gradB);
        for (var r = 0; r < rows; r++)
        {
            for (var o = 0; o < outDim; o++)
                gradB[o] += gradY[r * outDim + o];
        }
        TowerActivations.Ensure(ref transposed, (long)inDim * outDim);
        Gemm.Transpose(inDim, outDim, w, transposed);
        Gemm.Multiply<TPath>(rows, inDim, outDim, gradY, outDim, 1, transposed, inDim, gradX, inDim, accumulate: false, threads);
        if (reluOnInput)
        {
            for (var i = 0; i < rows * inDim; i++)
            {
                if (x[i] <= 0) gradX[i] = 0;
            }
        }
    }
}
