using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Mmse.Numerics;

/// <summary>
/// Inner-product kernels for the index (moved from Mmse.Index), on raw pointers so the same code
/// runs over managed, native and memory-mapped storage. Each has a plain scalar reference
/// (<c>...Reference</c>) beside it, selected by <see cref="IKernelPath"/> in the span forms
/// (<see cref="Dot{TPath}"/>, <see cref="DotU8{TPath}"/>); tests compare them over lengths 0..256.
/// </summary>
public static unsafe class VectorKernels
{
    /// <summary>
    /// Sum of a[i] * b[i]. Two independent 512-bit (or 256-bit) FMA accumulators hide the FMA
    /// latency; one horizontal reduction at the end; a 256-bit step then a scalar tail.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(float* a, float* b, int n)
    {
        var i = 0;
        float sum = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var acc0 = Vector512<float>.Zero;
            var acc1 = Vector512<float>.Zero;
            for (; i <= n - 32; i += 32)
            {
                acc0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), acc0);
                acc1 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i + 16), Vector512.Load(b + i + 16), acc1);
            }
            if (i <= n - 16)
            {
                acc0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), acc0);
                i += 16;
            }
            sum = Vector512.Sum(acc0 + acc1);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var acc0 = Vector256<float>.Zero;
            var acc1 = Vector256<float>.Zero;
            for (; i <= n - 16; i += 16)
            {
                acc0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), acc0);
                acc1 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i + 8), Vector256.Load(b + i + 8), acc1);
            }
            sum = Vector256.Sum(acc0 + acc1);
        }
        if (Vector256.IsHardwareAccelerated && i <= n - 8)
        {
            sum += Vector256.Sum(Vector256.Load(a + i) * Vector256.Load(b + i));
            i += 8;
        }
        for (; i < n; i++)
            sum += a[i] * b[i];
        return sum;
    }

    /// <summary>The scalar reference of <see cref="Dot(float*, float*, int)"/>.</summary>
    public static float DotReference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
            sum += (double)a[i] * b[i];
        return (float)sum;
    }

    /// <summary>The fast <see cref="Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/> or its reference, by path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot<TPath>(ReadOnlySpan<float> a, ReadOnlySpan<float> b) where TPath : struct, IKernelPath =>
        TPath.IsReference ? DotReference(a, b) : Dot(a, b);

    /// <summary>Span front end of <see cref="Dot(float*, float*, int)"/>.</summary>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"'b':{b.Length} must have the length of 'a':{a.Length}");
        fixed (float* pa = a)
        fixed (float* pb = b)
            return Dot(pa, pb, a.Length);
    }

    /// <summary>
    /// Sum of q[i] * c[i] for float q and unsigned 8-bit codes c: the int8 traversal kernel.
    /// The trick: zero-extend 16 (or 8) bytes straight into int32 lanes (vpmovzxbd), convert to
    /// float and FMA, so codes are read at a quarter of the float bandwidth.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float DotU8(float* q, byte* c, int n)
    {
        var i = 0;
        float sum = 0;
        if (Avx512F.IsSupported && n >= 16)
        {
            var acc0 = Vector512<float>.Zero;
            var acc1 = Vector512<float>.Zero;
            for (; i <= n - 32; i += 32)
            {
                var c0 = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(c + i)));
                var c1 = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(c + i + 16)));
                acc0 = Vector512.FusedMultiplyAdd(Vector512.Load(q + i), c0, acc0);
                acc1 = Vector512.FusedMultiplyAdd(Vector512.Load(q + i + 16), c1, acc1);
            }
            if (i <= n - 16)
            {
                var c0 = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(c + i)));
                acc0 = Vector512.FusedMultiplyAdd(Vector512.Load(q + i), c0, acc0);
                i += 16;
            }
            sum = Vector512.Sum(acc0 + acc1);
        }
        if (Avx2.IsSupported)
        {
            var acc = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8)
            {
                var c0 = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(c + i));
                acc = Vector256.FusedMultiplyAdd(Vector256.Load(q + i), c0, acc);
            }
            sum += Vector256.Sum(acc);
        }
        for (; i < n; i++)
            sum += q[i] * c[i];
        return sum;
    }

    /// <summary>The scalar reference of <see cref="DotU8(float*, byte*, int)"/>.</summary>
    public static float DotU8Reference(ReadOnlySpan<float> q, ReadOnlySpan<byte> c)
    {
        double sum = 0;
        for (var i = 0; i < q.Length; i++)
            sum += (double)q[i] * c[i];
        return (float)sum;
    }

    /// <summary>The fast <see cref="DotU8(ReadOnlySpan{float}, ReadOnlySpan{byte})"/> or its reference, by path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float DotU8<TPath>(ReadOnlySpan<float> q, ReadOnlySpan<byte> c) where TPath : struct, IKernelPath =>
        TPath.IsReference ? DotU8Reference(q, c) : DotU8(q, c);

    /// <summary>Span front end of <see cref="DotU8(float*, byte*, int)"/>.</summary>
    public static float DotU8(ReadOnlySpan<float> q, ReadOnlySpan<byte> c)
    {
        if (q.Length != c.Length)
            throw new ArgumentException($"'c':{c.Length} must have the length of 'q':{q.Length}");
        fixed (float* pq = q)
        fixed (byte* pc = c)
            return DotU8(pq, pc, q.Length);
    }

    /// <summary>Scales v to unit length in place (a zero vector stays zero).</summary>
    public static void Normalize(Span<float> v)
    {
        var norm = System.Numerics.Tensors.TensorPrimitives.Norm(v);
        if (norm > 0 && float.IsFinite(norm))
            System.Numerics.Tensors.TensorPrimitives.Divide(v, norm, v);
    }

    /// <summary>Hints the cache to fetch the <paramref name="bytes"/> at p (no-op where unsupported).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prefetch(void* p, int bytes)
    {
        if (!Sse.IsSupported)
            return;
        var b = (byte*)p;
        for (var o = 0; o < bytes; o += 64)
            Sse.Prefetch0(b + o);
    }
}
