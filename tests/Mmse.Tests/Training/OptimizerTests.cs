using Mmse.Model;
using Mmse.Training;

namespace Mmse.Tests.Training;

/// <summary>The optimiser against steps computed by hand from the textbook update rules.</summary>
public class OptimizerTests
{
    private static readonly ModelOptions s_model = new() { Buckets = 16, EmbeddingDim = 2, Hidden = 2, Heads = 1, Dim = 2 };

    private static readonly TrainOptions s_plain = new()
    {
        LearningRate = 0.1f,
        WarmupSteps = 0,
        ClipNorm = 0,
        Adam1 = 0.9f,
        Adam2 = 0.999f,
        AdamEpsilon = 1e-8f,
    };

    private static (ModelParameters P, ModelGradients G, Optimizer O) Build(TrainOptions options)
    {
        var p = new ModelParameters(s_model);
        return (p, new ModelGradients(p, s_model), new Optimizer(p, options, threads: 1));
    }

    /// <summary>Textbook Adam: m and v with bias correction, w -= lr m^ / (sqrt(v^) + eps).</summary>
    private static double AdamStep(ref double m, ref double v, double g, int step, double lr, double eps = 1e-8)
    {
        m = 0.9 * m + 0.1 * g;
        v = 0.999 * v + 0.001 * g * g;
        var mHat = m / (1 - Math.Pow(0.9, step));
        var vHat = v / (1 - Math.Pow(0.999, step));
        return lr * mHat / (Math.Sqrt(vHat) + eps);
    }

    [Fact]
    public void Adam_on_dense_groups_follows_the_hand_computed_steps()
    {
        var (p, g, o) = Build(s_plain);
        p.Dense[0][1] = 1f;
        // Step 1: the first Adam step moves by exactly lr against the gradient's sign.
        g.Dense[0][1] = 0.5f;
        o.Apply(g);
        Assert.Equal(0.9f, p.Dense[0][1], 5);
        Assert.Equal(0.05f, o.DenseM[0][1], 6);
        Assert.Equal(0.00025f, o.DenseV[0][1], 6);
        // Step 2, by hand: m = 0.07, v = 0.00031225, m^ = 0.07/0.19, v^ = 0.00031225/0.001999: a step of 0.0932178.
        g.Dense[0][1] = 0.25f;
        o.Apply(g);
        Assert.Equal(0.9f - 0.0932178f, p.Dense[0][1], 5);
        Assert.Equal(2, o.Step);
        // An element whose gradient was always zero never moves.
        Assert.Equal(0f, p.Dense[0][0]);
        Assert.Equal(0f, o.DenseM[0][0]);

        // Ten more steps of a varying gradient against the textbook rule.
        double m = 0.07, v = 0.00031225, w = p.Dense[0][1];
        for (var step = 3; step <= 12; step++)
        {
            var grad = Math.Sin(step);
            g.Dense[0][1] = (float)grad;
            o.Apply(g);
            w -= AdamStep(ref m, ref v, (float)grad, step, 0.1);
            Assert.Equal(w, p.Dense[0][1], 4);
        }
    }

    [Fact]
    public void Lazy_adam_updates_only_touched_rows_with_the_global_step_for_bias_correction()
    {
        var (p, g, o) = Build(s_plain);
        var e = s_model.EmbeddingDim;
        g.Embedding.Row(3)[0] = 2f;
        o.Apply(g);
        Assert.Equal(-0.1f, p.Embedding[3 * e], 5);
        Assert.Equal(0f, p.Embedding[3 * e + 1]);

        // Step 2 touches row 5 only: its first update is bias-corrected with step 2, row 3 stays as it was.
        g.Embedding.Clear();
        g.Embedding.Row(5)[1] = -1f;
        var row3 = p.Embedding.AsSpan(3 * e, e).ToArray();
        var m3 = o.EmbeddingM.AsSpan(3 * e, e).ToArray();
        o.Apply(g);
        double m = 0, v = 0;
        var expected = -AdamStep(ref m, ref v, -1, step: 2, lr: 0.1);
        Assert.Equal(expected, p.Embedding[5 * e + 1], 5);
        Assert.Equal(0.1 * 0.1 / 0.19 / Math.Sqrt(0.001 / 0.001999), p.Embedding[5 * e + 1], 5);
        Assert.Equal(row3, p.Embedding.AsSpan(3 * e, e).ToArray());
        Assert.Equal(m3, o.EmbeddingM.AsSpan(3 * e, e).ToArray());
    }

    [Fact]
    public void Adagrad_accumulates_squared_gradients_of_touched_rows()
    {
        var (p, g, o) = Build(s_plain with { EmbeddingOptimizer = EmbeddingOptimizer.Adagrad });
        Assert.Empty(o.EmbeddingM);
        var e = s_model.EmbeddingDim;
        g.Embedding.Row(2)[0] = 3f;
        o.Apply(g);
        // acc = 9, w = -0.1 * 3 / (3 + 1e-6).
        Assert.Equal(9f, o.EmbeddingV[2 * e]);
        Assert.Equal(-0.1 * 3 / (3 + 1e-6), p.Embedding[2 * e], 6);
        g.Embedding.Row(2)[0] = -4f;
        o.Apply(g);
        // acc = 25, w -= 0.1 * -4 / (5 + 1e-6).
        Assert.Equal(25f, o.EmbeddingV[2 * e]);
        Assert.Equal(-0.1 * 3 / (3 + 1e-6) + 0.1 * 4 / (5 + 1e-6), p.Embedding[2 * e], 6);
        Assert.Equal(0f, p.Embedding[2 * e + 1]);
    }

    [Fact]
    public void Gradient_norm_clipping_scales_every_group_by_one_factor()
    {
        var (_, g, o) = Build(s_plain with { ClipNorm = 5f });
        // Global norm over dense and embedding groups: sqrt(6^2 + 8^2) = 10, clipped to 5 (factor 0.5).
        g.Dense[2][0] = 6f;
        g.Embedding.Row(1)[1] = 8f;
        Assert.Equal(100, g.SquaredNorm(), 9);
        Assert.Equal(10, o.Apply(g), 9);
        Assert.Equal(0.1f * 3f, o.DenseM[2][0], 6);
        Assert.Equal(0.001f * 9f, o.DenseV[2][0], 5);
        Assert.Equal(0.1f * 4f, o.EmbeddingM[1 * s_model.EmbeddingDim + 1], 6);

        // Under the threshold nothing is scaled.
        var (_, g2, o2) = Build(s_plain with { ClipNorm = 50f });
        g2.Dense[2][0] = 6f;
        o2.Apply(g2);
        Assert.Equal(0.1f * 6f, o2.DenseM[2][0], 6);
    }

    [Fact]
    public void Warm_up_raises_the_rate_linearly_then_holds_it()
    {
        var (p, g, o) = Build(s_plain with { WarmupSteps = 4 });
        float[] rates = [0.025f, 0.05f, 0.075f, 0.1f, 0.1f, 0.1f];
        for (var step = 0; step < rates.Length; step++)
        {
            Assert.Equal(rates[step], o.CurrentRate, 6);
            if (step == 0)
            {
                // The first Adam step moves by exactly the (warmed-up) rate.
                g.Dense[1][0] = 1f;
                o.Apply(g);
                Assert.Equal(-0.025f, p.Dense[1][0], 6);
                g.Dense[1][0] = 0f;
            }
            else
            {
                o.Apply(g);
            }
        }
    }
}
