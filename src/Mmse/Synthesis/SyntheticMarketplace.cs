using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Mmse.Data;
using Mmse.Internals;

namespace Mmse.Synthesis;

/// <summary>What <see cref="SyntheticMarketplace.Generate"/> wrote.</summary>
public sealed record SynthSummary(
    string Directory,
    int Items,
    int ProductTypes,
    int Brands,
    SynthCounts Train,
    SynthCounts Valid,
    SynthCounts Test,
    long TruthItems,
    long TruthExactItems,
    long TestRequestsDropped,
    TimeSpan Elapsed);

/// <summary>
/// Writes a synthetic marketplace: catalog.jsonl, train/valid/test.jsonl (split by time),
/// truth.jsonl (every grade-3 and grade-2 item per test request), intents.jsonl (the latent
/// intent per test request) and manifest.json. Requests are generated in fixed-size blocks,
/// each from its own random stream, in parallel, and written in block order, so the bytes
/// depend on the options and the seed only.
/// </summary>
public static class SyntheticMarketplace
{
    public const string ManifestFormat = "mmse-synth";

    public const int ManifestVersion = 1;

    /// <summary>File names written into the output folder.</summary>
    public static readonly IReadOnlyList<string> Files = ["catalog.jsonl", "train.jsonl", "valid.jsonl", "test.jsonl", "truth.jsonl", "intents.jsonl", "manifest.json"];

    public static SynthSummary Generate(SynthOptions options, string directory, ProgressReporter? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(directory);
        options.Validate();
        progress ??= ProgressReporter.Silent;
        var clock = Stopwatch.StartNew();
        System.IO.Directory.CreateDirectory(directory);
        var threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = cancellation };

        progress.Start("synth: catalog");
        var world = SynthWorld.Create(options with { Threads = threads });
        WriteCatalog(world, Path.Combine(directory, "catalog.jsonl"), parallel);
        cancellation.ThrowIfCancellationRequested();

        progress.Start("synth: requests");
        var model = new RequestModel(world);
        var files = new[] { "train.jsonl", "valid.jsonl", "test.jsonl", "truth.jsonl", "intents.jsonl" }
            .Select(f => new AtomicFile(Path.Combine(directory, f), 1 << 20)).ToArray();
        var totals = new[] { new SynthCounts(), new SynthCounts(), new SynthCounts() };
        long truthItems = 0, truthExact = 0;
        var dropped = new SynthCounts();
        try
        {
            var blocks = (int)((options.Requests + (long)options.BlockSize - 1) / options.BlockSize);
            // A window of blocks is generated in parallel, then written in order; outputs are reused.
            var window = threads * 4;
            var outputs = Enumerable.Range(0, window).Select(_ => new RequestBlockOutput()).ToArray();
            var generators = new System.Collections.Concurrent.ConcurrentBag<RequestGenerator>();
            for (var first = 0; first < blocks; first += window)
            {
                var count = Math.Min(window, blocks - first);
                Parallel.For(0, count, parallel, k =>
                {
                    if (!generators.TryTake(out var generator)) generator = new RequestGenerator(model);
                    generator.Generate(first + k, outputs[k]);
                    generators.Add(generator);
                });
                for (var k = 0; k < count; k++)
                {
                    var o = outputs[k];
                    for (var s = 0; s < 3; s++)
                    {
                        files[s].Stream.Write(o.Logs[s].Span);
                        totals[s].Add(o.Counts[s]);
                    }
                    files[3].Stream.Write(o.Truth.Span);
                    files[4].Stream.Write(o.Intents.Span);
                    truthItems += o.TruthItems;
                    dropped.Add(o.Dropped);
                    truthExact += o.TruthExact;
                }
                progress.Report(Math.Min(options.Requests, (long)(first + count) * options.BlockSize), options.Requests, "requests");
            }
            foreach (var f in files) f.Commit();
        }
        finally
        {
            foreach (var f in files) f.Dispose();
        }

        var summary = new SynthSummary(Path.GetFullPath(directory), world.Count, world.Taxonomy.Types.Count, world.BrandList.Count,
            totals[0], totals[1], totals[2], truthItems, truthExact, dropped.Requests, clock.Elapsed);
        WriteManifest(Path.Combine(directory, "manifest.json"), options, world, summary);
        progress.Line($"synth: wrote {Files.Count} files to {directory} in {clock.Elapsed.TotalSeconds:F1} s");
        return summary;
    }

    /// <summary>The catalog in parallel blocks, each serialised like <see cref="CatalogJsonlWriter"/> does, appended in order.</summary>
    private static void WriteCatalog(SynthWorld world, string path, ParallelOptions parallel)
    {
        using var file = new AtomicFile(path, 1 << 20);
        var blocks = (world.Count + SynthWorld.ItemBlock - 1) / SynthWorld.ItemBlock;
        var window = parallel.MaxDegreeOfParallelism * 2;
        var buffers = Enumerable.Range(0, window).Select(_ => new ArrayBufferWriter<byte>(1 << 20)).ToArray();
        for (var first = 0; first < blocks; first += window)
        {
            var count = Math.Min(window, blocks - first);
            Parallel.For(0, count, parallel, k =>
            {
                var buffer = buffers[k];
                buffer.ResetWrittenCount();
                using var json = new Utf8JsonWriter(buffer, JsonlWriting.Options);
                var start = (first + k) * SynthWorld.ItemBlock;
                var end = Math.Min(world.Count, start + SynthWorld.ItemBlock);
                for (var i = start; i < end; i++)
                {
                    JsonlWriting.WriteItem(json, Item(world, i));
                    json.Flush();
                    buffer.Write("\n"u8);
                    json.Reset(buffer);
                }
            });
            for (var k = 0; k < count; k++) file.Stream.Write(buffers[k].WrittenSpan);
        }
        file.Commit();
    }

    /// <summary>The catalog record of item i (attributes hold canonical values and the model number).</summary>
    public static CatalogItem Item(SynthWorld world, int i)
    {
        ArgumentNullException.ThrowIfNull(world);
        var taxonomy = world.Taxonomy;
        var family = taxonomy.Families[taxonomy.Types[world.Types[i]].Family];
        var attributes = new List<KeyValuePair<string, string>>(family.AttributeKinds.Count + 1);
        foreach (var kind in family.AttributeKinds)
        {
            var v = world.Attribute(i, kind);
            if (v >= 0) attributes.Add(new(taxonomy.Attributes[kind].Key, taxonomy.Attributes[kind].Values[v].Canonical));
        }
        attributes.Add(new("model", world.ModelName(i)));
        return new CatalogItem(Id(i), world.Titles[i], world.BrandList[world.Brands[i]].Name, world.Categories[i],
            world.Shops[world.ShopOf[i]].Name, attributes, world.Prices[i]);
    }

    /// <summary>The catalog id of item i.</summary>
    public static string Id(int item) => (RequestGenerator.IdBase + item).ToString(CultureInfo.InvariantCulture);

    private static void WriteManifest(string path, SynthOptions options, SynthWorld world, SynthSummary summary)
    {
        using var file = new AtomicFile(path);
        using (var json = new Utf8JsonWriter(file.Stream, new JsonWriterOptions { Indented = true, Encoder = JsonlWriting.Options.Encoder }))
        {
            json.WriteStartObject();
            json.WriteString("format", ManifestFormat);
            json.WriteNumber("version", ManifestVersion);
            json.WriteStartObject("options");
            foreach (var property in typeof(SynthOptions).GetProperties().OrderBy(p => p.Name, StringComparer.Ordinal))
            {
                if (property.Name == nameof(SynthOptions.Threads)) continue; // the output does not depend on it
                var value = property.GetValue(options);
                var name = JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name);
                switch (value)
                {
                    case null: json.WriteNull(name); break;
                    case IReadOnlyList<double> list:
                        json.WriteStartArray(name);
                        foreach (var v in list) json.WriteNumberValue(v);
                        json.WriteEndArray();
                        break;
                    case double d: json.WriteNumber(name, d); break;
                    case int n: json.WriteNumber(name, n); break;
                    case ulong u: json.WriteNumber(name, u); break;
                    case DateTimeOffset t: json.WriteString(name, t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)); break;
                    case SynthLanguage l: json.WriteString(name, l.ToString().ToLowerInvariant()); break;
                    default: json.WriteString(name, Convert.ToString(value, CultureInfo.InvariantCulture)); break;
                }
            }
            json.WriteEndObject();
            json.WriteStartObject("counts");
            json.WriteNumber("items", summary.Items);
            json.WriteNumber("departments", world.Taxonomy.Departments.Count);
            json.WriteNumber("product_families", world.Taxonomy.Families.Count);
            json.WriteNumber("product_types", summary.ProductTypes);
            json.WriteNumber("brands", summary.Brands);
            json.WriteNumber("truth_items", summary.TruthItems);
            json.WriteNumber("truth_exact_items", summary.TruthExactItems);
            json.WriteNumber("test_requests_not_written", summary.TestRequestsDropped);
            foreach (var (name, c) in new[] { ("train", summary.Train), ("valid", summary.Valid), ("test", summary.Test) })
            {
                json.WriteStartObject(name);
                json.WriteNumber("requests", c.Requests);
                json.WriteNumber("displayed", c.Displayed);
                json.WriteNumber("clicks", c.Clicks);
                json.WriteNumber("carts", c.Carts);
                json.WriteNumber("orders", c.Orders);
                json.WriteNumber("requests_with_order", c.RequestsWithOrder);
                json.WriteNumber("requests_with_action", c.RequestsWithClick);
                json.WriteStartArray("displayed_by_grade");
                foreach (var v in c.DisplayedByGrade) json.WriteNumberValue(v);
                json.WriteEndArray();
                json.WriteStartArray("acted_by_grade");
                foreach (var v in c.ActedByGrade) json.WriteNumberValue(v);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
            // Sizes let a reader notice a truncated or mixed-up folder.
            json.WriteStartObject("file_bytes");
            foreach (var name in Files.Where(f => f != "manifest.json"))
                json.WriteNumber(name, new FileInfo(Path.Combine(Path.GetDirectoryName(path)!, name)).Length);
            json.WriteEndObject();
            json.WriteStartArray("product_types");
            foreach (var t in world.Taxonomy.Types)
            {
                json.WriteStartObject();
                json.WriteString("name", t.Name);
                json.WriteString("zh", t.NameZh);
                json.WriteString("family", world.Taxonomy.Families[t.Family].Noun.Canonical);
                json.WriteString("department", world.Taxonomy.Departments[world.Taxonomy.Families[t.Family].Department].Name.Canonical);
                json.WriteNumber("items", world.ItemsByType[t.Index].Length);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        file.Stream.WriteByte((byte)'\n');
        file.Commit();
    }
}
