using Mmse.Model;
using Mmse.Numerics;

namespace Mmse.Tests.Model;

public class DenseLayerTests
{
    private static float[] Random(int n, Rng rng)
    {
        var a = new float[n];
        for (var i = 0; i < a.Length; i++)
            a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    [Fact]
    public void Fast_forward_equals_reference_and_the_single_row_form()
    {
        var rng = new Rng(4);
        foreach (var (rows, inDim, outDim) in new[] { (1, 5, 9), (7, 16, 33), (13, 3, 64), (20, 40, 17) })
        {
            var x = Random(rows * inDim, rng);
            var w = Random(inDim * outDim, rng);
            var b = Random(outDim, rng);
            foreach (var relu in new[] { false, true })
            {
                float[] yRef = new float[rows * outDim], yFast = new float[rows * outDim];
                DenseLayer.Forward<ReferencePath>(rows, inDim, outDim, x, w, b, yRef, relu, threads: 1);
                DenseLayer.Forward<FastPath>(rows, inDim, outDim, x, w, b, yFast, relu, threads: 2);
                for (var i = 0; i < yRef.Length; i++)
                    Assert.True(Math.Abs(yRef[i] - yFast[i]) <= 1e-5f * (inDim + 1), $"{rows}x{inDim}x{outDim} [{i}]");
                // A row of the batched fast forward is bit for bit the single-row form (same FMA chains).
                var row = new float[outDim];
                DenseLayer.Forward<FastPath>(x.AsSpan((rows - 1) * inDim, inDim), w, b, row, relu);
                Assert.Equal(yFast.AsSpan((rows - 1) * outDim, outDim).ToArray(), row);
            }
        }
    }

    /// <summary>L = sum(c * y): the layer is linear in x, w and b, so central differences are exact up to rounding.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Backward_matches_central_differences_and_fast_equals_reference(bool reluOnInput)
    {
        var rng = new Rng(6);
        const int rows = 4, inDim = 5, outDim = 3;
        var x = Random(rows * inDim, rng);
        if (reluOnInput)
        {
            for (var i = 0; i < x.Length; i++)
                x[i] = MathF.Max(x[i], 0); // an input that is a ReLU output: some exact zeros
        }
        var w = Random(inDim * outDim, rng);
        var b = Random(outDim, rng);
        var c = Random(rows * outDim, rng);
        float[] gradW = new float[w.Length], gradB = new float[b.Length], gradX = new float[x.Length], scratch = [];
        DenseLayer.Backward<ReferencePath>(rows, inDim, outDim, x, w, c, gradW, gradB, gradX, reluOnInput, ref scratch, threads: 1);

        double Loss()
        {
            var y = new float[rows * outDim];
            DenseLayer.Forward<ReferencePath>(rows, inDim, outDim, x, w, b, y, relu: false, threads: 1);
            double sum = 0;
            for (var i = 0; i < y.Length; i++)
                sum += (double)c[i] * y[i];
            return sum;
        }
        void Check(float[] values, float[] grad, string name, bool masked = false)
        {
            const float eps = 1e-2f;
            for (var i = 0; i < values.Length; i++)
            {
                var keep = values[i];
                values[i] = keep + eps;
                var up = Loss();
                values[i] = keep - eps;
                var down = Loss();
                values[i] = keep;
                // Below a ReLU the gradient flows only where the input was positive.
                var numeric = masked && keep <= 0 ? 0 : (up - down) / (2 * eps);
                Assert.True(Math.Abs(numeric - grad[i]) <= 1e-4 + 1e-3 * Math.Abs(numeric), $"{name}[{i}]: analytic {grad[i]} numeric {numeric}");
            }
        }
        Check(w, gradW, "w");
        Check(b, gradB, "b");
        Check(x, gradX, "x", masked: reluOnInput);

        float[] fastW = new float[w.Length], fastB = new float[b.Length], fastX = new float[x.Length];
        DenseLayer.Backward<FastPath>(rows, inDim, outDim, x, w, c, fastW, fastB, fastX, reluOnInput, ref scratch, threads: 2);
        for (var i = 0; i < gradW.Length; i++)
            Assert.True(Math.Abs(gradW[i] - fastW[i]) <= 1e-5f * rows);
        Assert.Equal(gradB, fastB);
        for (var i = 0; i < gradX.Length; i++)
            Assert.True(Math.Abs(gradX[i] - fastX[i]) <= 1e-5f * outDim);
    }
}
