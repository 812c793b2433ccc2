using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Mmse.Numerics;

/// <summary>
/// C[m, n] (+)= A[m, k] B[k, n] with a strided A (element (i, p) at a[i * aRow + p * aCol], so
/// A or its transpose is read in place), row-major B (row p at b[p * ldb]) and row-major C (row i
/// at c[i * ldc]). One kernel serves every product of the towers, the scores and their gradients.
/// Each C element is summed by one thread in the same order whatever the thread count, so
/// results are bit-for-bit identical for any <c>threads</c>.
/// </summary>
public static class Gemm
{
    /// <summary>C (+)= A B by <typeparamref name="TPath"/>: <see cref="Reference"/> or <see cref="Multiply"/> on <paramref name="threads"/>.</summary>
    public static void Multiply<TPath>(int m, int n, int k, ReadOnlySpan<float> a, int aRow, int aCol,
        ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool accumulate, int threads)
        where TPath : struct, IKernelPath
    {
        if (TPath.IsReference)
            Reference(m, n, k, a, aRow, aCol, b, ldb, c, ldc, accumulate);
        else
            Multiply(m, n, k, a, aRow, aCol, b, ldb, c, ldc, accumulate, threads);
    }

    /// <summary>Plain triple loop: the reference the fast kernel is tested against.</summary>
    public static void Reference(int m, int n, int k, ReadOnlySpan<float> a, int aRow, int aCol,
        ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool accumulate)
    {
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var sum = accumulate ? c[i * ldc + j] : 0f;
                for (var p = 0; p < k; p++)
                    sum += a[i * aRow + p * aCol] * b[p * ldb + j];
                c[i * ldc + j] = sum;
            }
        }
    }

    /// <summary>Register-blocked AVX2/FMA kernel (4 rows x 16 columns of C in 8 accumulators), parallel over row blocks.</summary>
    public static unsafe void Multiply(int m, int n, int k, ReadOnlySpan<float> a, int aRow, int aCol,
        ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool accumulate, int threads = 1)
    {
        if (m <= 0 || n <= 0)
            return;
        if (m > 0 && n > 0 && k > 0)
        {
            // Bounds the kernel relies on, checked once instead of per element.
            var aLast = (long)(m - 1) * aRow + (long)(k - 1) * aCol;
            if (aLast >= a.Length || (long)(k - 1) * ldb + n > b.Length)
                throw new ArgumentException("Gemm: a or b is too short for the given shape");
        }
        if ((long)(m - 1) * ldc + n > c.Length)
            throw new ArgumentException("Gemm: c is too short for the given shape");
        if (k <= 0)
        {
            if (!accumulate)
            {
                for (var i = 0; i < m; i++)
                    c.Slice(i * ldc, n).Clear();
            }
            return;
        }
        fixed (float* pa = a, pb = b, pc = c)
        {
            var blocks = (m + 3) / 4;
            var work = (long)m * n * k;
            var tasks = Math.Min(Math.Max(1, threads), blocks);
            if (tasks <= 1 || work < 1 << 16)
            {
                Kernel(0, m, n, k, pa, aRow, aCol, pb, ldb, pc, ldc, accumulate);
                return;
            }
            nint ia = (nint)pa, ib = (nint)pb, ic = (nint)pc;
            Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = tasks }, t =>
            {
                var start = (int)((long)blocks * t / tasks) * 4;
                var end = Math.Min(m, (int)((long)blocks * (t + 1) / tasks) * 4);
                Kernel(start, end, n, k, (float*)ia, aRow, aCol, (float*)ib, ldb, (float*)ic, ldc, accumulate);
            });
        }
    }

    /// <summary>acc + x y, fused when the CPU has FMA (every fast kernel's one multiply-add, so they round alike).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Fmadd(Vector256<float> x, Vector256<float> y, Vector256<float> acc) =>
        Fma.IsSupported ? Fma.MultiplyAdd(x, y, acc) : (x * y) + acc;

    private static unsafe void Kernel(int rowStart, int rowEnd, int n, int k, float* a, int aRow, int aCol,
        float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        var i = rowStart;
        if (Vector256.IsHardwareAccelerated)
        {
            // 6 x 16 tiles first: 12 accumulators + 2 B vectors + 1 broadcast fill the 16 AVX2 registers,
            // 12 FMAs per 8 loads. Every element is still one FMA chain over p in order, as in the
            // narrower tiles, so which tile computes a row does not change a bit of the result.
            for (; i + 6 <= rowEnd; i += 6)
                Tile6x16(i, n, k, a, aRow, aCol, b, ldb, c, ldc, accumulate);
            for (; i + 4 <= rowEnd; i += 4)
            {
                float* a0 = a + (i * aRow), a1 = a0 + aRow, a2 = a1 + aRow, a3 = a2 + aRow;
                float* c0 = c + (i * ldc), c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
                var j = 0;
                for (; j + 16 <= n; j += 16)
                {
                    Vector256<float> x00, x01, x10, x11, x20, x21, x30, x31;
                    if (accumulate)
                    {
                        x00 = Vector256.Load(c0 + j); x01 = Vector256.Load(c0 + j + 8);
                        x10 = Vector256.Load(c1 + j); x11 = Vector256.Load(c1 + j + 8);
                        x20 = Vector256.Load(c2 + j); x21 = Vector256.Load(c2 + j + 8);
                        x30 = Vector256.Load(c3 + j); x31 = Vector256.Load(c3 + j + 8);
                    }
                    else
                    {
                        x00 = x01 = x10 = x11 = x20 = x21 = x30 = x31 = Vector256<float>.Zero;
                    }
                    var bp = b + j;
                    for (var p = 0; p < k; p++, bp += ldb)
                    {
                        var b0 = Vector256.Load(bp);
                        var b1 = Vector256.Load(bp + 8);
                        var o = p * aCol;
                        var v = Vector256.Create(a0[o]);
                        x00 = Fmadd(v, b0, x00); x01 = Fmadd(v, b1, x01);
                        v = Vector256.Create(a1[o]);
                        x10 = Fmadd(v, b0, x10); x11 = Fmadd(v, b1, x11);
                        v = Vector256.Create(a2[o]);
                        x20 = Fmadd(v, b0, x20); x21 = Fmadd(v, b1, x21);
                        v = Vector256.Create(a3[o]);
                        x30 = Fmadd(v, b0, x30); x31 = Fmadd(v, b1, x31);
                    }
                    x00.Store(c0 + j); x01.Store(c0 + j + 8);
                    x10.Store(c1 + j); x11.Store(c1 + j + 8);
                    x20.Store(c2 + j); x21.Store(c2 + j + 8);
                    x30.Store(c3 + j); x31.Store(c3 + j + 8);
                }
                for (; j + 8 <= n; j += 8)
                {
                    Vector256<float> x0, x1, x2, x3;
                    if (accumulate)
                    {
                        x0 = Vector256.Load(c0 + j); x1 = Vector256.Load(c1 + j);
                        x2 = Vector256.Load(c2 + j); x3 = Vector256.Load(c3 + j);
                    }
                    else
                    {
                        x0 = x1 = x2 = x3 = Vector256<float>.Zero;
                    }
                    var bp = b + j;
                    for (var p = 0; p < k; p++, bp += ldb)
                    {
                        var b0 = Vector256.Load(bp);
                        var o = p * aCol;
                        x0 = Fmadd(Vector256.Create(a0[o]), b0, x0);
                        x1 = Fmadd(Vector256.Create(a1[o]), b0, x1);
                        x2 = Fmadd(Vector256.Create(a2[o]), b0, x2);
                        x3 = Fmadd(Vector256.Create(a3[o]), b0, x3);
                    }
                    x0.Store(c0 + j); x1.Store(c1 + j); x2.Store(c2 + j); x3.Store(c3 + j);
                }
                for (; j < n; j++)
                {
                    float s0 = accumulate ? c0[j] : 0, s1 = accumulate ? c1[j] : 0, s2 = accumulate ? c2[j] : 0, s3 = accumulate ? c3[j] : 0;
                    var bp = b + j;
                    for (var p = 0; p < k; p++, bp += ldb)
                    {
                        var o = p * aCol;
                        var bv = *bp;
                        s0 = MathF.FusedMultiplyAdd(a0[o], bv, s0);
                        s1 = MathF.FusedMultiplyAdd(a1[o], bv, s1);
                        s2 = MathF.FusedMultiplyAdd(a2[o], bv, s2);
                        s3 = MathF.FusedMultiplyAdd(a3[o], bv, s3);
                    }
                    c0[j] = s0; c1[j] = s1; c2[j] = s2; c3[j] = s3;
                }
            }
        }
        for (; i < rowEnd; i++)
        {
            var ai = a + (i * aRow);
            var ci = c + (i * ldc);
            var j = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; j + 8 <= n; j += 8)
                {
                    var x = accumulate ? Vector256.Load(ci + j) : Vector256<float>.Zero;
                    var bp = b + j;
                    for (var p = 0; p < k; p++, bp += ldb)
                        x = Fmadd(Vector256.Create(ai[p * aCol]), Vector256.Load(bp), x);
                    x.Store(ci + j);
                }
            }
            for (; j < n; j++)
            {
                var s = accumulate ? ci[j] : 0f;
                var bp = b + j;
                for (var p = 0; p < k; p++, bp += ldb)
                    s = MathF.FusedMultiplyAdd(ai[p * aCol], *bp, s);
                ci[j] = s;
            }
        }
    }

    private static unsafe void Tile6x16(int i, int n, int k, float* a, int aRow, int aCol, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        float* a0 = a + (i * aRow), a1 = a0 + aRow, a2 = a1 + aRow, a3 = a2 + aRow, a4 = a3 + aRow, a5 = a4 + aRow;
        float* c0 = c + (i * ldc), c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc;
        var j = 0;
        for (; j + 16 <= n; j += 16)
        {
            Vector256<float> x00, x01, x10, x11, x20, x21, x30, x31, x40, x41, x50, x51;
            if (accumulate)
            {
                x00 = Vector256.Load(c0 + j); x01 = Vector256.Load(c0 + j + 8);
                x10 = Vector256.Load(c1 + j); x11 = Vector256.Load(c1 + j + 8);
                x20 = Vector256.Load(c2 + j); x21 = Vector256.Load(c2 + j + 8);
                x30 = Vector256.Load(c3 + j); x31 = Vector256.Load(c3 + j + 8);
                x40 = Vector256.Load(c4 + j); x41 = Vector256.Load(c4 + j + 8);
                x50 = Vector256.Load(c5 + j); x51 = Vector256.Load(c5 + j + 8);
            }
            else
            {
                x00 = x01 = x10 = x11 = x20 = x21 = x30 = x31 = x40 = x41 = x50 = x51 = Vector256<float>.Zero;
            }
            var bp = b + j;
            for (var p = 0; p < k; p++, bp += ldb)
            {
                var b0 = Vector256.Load(bp);
                var b1 = Vector256.Load(bp + 8);
                var o = p * aCol;
                var v = Vector256.Create(a0[o]);
                x00 = Fmadd(v, b0, x00); x01 = Fmadd(v, b1, x01);
                v = Vector256.Create(a1[o]);
                x10 = Fmadd(v, b0, x10); x11 = Fmadd(v, b1, x11);
                v = Vector256.Create(a2[o]);
                x20 = Fmadd(v, b0, x20); x21 = Fmadd(v, b1, x21);
                v = Vector256.Create(a3[o]);
                x30 = Fmadd(v, b0, x30); x31 = Fmadd(v, b1, x31);
                v = Vector256.Create(a4[o]);
                x40 = Fmadd(v, b0, x40); x41 = Fmadd(v, b1, x41);
                v = Vector256.Create(a5[o]);
                x50 = Fmadd(v, b0, x50); x51 = Fmadd(v, b1, x51);
            }
            x00.Store(c0 + j); x01.Store(c0 + j + 8);
            x10.Store(c1 + j); x11.Store(c1 + j + 8);
            x20.Store(c2 + j); x21.Store(c2 + j + 8);
            x30.Store(c3 + j); x31.Store(c3 + j + 8);
            x40.Store(c4 + j); x41.Store(c4 + j + 8);
            x50.Store(c5 + j); x51.Store(c5 + j + 8);
        }
        if (j < n)
        {
            // Column tails: the 4-row and 1-row paths on the remaining columns.
            Kernel4Tail(i, j, n, k, a, aRow, aCol, b, ldb, c, ldc, accumulate);
            Kernel4Tail(i + 4, j, n, k, a, aRow, aCol, b, ldb, c, ldc, accumulate, rows: 2);
        }
    }

    private static unsafe void Kernel4Tail(int i, int j0, int n, int k, float* a, int aRow, int aCol, float* b, int ldb, float* c, int ldc, bool accumulate, int rows = 4)
    {
        for (var r = i; r < i + rows; r++)
        {
            var ai = a + (r * aRow);
            var ci = c + (r * ldc);
            var j = j0;
            for (; j + 8 <= n; j += 8)
            {
                var x = accumulate ? Vector256.Load(ci + j) : Vector256<float>.Zero;
                var bp = b + j;
                for (var p = 0; p < k; p++, bp += ldb)
                    x = Fmadd(Vector256.Create(ai[p * aCol]), Vector256.Load(bp), x);
                x.Store(ci + j);
            }
            for (; j < n; j++)
            {
                var s = accumulate ? ci[j] : 0f;
                var bp = b + j;
                for (var p = 0; p < k; p++, bp += ldb)
                    s = MathF.FusedMultiplyAdd(ai[p * aCol], *bp, s);
                ci[j] = s;
            }
        }
    }

    /// <summary>destination[n, m] = source[m, n] (row-major both).</summary>
    public static void Transpose(int m, int n, ReadOnlySpan<float> source, Span<float> destination)
    {
        for (var i = 0; i < m; i++)
        {
            var row = source.Slice(i * n, n);
            for (var j = 0; j < n; j++)
                destination[j * m + i] = row[j];
        }
    }
}
