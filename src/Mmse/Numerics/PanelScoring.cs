using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Mmse.Numerics;

/// <summary>Which panel-scoring kernel runs (all give bit-identical scores).</summary>
internal enum ScoringKernel
{
    /// <summary>The widest the machine supports.</summary>
    Auto,
    Scalar,
    Avx2,
    Avx512,
}

/// <summary>
/// The exact search's blocked scoring (moved from ExactEvaluator): items packed in panels of
/// <see cref="Panel"/> ([dim, 32] each, zero-padded) and a tile of <see cref="TileRows"/> query-head
/// rows scored against a panel by a register-blocked micro-kernel (AVX-512: 24 accumulators; AVX2
/// and the scalar reference compute the same tile with the same FMA chain in dimension order, so
/// every kernel gives the same bits). Selected by <see cref="IKernelPath"/> (fast: the widest
/// kernel; reference: scalar) or, for tests, by <see cref="ScoringKernel"/>.
/// </summary>
internal static unsafe class PanelScoring
{
    /// <summary>Items per packed panel (two Vector512 / four Vector256).</summary>
    public const int Panel = 32;

    /// <summary>Query-head rows per micro-kernel call.</summary>
    public const int TileRows = 12;

    /// <summary>The kernel <paramref name="kernel"/> stands for on this machine (Auto: the widest).</summary>
    public static ScoringKernel Resolve(ScoringKernel kernel) => kernel switch
    {
        ScoringKernel.Auto when Avx512F.IsSupported && Vector512.IsHardwareAccelerated => ScoringKernel.Avx512,
        ScoringKernel.Auto when Fma.IsSupported && Avx2.IsSupported => ScoringKernel.Avx2,
        ScoringKernel.Auto => ScoringKernel.Scalar,
        ScoringKernel.Avx512 when !Avx512F.IsSupported => throw new PlatformNotSupportedException("AVX-512F"),
        ScoringKernel.Avx2 when !(Fma.IsSupported && Avx2.IsSupported) => throw new PlatformNotSupportedException("AVX2 and FMA"),
        _ => kernel,
    };

    /// <summary>The kernel of a path: the widest for <see cref="FastPath"/>, scalar for <see cref="ReferencePath"/>.</summary>
    public static ScoringKernel Of<TPath>() where TPath : struct, IKernelPath =>
        TPath.IsReference ? ScoringKernel.Scalar : Resolve(ScoringKernel.Auto);

    /// <summary>
    /// z[r, 0..32) = a[r] . items of panel <paramref name="b"/> [d, 32] for the 12 rows
    /// <paramref name="a"/> [12, d]; z is [12, 32]. <paramref name="kernel"/> must be resolved.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Tile(ScoringKernel kernel, float* a, int d, float* b, float* z)
    {
        switch (kernel)
        {
            case ScoringKernel.Avx512:
                Kernel12x32Avx512(a, d, b, z);
                break;
            case ScoringKernel.Avx2:
                for (var r0 = 0; r0 < TileRows; r0 += 6)
                {
                    Kernel6x16Avx2(a + (r0 * d), d, b, z + (r0 * Panel));
                    Kernel6x16Avx2(a + (r0 * d), d, b + 16, z + (r0 * Panel) + 16);
                }
                break;
            default:
                KernelScalar(a, d, b, z);
                break;
        }
    }

    /// <summary>12 rows x 32 items in 24 AVX-512 accumulators; one FMA chain per score, dimension order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip the unoptimised tier
    internal static unsafe void Kernel12x32Avx512(float* a, int d, float* b, float* z)
    {
        Vector512<float> x00 = default, x01 = default, x10 = default, x11 = default, x20 = default, x21 = default,
            x30 = default, x31 = default, x40 = default, x41 = default, x50 = default, x51 = default,
            x60 = default, x61 = default, x70 = default, x71 = default, x80 = default, x81 = default,
            x90 = default, x91 = default, xa0 = default, xa1 = default, xb0 = default, xb1 = default;
        float* a0 = a, a1 = a0 + d, a2 = a1 + d, a3 = a2 + d, a4 = a3 + d, a5 = a4 + d,
            a6 = a5 + d, a7 = a6 + d, a8 = a7 + d, a9 = a8 + d, aa = a9 + d, ab = aa + d;
        var bp = b;
        for (var p = 0; p < d; p++, bp += Panel)
        {
            var b0 = Vector512.Load(bp);
            var b1 = Vector512.Load(bp + 16);
            var v = Vector512.Create(a0[p]);
            x00 = Avx512F.FusedMultiplyAdd(v, b0, x00); x01 = Avx512F.FusedMultiplyAdd(v, b1, x01);
            v = Vector512.Create(a1[p]);
            x10 = Avx512F.FusedMultiplyAdd(v, b0, x10); x11 = Avx512F.FusedMultiplyAdd(v, b1, x11);
            v = Vector512.Create(a2[p]);
            x20 = Avx512F.FusedMultiplyAdd(v, b0, x20); x21 = Avx512F.FusedMultiplyAdd(v, b1, x21);
            v = Vector512.Create(a3[p]);
            x30 = Avx512F.FusedMultiplyAdd(v, b0, x30); x31 = Avx512F.FusedMultiplyAdd(v, b1, x31);
            v = Vector512.Create(a4[p]);
            x40 = Avx512F.FusedMultiplyAdd(v, b0, x40); x41 = Avx512F.FusedMultiplyAdd(v, b1, x41);
            v = Vector512.Create(a5[p]);
            x50 = Avx512F.FusedMultiplyAdd(v, b0, x50); x51 = Avx512F.FusedMultiplyAdd(v, b1, x51);
            v = Vector512.Create(a6[p]);
            x60 = Avx512F.FusedMultiplyAdd(v, b0, x60); x61 = Avx512F.FusedMultiplyAdd(v, b1, x61);
            v = Vector512.Create(a7[p]);
            x70 = Avx512F.FusedMultiplyAdd(v, b0, x70); x71 = Avx512F.FusedMultiplyAdd(v, b1, x71);
            v = Vector512.Create(a8[p]);
            x80 = Avx512F.FusedMultiplyAdd(v, b0, x80); x81 = Avx512F.FusedMultiplyAdd(v, b1, x81);
            v = Vector512.Create(a9[p]);
            x90 = Avx512F.FusedMultiplyAdd(v, b0, x90); x91 = Avx512F.FusedMultiplyAdd(v, b1, x91);
            v = Vector512.Create(aa[p]);
            xa0 = Avx512F.FusedMultiplyAdd(v, b0, xa0); xa1 = Avx512F.FusedMultiplyAdd(v, b1, xa1);
            v = Vector512.Create(ab[p]);
            xb0 = Avx512F.FusedMultiplyAdd(v, b0, xb0); xb1 = Avx512F.FusedMultiplyAdd(v, b1, xb1);
        }
        x00.Store(z); x01.Store(z + 16); x10.Store(z + 32); x11.Store(z + 48);
        x20.Store(z + 64); x21.Store(z + 80); x30.Store(z + 96); x31.Store(z + 112);
        x40.Store(z + 128); x41.Store(z + 144); x50.Store(z + 160); x51.Store(z + 176);
        x60.Store(z + 192); x61.Store(z + 208); x70.Store(z + 224); x71.Store(z + 240);
        x80.Store(z + 256); x81.Store(z + 272); x90.Store(z + 288); x91.Store(z + 304);
        xa0.Store(z + 320); xa1.Store(z + 336); xb0.Store(z + 352); xb1.Store(z + 368);
    }

    /// <summary>6 rows x 16 items (of a 32-wide panel) in 12 AVX2 accumulators; the same FMA chain as the other kernels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: skip the unoptimised tier
    internal static unsafe void Kernel6x16Avx2(float* a, int d, float* b, float* z)
    {
        Vector256<float> x00 = default, x01 = default, x10 = default, x11 = default, x20 = default, x21 = default,
            x30 = default, x31 = default, x40 = default, x41 = default, x50 = default, x51 = default;
        float* a0 = a, a1 = a0 + d, a2 = a1 + d, a3 = a2 + d, a4 = a3 + d, a5 = a4 + d;
        var bp = b;
        for (var p = 0; p < d; p++, bp += Panel)
        {
            var b0 = Vector256.Load(bp);
            var b1 = Vector256.Load(bp + 8);
            var v = Vector256.Create(a0[p]);
            x00 = Fma.MultiplyAdd(v, b0, x00); x01 = Fma.MultiplyAdd(v, b1, x01);
            v = Vector256.Create(a1[p]);
            x10 = Fma.MultiplyAdd(v, b0, x10); x11 = Fma.MultiplyAdd(v, b1, x11);
            v = Vector256.Create(a2[p]);
            x20 = Fma.MultiplyAdd(v, b0, x20); x21 = Fma.MultiplyAdd(v, b1, x21);
            v = Vector256.Create(a3[p]);
            x30 = Fma.MultiplyAdd(v, b0, x30); x31 = Fma.MultiplyAdd(v, b1, x31);
            v = Vector256.Create(a4[p]);
            x40 = Fma.MultiplyAdd(v, b0, x40); x41 = Fma.MultiplyAdd(v, b1, x41);
            v = Vector256.Create(a5[p]);
            x50 = Fma.MultiplyAdd(v, b0, x50); x51 = Fma.MultiplyAdd(v, b1, x51);
        }
        x00.Store(z); x01.Store(z + 8); x10.Store(z + Panel); x11.Store(z + Panel + 8);
        x20.Store(z + (2 * Panel)); x21.Store(z + (2 * Panel) + 8); x30.Store(z + (3 * Panel)); x31.Store(z + (3 * Panel) + 8);
        x40.Store(z + (4 * Panel)); x41.Store(z + (4 * Panel) + 8); x50.Store(z + (5 * Panel)); x51.Store(z + (5 * Panel) + 8);
    }

    /// <summary>The 12 x 32 tile with scalar FMAs: the plain reference (and machines without AVX2/FMA).</summary>
    internal static unsafe void KernelScalar(float* a, int d, float* b, float* z)
    {
        for (var r = 0; r < TileRows; r++)
        {
            for (var x = 0; x < Panel; x++)
            {
                var sum = 0f;
                for (var p = 0; p < d; p++)
                    sum = MathF.FusedMultiplyAdd(a[(r * d) + p], b[(p * Panel) + x], sum);
                z[(r * Panel) + x] = sum;
            }
        }
    }
}
