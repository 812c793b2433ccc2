using System.Numerics.Tensors;
using Mmse.Retrieval;

namespace Mmse.Tests.Retrieval;

public class HashingQueryEncoderTests
{
    [Fact]
    public void Heads_are_unit_length_and_the_same_for_the_same_normalised_text()
    {
        var encoder = new HashingQueryEncoder();
        var a = new float[encoder.Heads * encoder.Dim];
        var b = new float[a.Length];
        encoder.EncodeQuery("Angle  BRACKET", a);
        encoder.EncodeQuery("angle bracket", b);
        Assert.Equal(a, b);
        for (var h = 0; h < encoder.Heads; h++)
            Assert.Equal(1f, TensorPrimitives.Norm(a.AsSpan(h * encoder.Dim, encoder.Dim)), 1e-5f);
    }

    [Fact]
    public void A_query_scores_the_item_that_shares_its_words_highest()
    {
        var encoder = new HashingQueryEncoder();
        var q = new float[encoder.Heads * encoder.Dim];
        encoder.EncodeQuery("angle bracket", q);
        var match = new float[encoder.Dim];
        var other = new float[encoder.Dim];
        encoder.EncodeItem("Steel angle bracket 4 pack", "HardCo", "Tools > Hardware", match);
        encoder.EncodeItem("Grey fabric three seat sofa", "HomeLine", "Furniture > Sofas", other);
        for (var h = 0; h < encoder.Heads; h++)
            Assert.True(TensorPrimitives.Dot(q.AsSpan(h * encoder.Dim, encoder.Dim), match) > TensorPrimitives.Dot(q.AsSpan(h * encoder.Dim, encoder.Dim), other) + 0.1f);
    }

    [Fact]
    public void A_query_with_no_words_is_all_zeros_not_nan()
    {
        var encoder = new HashingQueryEncoder(new HashingEncoderOptions { Dim = 16 });
        var q = new float[32];
        encoder.EncodeQuery("!!! ???", q);
        Assert.All(q, v => Assert.Equal(0f, v));
        Assert.Equal("hashing-v1-d16", encoder.Version);
    }
}
