using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Mmse.Numerics;

/// <summary>
/// The streaming forms of the fused score, for searches that score one candidate at a time and
/// must not allocate: an online softmax over the heads (<see cref="Accumulator"/>, the HNSW walk)
/// and the bounded form the exact panel search ranks by (<see cref="FuseBounded"/>, with its own
/// exp that also runs eight lanes at a time). Both equal <see cref="Fuse(ReadOnlySpan{float}, float)"/>
/// up to rounding; tests hold them to it.
/// </summary>
public static partial class PostFusion
{
    /// <summary>
    /// <see cref="Fuse(ReadOnlySpan{float}, float)"/> (the softmax(z / beta)-weighted mean of the
    /// head scores) accumulated one head at a time, with a running maximum (an online softmax),
    /// so a walk needs no buffer of head scores and one exp per head.
    /// </summary>
    public struct Accumulator(float first, float beta)
    {
        private float _max = first;
        private float _sumW = 1;
        private float _sumWz = first;

        /// <summary>Adds the next head's score.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(float z)
        {
            if (z > _max)
            {
                var scale = MathF.Exp((_max - z) / beta);
                _sumW = (_sumW * scale) + 1;
                _sumWz = (_sumWz * scale) + z;
                _max = z;
            }
            else
            {
                var w = MathF.Exp((z - _max) / beta);
                _sumW += w;
                _sumWz += w * z;
            }
        }

        /// <summary>The fused score of the heads added so far.</summary>
        public readonly float Score => _sumWz / _sumW;
    }

    /// <summary>
    /// The fused score the exact panel search ranks by, given per-head cosines z [heads]. For two
    /// heads it is softmax(z / beta) . z written as z1 + (z0 - z1) sigmoid((z0 - z1) / beta), one exp
    /// instead of two, with <see cref="Exp(float)"/> that also runs eight lanes at a time
    /// (<see cref="FuseBounded8"/>, the same bits); clamped to the best head so the pruning bound
    /// "fused &lt;= best head" also holds in float.
    /// </summary>
    public static float FuseBounded(ReadOnlySpan<float> z, float beta)
    {
        switch (z.Length)
        {
            case 1:
                return z[0];
            case 2:
                {
                    var diff = z[0] - z[1];
                    var s = z[1] + (diff / (1f + Exp(MathF.Min(MathF.Max(-diff / beta, ExpMin), ExpMax))));
                    return MathF.Min(s, MathF.Max(z[0], z[1]));
                }
            default:
                {
                    var best = float.NegativeInfinity;
                    foreach (var v in z)
                        best = MathF.Max(best, v);
                    return MathF.Min(Fuse(z, beta), best);
                }
        }
    }

    private const float ExpMin = -87f, ExpMax = 88f; // e^x stays a normal, finite float
    private const float Log2E = 1.44269504f, RoundMagic = 12582912f; // 1.5 * 2^23: adding and subtracting rounds to an integer
    private const float Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f;
    private const float E1 = 5.0000001201e-1f, E2 = 1.6666665459e-1f, E3 = 4.1665795894e-2f, E4 = 8.3334519073e-3f,
        E5 = 1.3981999507e-3f, E6 = 1.9875691500e-4f;

    /// <summary>
    /// e^x for x in [-87, 88] (Cephes expf: x = n ln2 + r, a degree-7 polynomial in r, times 2^n; about
    /// 1 ulp). Written with plain float operations and FMAs that <see cref="Exp(Vector256{float})"/> repeats
    /// lane by lane, so the scalar and the vector fused scores are the same bits.
    /// </summary>
    internal static float Exp(float x)
    {
        var n = (x * Log2E) + RoundMagic - RoundMagic;
        var r = MathF.FusedMultiplyAdd(-n, Ln2Hi, x);
        r = MathF.FusedMultiplyAdd(-n, Ln2Lo, r);
        var p = MathF.FusedMultiplyAdd(E6, r, E5);
        p = MathF.FusedMultiplyAdd(p, r, E4);
        p = MathF.FusedMultiplyAdd(p, r, E3);
        p = MathF.FusedMultiplyAdd(p, r, E2);
        p = MathF.FusedMultiplyAdd(p, r, E1);
        p = MathF.FusedMultiplyAdd(p, r, 1f);
        p = MathF.FusedMultiplyAdd(p, r, 1f);
        return p * BitConverter.Int32BitsToSingle(((int)n + 127) << 23);
    }

    /// <summary>Eight lanes of <see cref="Exp(float)"/>, operation for operation (needs FMA).</summary>
    internal static Vector256<float> Exp(Vector256<float> x)
    {
        var n = (x * Log2E) + Vector256.Create(RoundMagic) - Vector256.Create(RoundMagic);
        var r = Fma.MultiplyAdd(-n, Vector256.Create(Ln2Hi), x);
        r = Fma.MultiplyAdd(-n, Vector256.Create(Ln2Lo), r);
        var p = Fma.MultiplyAdd(Vector256.Create(E6), r, Vector256.Create(E5));
        p = Fma.MultiplyAdd(p, r, Vector256.Create(E4));
        p = Fma.MultiplyAdd(p, r, Vector256.Create(E3));
        p = Fma.MultiplyAdd(p, r, Vector256.Create(E2));
        p = Fma.MultiplyAdd(p, r, Vector256.Create(E1));
        p = Fma.MultiplyAdd(p, r, Vector256<float>.One);
        p = Fma.MultiplyAdd(p, r, Vector256<float>.One);
        var scale = (Vector256.ConvertToInt32(n) + Vector256.Create(127)) << 23;
        return p * scale.AsSingle();
    }

    /// <summary>Eight lanes of the two-head <see cref="FuseBounded"/>, operation for operation (needs FMA).</summary>
    internal static Vector256<float> FuseBounded8(Vector256<float> z0, Vector256<float> z1, Vector256<float> beta)
    {
        var diff = z0 - z1;
        var x = Vector256.Min(Vector256.Max(-diff / beta, Vector256.Create(ExpMin)), Vector256.Create(ExpMax));
        var s = z1 + (diff / (Vector256<float>.One + Exp(x)));
        return Vector256.Min(s, Vector256.Max(z0, z1));
    }
}
