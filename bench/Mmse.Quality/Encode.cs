using System.Diagnostics;
using Mmse.Backbone;
using Mmse.Data;

namespace Mmse.Quality;

/// <summary>
/// Encodes the catalog titles through the resumable item-vector cache, then every request's
/// query, and writes fvecs (items in catalog order, queries in train.jsonl order) plus the split
/// and the judgments as plain text for the research scripts.
/// </summary>
internal static class Encode
{
    public static void Run(string dataDir, string work, string backbone, int threads)
    {
        var data = RealData.Load(dataDir);
        using var encoder = BackboneEncoder.Load(backbone, new BackboneOptions { Threads = threads });
        var dim = encoder.Dimension;
        using var cache = ItemVectorCache.Open(Path.Combine(work, backbone + ".bvc"), encoder.Model);
        Console.WriteLine($"{backbone}: {cache.Count} cached vectors, {data.Catalog.Count} titles");
        var items = new float[data.Catalog.Count * dim];
        var clock = Stopwatch.StartNew();
        var encoded = cache.GetOrEncode(encoder, data.Catalog.Titles, items, 2048,
            new Progress<int>(n => Console.WriteLine($"  {n} encoded, {n / clock.Elapsed.TotalSeconds:F0} titles/s")));
        Console.WriteLine($"items: {encoded} encoded in {clock.Elapsed.TotalSeconds:F1} s");
        Vectors.WriteFvecs(Path.Combine(work, backbone + "-items.fvecs"), items, dim);

        clock.Restart();
        var queries = new float[data.Requests.Length * dim];
        encoder.EncodeQueries([.. data.Requests.Select(r => r.Query)], queries);
        Console.WriteLine($"queries: {data.Requests.Length} in {clock.Elapsed.TotalSeconds:F1} s");
        Vectors.WriteFvecs(Path.Combine(work, backbone + "-queries.fvecs"), queries, dim);

        File.WriteAllLines(Path.Combine(work, "split.txt"), data.Requests.Select(r => r.Part.ToString()));
        File.WriteAllLines(Path.Combine(work, "judgments.tsv"), data.Requests.SelectMany((r, q) =>
            r.Items.Select((item, j) => $"{q}\t{item}\t{(int)r.Actions[j]}")));
    }
}
