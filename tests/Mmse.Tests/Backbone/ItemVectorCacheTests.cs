using Mmse.Backbone;
using Mmse.Internals;

namespace Mmse.Tests.Backbone;

public sealed class ItemVectorCacheTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mmse-bvc-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static float[] Vectors(int count, float seed)
    {
        var v = new float[count * 384];
        for (var i = 0; i < v.Length; i++) v[i] = seed + i * 1e-3f;
        return v;
    }

    [Fact]
    public void Vectors_survive_reopening_keyed_by_text()
    {
        var path = Path.Combine(_dir, "a.bvc");
        using (var cache = ItemVectorCache.Open(path, BackboneModel.ArcticXs))
        {
            cache.Add(["drill", "saw"], Vectors(2, 1));
            cache.Add(["hammer"], Vectors(1, 5));
        }
        using var reopened = ItemVectorCache.Open(path, BackboneModel.ArcticXs, create: false);
        Assert.Equal(3, reopened.Count);
        var v = new float[384];
        Assert.True(reopened.TryGet("saw", v));
        Assert.Equal(Vectors(2, 1).AsSpan(384, 384).ToArray(), v);
        Assert.True(reopened.TryGet("hammer", v));
        Assert.Equal(5f, v[0]);
        Assert.False(reopened.TryGet("Saw", v));
    }

    [Fact]
    public void A_torn_last_chunk_is_dropped_and_the_rest_kept()
    {
        var path = Path.Combine(_dir, "torn.bvc");
        using (var cache = ItemVectorCache.Open(path, BackboneModel.ArcticXs))
        {
            cache.Add(["drill"], Vectors(1, 1));
            cache.Add(["saw", "hammer"], Vectors(2, 2));
        }
        var full = new FileInfo(path).Length;
        using (var f = new FileStream(path, FileMode.Open)) f.SetLength(full - 100); // a run killed mid-write
        using (var resumed = ItemVectorCache.Open(path, BackboneModel.ArcticXs))
        {
            Assert.Equal(1, resumed.Count);
            resumed.Add(["saw"], Vectors(1, 3));
        }
        using var again = ItemVectorCache.Open(path, BackboneModel.ArcticXs);
        Assert.Equal(2, again.Count);
    }

    [Fact]
    public void Corrupt_foreign_missing_and_mismatched_files_are_refused_clearly()
    {
        var path = Path.Combine(_dir, "c.bvc");
        using (var cache = ItemVectorCache.Open(path, BackboneModel.ArcticXs))
            cache.Add(["drill"], Vectors(1, 1));
        var bytes = File.ReadAllBytes(path);
        bytes[^20] ^= 0x40;
        File.WriteAllBytes(path, bytes);
        var corrupt = Assert.Throws<MmseArtifactException>(() => ItemVectorCache.Open(path, BackboneModel.ArcticXs));
        Assert.Contains("corrupt file (checksum mismatch in chunk 0)", corrupt.Message, StringComparison.Ordinal);

        var other = Path.Combine(_dir, "m.bvc");
        ItemVectorCache.Open(other, BackboneModel.MiniLm).Dispose();
        var mismatch = Assert.Throws<MmseArtifactException>(() => ItemVectorCache.Open(other, BackboneModel.ArcticXs));
        Assert.Contains("holds backbone 'minilm' vectors", mismatch.Message, StringComparison.Ordinal);

        var foreign = Path.Combine(_dir, "f.bvc");
        File.WriteAllText(foreign, "{\"id\": 1}\n");
        Assert.Contains("not an Mmse vector cache", Assert.Throws<MmseArtifactException>(() => ItemVectorCache.Open(foreign, BackboneModel.ArcticXs)).Message, StringComparison.Ordinal);

        var missing = Assert.Throws<MmseInputException>(() => ItemVectorCache.Open(Path.Combine(_dir, "none.bvc"), BackboneModel.ArcticXs, create: false));
        Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_new_or_changed_titles_are_encoded()
    {
        using var encoder = BackboneEncoder.Load("minilm", new BackboneOptions { Threads = 1 });
        var path = Path.Combine(_dir, "e.bvc");
        string[] titles = ["Cordless drill", "Hammer", "Cordless drill", "Wood screws"];
        var first = new float[titles.Length * 384];
        using (var cache = ItemVectorCache.Open(path, encoder.Model))
            Assert.Equal(3, cache.GetOrEncode(encoder, titles, first, chunk: 2));
        titles[1] = "Claw hammer";
        var second = new float[titles.Length * 384];
        using (var cache = ItemVectorCache.Open(path, encoder.Model))
            Assert.Equal(1, cache.GetOrEncode(encoder, titles, second));
        Assert.Equal(first.AsSpan(0, 384).ToArray(), second.AsSpan(0, 384).ToArray());
        Assert.Equal(first.AsSpan(0, 384).ToArray(), second.AsSpan(2 * 384, 384).ToArray());
        var fresh = new float[384];
        encoder.EncodeItems(["Claw hammer"], fresh);
        Assert.Equal(fresh, second.AsSpan(384, 384).ToArray());
    }

    [Fact]
    public void A_killed_encode_reports_progress_and_resumes_without_redoing_finished_chunks()
    {
        using var encoder = BackboneEncoder.Load("minilm", new BackboneOptions { Threads = 1 });
        var path = Path.Combine(_dir, "k.bvc");
        var titles = Enumerable.Range(0, 7).Select(i => $"product {i} cordless drill").ToArray();
        var reports = new List<int>();
        var destination = new float[titles.Length * 384];
        using (var cache = ItemVectorCache.Open(path, encoder.Model))
        {
            // The run is "killed" by a progress callback that throws after the second chunk is on disk.
            var progress = new SyncProgress(n =>
            {
                reports.Add(n);
                if (n >= 4) throw new OperationCanceledException("killed");
            });
            Assert.Throws<OperationCanceledException>(() => cache.GetOrEncode(encoder, titles, destination, chunk: 2, progress));
        }
        Assert.Equal([2, 4], reports);
        var resumed = new float[titles.Length * 384];
        using (var cache = ItemVectorCache.Open(path, encoder.Model))
        {
            Assert.Equal(4, cache.Count);
            reports.Clear();
            Assert.Equal(3, cache.GetOrEncode(encoder, titles, resumed, chunk: 2, new SyncProgress(reports.Add)));
        }
        Assert.Equal([2, 3], reports);
        var fresh = new float[titles.Length * 384];
        encoder.EncodeItems(titles, fresh);
        Assert.True(fresh.Zip(resumed).Max(p => Math.Abs(p.First - p.Second)) < 1e-5f);
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
