using System.Runtime.Intrinsics;

namespace Mmse.Numerics;

/// <summary>
/// One row of a dense layer, y[out] = b + x[in] w[in, out] (w row-major), optionally ReLU: the
/// vector-matrix product the single-query tower runs. Every y[j] is one multiply-add chain over the
/// inputs in order, as in a row of <see cref="Gemm"/>, so the batched and the single-row towers agree.
/// </summary>
public static class DenseRow
{
    /// <summary>The row product by <typeparamref name="TPath"/>.</summary>
    public static void Forward<TPath>(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y, bool relu)
        where TPath : struct, IKernelPath
    {
        if (TPath.IsReference)
            Reference(x, w, b, y, relu);
        else
            Forward(x, w, b, y, relu);
    }

    /// <summary>Plain loops (separate multiply and add): the reference the fast row is tested against.</summary>
    public static void Reference(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y, bool relu)
    {
        int inDim = x.Length, outDim = y.Length;
        Check(inDim, outDim, w.Length, b.Length);
        for (var j = 0; j < outDim; j++)
        {
            var sum = b[j];
            for (var i = 0; i < inDim; i++)
                sum += x[i] * w[i * outDim + j];
            y[j] = relu ? MathF.Max(sum, 0f) : sum;
        }
    }

    /// <summary>Eight outputs per Vector256 accumulator, the input broadcast once per row of w; scalar FMA tail.</summary>
    public static unsafe void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y, bool relu)
    {
        int inDim = x.Length, outDim = y.Length;
        Check(inDim, outDim, w.Length, b.Length);
        b[..outDim].CopyTo(y);
        fixed (float* px = x, pw = w, py = y)
        {
            var j = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; j + 8 <= outDim; j += 8)
                {
                    var acc = Vector256.Load(py + j);
                    var wp = pw + j;
                    for (var i = 0; i < inDim; i++, wp += outDim)
                        acc = Gemm.Fmadd(Vector256.Create(px[i]), Vector256.Load(wp), acc);
                    acc.Store(py + j);
                }
            }
            for (; j < outDim; j++)
            {
                var s = py[j];
                var wp = pw + j;
                for (var i = 0; i < inDim; i++, wp += outDim)
                    s = MathF.FusedMultiplyAdd(px[i], *wp, s);
                py[j] = s;
            }
        }
        if (relu)
        {
            for (var j = 0; j < y.Length; j++)
                y[j] = MathF.Max(y[j], 0f);
        }
    }

    private static void Check(int inDim, int outDim, int wLength, int bLength)
    {
        if ((long)inDim * outDim > wLength || bLength < outDim)
            throw new ArgumentException($"'w':{wLength} and 'b':{bLength} do not fit [{inDim}, {outDim}]");
    }
}
