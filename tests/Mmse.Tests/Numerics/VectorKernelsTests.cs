using Mmse.Numerics;

namespace Mmse.Tests.Numerics;

public class VectorKernelsTests
{
    [Fact]
    public void Dot_equals_the_scalar_reference_for_every_length_0_to_256()
    {
        var random = new Random(7);
        for (var n = 0; n <= 256; n++)
        {
            var a = Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            var b = Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            var expected = VectorKernels.DotReference(a, b);
            var magnitude = a.Zip(b, (x, y) => Math.Abs(x * y)).Sum() + 1e-6;
            Assert.True(Math.Abs(VectorKernels.Dot(a, b) - expected) <= 1e-5 * magnitude, $"length {n}");
            Assert.Equal(expected, VectorKernels.Dot<ReferencePath>(a, b));
            Assert.True(Math.Abs(VectorKernels.Dot<FastPath>(a, b) - expected) <= 1e-5 * magnitude, $"length {n}");
        }
    }

    [Fact]
    public void DotU8_equals_the_scalar_reference_for_every_length_0_to_256()
    {
        var random = new Random(8);
        for (var n = 0; n <= 256; n++)
        {
            var q = Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            var c = Enumerable.Range(0, n).Select(_ => (byte)random.Next(256)).ToArray();
            var expected = VectorKernels.DotU8Reference(q, c);
            var magnitude = q.Zip(c, (x, y) => Math.Abs(x * y)).Sum() + 1e-6;
            Assert.True(Math.Abs(VectorKernels.DotU8(q, c) - expected) <= 1e-5 * magnitude, $"length {n}");
            Assert.Equal(expected, VectorKernels.DotU8<ReferencePath>(q, c));
            Assert.True(Math.Abs(VectorKernels.DotU8<FastPath>(q, c) - expected) <= 1e-5 * magnitude, $"length {n}");
        }
    }

    [Fact]
    public void Normalize_gives_unit_length_and_leaves_zero_alone()
    {
        var v = new float[] { 3, 4 };
        VectorKernels.Normalize(v);
        Assert.Equal(0.6f, v[0], 5);
        Assert.Equal(0.8f, v[1], 5);
        var zero = new float[3];
        VectorKernels.Normalize(zero);
        Assert.All(zero, x => Assert.Equal(0f, x));
    }
}
