using Mmse.Model;
using Mmse.Numerics;
using Mmse.Tests.Training;
using Mmse.Text;

namespace Mmse.Tests.Model;

/// <summary>The allocation-free query encoding (span tokeniser, one-row tower) against the plain path.</summary>
public class QueryEncodingTests
{
    private static readonly string[] s_texts =
    [
        "",
        "   ",
        "steel angle bracket",
        "Steel  ANGLE-bracket, 4 pack!",
        "a",
        "x1 y22 z333",
        "Café crème brûlée",
        "ＫＥＹＢＯＡＲＤ ｗｉｒｅｌｅｓｓ",  // fullwidth: NFKC changes it
        "ﬁligree ½ inch",                   // ligature and fraction: NFKC expands them
        "東京 タワー 모형 kit",
        "無線マウス",
        "phone 📱 case 😀😀",                // surrogate pairs are separators
        "Straße İstanbul ΣΊΣΥΦΟΣ",           // casing beyond ASCII
        "\u0000\uFFFF tab\there",            // control, non-character
        new string('w', 300),
        string.Join(' ', Enumerable.Range(0, 120).Select(i => $"w{i}")),
    ];

    public static TheoryData<string> Texts => new(s_texts);

    [Theory]
    [MemberData(nameof(Texts))]
    public void Span_tokeniser_gives_the_spec_buckets(string text)
    {
        foreach (var options in new[] { new TokenizerOptions(), new TokenizerOptions { Buckets = 977, Seed = 42, FieldMixing = true } })
        {
            var tokenizer = new HashedTokenizer(options);
            var scratch = new QueryScratch();
            var prefix = System.Text.Encoding.UTF8.GetBytes(tokenizer.FieldPrefix("query"));
            var n = QueryTokenizer.Buckets(tokenizer, prefix, text, scratch);
            Assert.Equal(tokenizer.Buckets(text, "query"), scratch.Tokens.AsSpan(0, n).ToArray());
        }
    }

    [Theory]
    [InlineData("lone \uD800 surrogate")]
    [InlineData("lone \uDC00")]
    [InlineData("pair \uD83D\uDE00 ok")]
    public void Invalid_utf16_behaves_as_the_reference(string text)
    {
        var tokenizer = new HashedTokenizer();
        int[]? expected = null;
        var referenceError = Record.Exception(() => expected = tokenizer.Buckets(text, "query"));
        var scratch = new QueryScratch();
        var n = 0;
        var spanError = Record.Exception(() => n = QueryTokenizer.Buckets(tokenizer, [], text, scratch));
        Assert.Equal(referenceError?.GetType(), spanError?.GetType());
        if (referenceError is null)
            Assert.Equal(expected, scratch.Tokens.AsSpan(0, n).ToArray());
    }

    [Theory]
    [InlineData(false, 16, 32, 16)]
    [InlineData(true, 8, 24, 9)]   // pre-fusion; a dimension that leaves a scalar tail
    [InlineData(false, 5, 7, 3)]   // narrower than one vector
    public void Encode_equals_the_batched_tower(bool preFusion, int embedding, int hidden, int dim)
    {
        var model = new MmseModel(TrainerTests.Small with { PreFusion = preFusion, EmbeddingDim = embedding, Hidden = hidden, Dim = dim, Heads = 3 });
        var scratch = new QueryScratch(); // a reused scratch across queries of different lengths
        foreach (var text in s_texts)
        {
            var expected = new float[model.Heads * model.Dim];
            model.EncodeQueryReference(text, expected);
            var actual = new float[model.Heads * model.Dim];
            model.EncodeQuery(text, actual, scratch);
            for (var i = 0; i < expected.Length; i++)
                Assert.True(MathF.Abs(expected[i] - actual[i]) <= 1e-6f, $"'{text}' [{i}]: {actual[i]} vs {expected[i]}");
            var viaString = new float[model.Heads * model.Dim];
            model.EncodeQuery(text, viaString);
            Assert.Equal(actual, viaString);
        }
    }

    [Fact]
    public void Dense_row_equals_the_reference_product()
    {
        var random = new Random(7);
        for (var inDim = 0; inDim <= 40; inDim += 13)
        {
            for (var outDim = 1; outDim <= 40; outDim++)
            {
                var x = Enumerable.Range(0, inDim).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
                var w = Enumerable.Range(0, inDim * outDim).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
                var b = Enumerable.Range(0, outDim).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
                var expected = new float[outDim];
                DenseLayer.Forward<ReferencePath>(1, inDim, outDim, x, w, b, expected, relu: true, threads: 1);
                var actual = new float[outDim];
                DenseLayer.Forward<FastPath>(x, w, b, actual, relu: true);
                for (var j = 0; j < outDim; j++)
                    Assert.True(MathF.Abs(expected[j] - actual[j]) <= 1e-5f * (1 + MathF.Abs(expected[j])), $"{inDim}x{outDim} [{j}]");
            }
        }
    }
}
