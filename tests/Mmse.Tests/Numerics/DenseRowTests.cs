using Mmse.Numerics;

namespace Mmse.Tests.Numerics;

public class DenseRowTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(64)]
    public void Fast_equals_reference_at_every_output_length(int inDim)
    {
        var rng = new Rng(13);
        for (var outDim = 0; outDim <= 256; outDim++)
        {
            var x = new float[inDim];
            var w = new float[inDim * outDim];
            var b = new float[outDim];
            foreach (var a in (float[][])[x, w, b])
            {
                for (var i = 0; i < a.Length; i++)
                    a[i] = (float)(rng.NextDouble() * 2 - 1);
            }
            foreach (var relu in new[] { false, true })
            {
                float[] expected = new float[outDim], actual = new float[outDim];
                DenseRow.Forward<ReferencePath>(x, w, b, expected, relu);
                DenseRow.Forward<FastPath>(x, w, b, actual, relu);
                for (var j = 0; j < outDim; j++)
                    Assert.True(MathF.Abs(expected[j] - actual[j]) <= 1e-5f * (inDim + 1), $"{inDim}x{outDim} [{j}]");
                if (relu)
                    Assert.All(actual, v => Assert.True(v >= 0));
            }
        }
    }

    [Fact]
    public void Short_weights_are_refused()
    {
        Assert.Throws<ArgumentException>(() => DenseRow.Forward<FastPath>(new float[3], new float[5], new float[2], new float[2], relu: false));
    }
}
