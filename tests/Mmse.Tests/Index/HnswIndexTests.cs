using Mmse.Data;
using Mmse.Index;
using Mmse.Numerics;

namespace Mmse.Tests.Index;

/// <summary>One clustered data set and its exact neighbours, shared by the index tests.</summary>
public sealed class AnnFixture
{
    public const int Dim = 32;
    public const int N = 10_000;
    public const int Queries = 200;
    public const int K = 10;

    public AnnFixture()
    {
        Base = SyntheticVectors.Clustered(N, Dim, 100, centreSeed: 11, seed: 12);
        Query = SyntheticVectors.Clustered(Queries, Dim, 100, centreSeed: 11, seed: 13);
        Flat = new FlatIndex(Base, Dim);
        Truth = Mmse.Retrieval.ExactPanelIndex.GroundTruth(Base, Dim, Query, K);
        Index = HnswIndex.Build(Base, Dim, null, Options);
    }

    public static HnswOptions Options { get; } = new() { M = 12, EfConstruction = 100, Threads = 1, Seed = 5 };

    public float[] Base { get; }

    public float[] Query { get; }

    public FlatIndex Flat { get; }

    public int[] Truth { get; }

    public HnswIndex Index { get; }

    private readonly Dictionary<int, HnswIndex> _byM = [];

    /// <summary>The index built with M = <paramref name="m"/> (built once, shared).</summary>
    public HnswIndex ForM(int m)
    {
        if (m == Options.M)
            return Index;
        lock (_byM)
        {
            if (!_byM.TryGetValue(m, out var index))
                _byM[m] = index = HnswIndex.Build(Base, Dim, null, Options with { M = m });
            return index;
        }
    }

    public ReadOnlySpan<float> Q(int i) => Query.AsSpan(i * Dim, Dim);

    public static double Recall(Func<int, IEnumerable<int>> found, Func<int, IEnumerable<int>> truth, int queries)
    {
        double hit = 0, total = 0;
        for (var q = 0; q < queries; q++)
        {
            var t = truth(q).Where(p => p >= 0).ToHashSet();
            hit += found(q).Count(t.Contains);
            total += t.Count;
        }
        return total == 0 ? 1 : hit / total;
    }

    public double Recall(HnswIndex index, int ef, AllowedSet? filter = null) => Recall(
        q => index.Search(Q(q), K, ef, filter).Select(h => h.Position),
        q => filter is null ? Truth.AsSpan(q * K, K).ToArray() : Flat.Search(Q(q), K, filter).Select(h => h.Position),
        Queries);
}

public class HnswIndexTests(AnnFixture f) : IClassFixture<AnnFixture>
{
    [Theory]
    [InlineData(8, 32, 0.85)]
    [InlineData(8, 128, 0.97)]
    [InlineData(16, 32, 0.90)]
    [InlineData(16, 128, 0.98)]
    public void Recall_at_10_against_brute_force_is_above_the_threshold(int m, int ef, double threshold)
    {
        var recall = f.Recall(f.ForM(m), ef);
        Assert.True(recall >= threshold, $"M={m} ef={ef}: recall@10 {recall:F4} < {threshold}");
    }

    [Fact]
    public void Default_index_reaches_high_recall_and_scores_are_exact_inner_products()
    {
        Assert.True(f.Recall(f.Index, 64) >= 0.95);
        var hits = f.Index.Search(f.Q(0), 10, 64);
        foreach (var h in hits)
            Assert.Equal(VectorKernels.DotReference(f.Q(0), f.Flat.Vector(h.Position)), h.Score, 4);
        Assert.Equal(hits.OrderByDescending(h => h.Score).Select(h => h.Position), hits.Select(h => h.Position));
    }

    [Fact]
    public void Parallel_build_reaches_the_same_recall()
    {
        using var index = HnswIndex.Build(f.Base, AnnFixture.Dim, null, AnnFixture.Options with { Threads = 2 });
        Assert.True(f.Recall(index, 64) >= 0.95);
    }

    [Fact]
    public void Single_thread_build_with_a_seed_writes_identical_bytes()
    {
        using var dir = new TempDir();
        var data = f.Base.AsSpan(0, 3000 * AnnFixture.Dim);
        using (var a = HnswIndex.Build(data, AnnFixture.Dim, null, AnnFixture.Options with { Seed = 9 }))
            a.Save(dir.File("a.idx"));
        using (var b = HnswIndex.Build(data, AnnFixture.Dim, null, AnnFixture.Options with { Seed = 9 }))
            b.Save(dir.File("b.idx"));
        using (var c = HnswIndex.Build(data, AnnFixture.Dim, null, AnnFixture.Options with { Seed = 10 }))
            c.Save(dir.File("c.idx"));
        Assert.Equal(File.ReadAllBytes(dir.File("a.idx")), File.ReadAllBytes(dir.File("b.idx")));
        Assert.NotEqual(File.ReadAllBytes(dir.File("a.idx")), File.ReadAllBytes(dir.File("c.idx")));
    }

    [Fact]
    public void Int8_traversal_with_rescoring_loses_at_most_a_hundredth_of_recall_and_quarters_vector_memory()
    {
        using var q8 = HnswIndex.Build(f.Base, AnnFixture.Dim, null, AnnFixture.Options with { Quantization = VectorQuantization.Int8 });
        foreach (var ef in new[] { 10, 32, 64 })
        {
            var loss = f.Recall(f.Index, ef) - f.Recall(q8, ef);
            Assert.True(loss <= 0.01, $"ef={ef}: int8 loses {loss:F4}");
        }
        Assert.Equal(q8.FloatVectorBytes / 4, q8.CodeBytes);
        // Scores returned are exact (re-scored from float vectors).
        foreach (var h in q8.Search(f.Q(1), 10, 64))
            Assert.Equal(VectorKernels.DotReference(f.Q(1), f.Flat.Vector(h.Position)), h.Score, 4);
    }

    [Fact]
    public void Saved_index_opens_memory_mapped_and_gives_equal_results()
    {
        using var dir = new TempDir();
        var ids = Enumerable.Range(0, 2000).Select(i => $"item-{i}-é").ToList();
        using var built = HnswIndex.Build(f.Base.AsSpan(0, 2000 * AnnFixture.Dim), AnnFixture.Dim, ids, AnnFixture.Options with { Quantization = VectorQuantization.Int8 });
        built.Save(dir.File("x.idx"));
        Assert.Equal(built.SizeBytes, new FileInfo(dir.File("x.idx")).Length);
        using var opened = HnswIndex.Open(dir.File("x.idx"));
        Assert.True(opened.IsMemoryMapped);
        Assert.Equal(built.Count, opened.Count);
        Assert.Equal(AnnFixture.Dim, opened.Dim);
        Assert.Equal(VectorQuantization.Int8, opened.Options.Quantization);
        for (var q = 0; q < 50; q++)
            Assert.Equal(built.Search(f.Q(q), 10, 40), opened.Search(f.Q(q), 10, 40));
        Assert.Equal("item-7-é", opened.IdAt(7));

        // Opening maps the file: the managed allocations are a small constant, not the file.
        HnswIndex.Open(dir.File("x.idx"), verifyChecksum: false).Dispose(); // warm up the code path
        var before = GC.GetAllocatedBytesForCurrentThread();
        var again = HnswIndex.Open(dir.File("x.idx"));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        using (again)
            Assert.Equal(built.Search(f.Q(0), 10, 40), again.Search(f.Q(0), 10, 40));
        Assert.True(allocated < 16 * 1024, $"open allocated {allocated} managed bytes for a {new FileInfo(dir.File("x.idx")).Length}-byte file");
        Assert.Equal(7, opened.PositionOf("item-7-é"));
    }

    [Fact]
    public void An_index_opens_through_a_symbolic_link()
    {
        using var dir = new TempDir();
        using var built = HnswIndex.Build(f.Base.AsSpan(0, 500 * AnnFixture.Dim), AnnFixture.Dim, null, AnnFixture.Options);
        built.Save(dir.File("real.idx"));
        File.CreateSymbolicLink(dir.File("link.idx"), dir.File("real.idx"));
        using var opened = HnswIndex.Open(dir.File("link.idx"));
        Assert.Equal(500, opened.Count);
        Assert.Equal(built.Search(f.Q(3), 10, 40), opened.Search(f.Q(3), 10, 40));
    }

    [Fact]
    public void Flipped_byte_truncation_and_foreign_files_are_refused_clearly()
    {
        using var dir = new TempDir();
        using (var built = HnswIndex.Build(f.Base.AsSpan(0, 500 * AnnFixture.Dim), AnnFixture.Dim, null, AnnFixture.Options))
            built.Save(dir.File("good.idx"));
        var good = File.ReadAllBytes(dir.File("good.idx"));
        using (HnswIndex.Open(dir.File("good.idx"))) { }

        foreach (var at in new[] { 300, good.Length / 2, good.Length - 20 })
        {
            var bad = (byte[])good.Clone();
            bad[at] ^= 0x10;
            File.WriteAllBytes(dir.File("flip.idx"), bad);
            var e = Assert.Throws<MmseArtifactException>(() => HnswIndex.Open(dir.File("flip.idx")));
            Assert.Contains("flip.idx", e.Message, StringComparison.Ordinal);
            Assert.Contains("corrupt", e.Message, StringComparison.Ordinal);
        }

        File.WriteAllBytes(dir.File("short.idx"), good.AsSpan(0, good.Length - 100).ToArray());
        Assert.Contains("truncated", Assert.Throws<MmseArtifactException>(() => HnswIndex.Open(dir.File("short.idx"))).Message, StringComparison.Ordinal);
        File.WriteAllBytes(dir.File("tiny.idx"), good.AsSpan(0, 12).ToArray());
        Assert.Contains("truncated", Assert.Throws<MmseArtifactException>(() => HnswIndex.Open(dir.File("tiny.idx"))).Message, StringComparison.Ordinal);

        Vectors.WriteFvecs(dir.File("v.fvecs"), f.Base.AsSpan(0, 64), AnnFixture.Dim);
        Assert.Contains("not an Mmse HNSW index", Assert.Throws<MmseArtifactException>(() => HnswIndex.Open(dir.File("v.fvecs"))).Message, StringComparison.Ordinal);
        File.WriteAllBytes(dir.File("empty.idx"), []);
        Assert.Contains("not an Mmse HNSW index", Assert.Throws<MmseArtifactException>(() => HnswIndex.Open(dir.File("empty.idx"))).Message, StringComparison.Ordinal);

        var newer = (byte[])good.Clone();
        newer[8] = 9;
        File.WriteAllBytes(dir.File("newer.idx"), newer);
        Assert.Contains("format version 9", Assert.Throws<MmseArtifactException>(() => HnswIndex.Open(dir.File("newer.idx"))).Message, StringComparison.Ordinal);

        // Without the checksum a flipped payload byte may go unnoticed, but opening and searching stay safe.
        var payload = (byte[])good.Clone();
        payload[good.Length / 2] ^= 0xFF;
        File.WriteAllBytes(dir.File("unchecked.idx"), payload);
        using var loose = HnswIndex.Open(dir.File("unchecked.idx"), verifyChecksum: false);
        Assert.Equal(10, loose.Search(f.Q(0), 10, 32).Length);
    }

    [Fact]
    public void Deleted_items_are_never_returned_and_compaction_keeps_recall()
    {
        using var index = HnswIndex.Build(f.Base.AsSpan(0, 4000 * AnnFixture.Dim), AnnFixture.Dim, null, AnnFixture.Options with { CompactDeletedFraction = 0.3 });
        var random = new Random(3);
        var deleted = new HashSet<string>();
        // Delete the exact neighbours of the first queries too, so deletions matter to the results.
        for (var q = 0; q < 20; q++)
        {
            foreach (var h in index.Search(f.Q(q), 3, 64))
                deleted.Add(h.Id);
        }
        while (deleted.Count < 800)
            deleted.Add(random.Next(4000).ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var id in deleted)
            Assert.True(index.Delete(id));
        Assert.False(index.Delete(deleted.First()));
        Assert.Equal(800, index.DeletedCount);
        Assert.Equal(-1, index.PositionOf(deleted.First()));
        for (var q = 0; q < AnnFixture.Queries; q++)
            Assert.DoesNotContain(index.Search(f.Q(q), 10, 64), h => deleted.Contains(h.Id));

        // Past the threshold the index compacts: tombstones gone, positions renumbered, still correct.
        while (deleted.Count < 1300)
        {
            var id = random.Next(4000).ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (deleted.Add(id))
                index.Delete(id);
        }
        Assert.True(index.Count < 4000);
        Assert.Equal(4000 - 1300, index.LiveCount);
        var live = Enumerable.Range(0, 4000).Where(i => !deleted.Contains(i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray();
        var flat = new FlatIndex(live.SelectMany(i => f.Base.AsSpan(i * AnnFixture.Dim, AnnFixture.Dim).ToArray()).ToArray(), AnnFixture.Dim,
            [.. live.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        var recall = AnnFixture.Recall(
            q => index.Search(f.Q(q), 10, 64).Select(h => int.Parse(h.Id, System.Globalization.CultureInfo.InvariantCulture)),
            q => flat.Search(f.Q(q), 10).Select(h => int.Parse(h.Id, System.Globalization.CultureInfo.InvariantCulture)),
            AnnFixture.Queries);
        Assert.True(recall >= 0.95, $"recall after compaction {recall:F4}");
        for (var q = 0; q < AnnFixture.Queries; q++)
            Assert.DoesNotContain(index.Search(f.Q(q), 10, 64), h => deleted.Contains(h.Id));
    }

    [Fact]
    public void Items_added_after_build_are_found_also_after_save_and_open()
    {
        using var dir = new TempDir();
        var first = 3000;
        using (var index = HnswIndex.Build(f.Base.AsSpan(0, first * AnnFixture.Dim), AnnFixture.Dim, null, AnnFixture.Options))
            index.Save(dir.File("base.idx"));
        using var opened = HnswIndex.Open(dir.File("base.idx"));
        for (var i = first; i < 4000; i++)
            opened.Add(f.Base.AsSpan(i * AnnFixture.Dim, AnnFixture.Dim), i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.False(opened.IsMemoryMapped);
        Assert.Equal(4000, opened.Count);
        for (var i = first; i < 4000; i += 50)
            Assert.Equal(i, opened.Search(f.Base.AsSpan(i * AnnFixture.Dim, AnnFixture.Dim), 1, 64)[0].Position);
        var flat = new FlatIndex(f.Base.AsSpan(0, 4000 * AnnFixture.Dim), AnnFixture.Dim);
        var recall = AnnFixture.Recall(q => opened.Search(f.Q(q), 10, 64).Select(h => h.Position), q => flat.Search(f.Q(q), 10).Select(h => h.Position), AnnFixture.Queries);
        Assert.True(recall >= 0.95, $"recall {recall:F4}");

        // Re-adding an existing id replaces it.
        var replacement = f.Base.AsSpan(0, AnnFixture.Dim);
        var p = opened.Add(replacement, "3500");
        Assert.True(opened.IsDeleted(3500));
        Assert.Equal(p, opened.PositionOf("3500"));
        opened.Save(dir.File("grown.idx"));
        using var again = HnswIndex.Open(dir.File("grown.idx"));
        Assert.Equal(opened.Search(f.Q(3), 10, 64), again.Search(f.Q(3), 10, 64));
    }

    [Fact]
    public void Filtered_results_all_satisfy_the_filter_and_match_exact_filtered_search()
    {
        var random = new Random(4);
        var broad = AllowedSet.FromPredicate(AnnFixture.N, _ => random.NextDouble() < 0.3);
        var moderate = AllowedSet.FromPredicate(AnnFixture.N, p => p % 20 == 3);  // 5%: traversal
        var tight = AllowedSet.FromPredicate(AnnFixture.N, p => p % 500 == 7);    // 0.2%: exact
        // Correlated with the clusters (one cluster's worth of the nearest items of query 0): the hard case.
        var cluster = AllowedSet.FromPositions(AnnFixture.N, f.Flat.Search(f.Q(0), 400).Select(h => h.Position));
        foreach (var (filter, threshold) in new[] { (broad, 0.95), (moderate, 0.9), (tight, 0.999), (cluster, 0.9) })
        {
            for (var q = 0; q < AnnFixture.Queries; q++)
                Assert.All(f.Index.Search(f.Q(q), 10, 64, filter), h => Assert.True(filter.Contains(h.Position)));
            var recall = f.Recall(f.Index, 64, filter);
            Assert.True(recall >= threshold, $"filter with {filter.AllowedCount} allowed: recall {recall:F4} < {threshold}");
        }
        var none = new AllowedSet(AnnFixture.N);
        Assert.Empty(f.Index.Search(f.Q(0), 10, 64, none));
    }

    [Fact]
    public void Multi_head_search_matches_exact_fused_search()
    {
        const int heads = 2;
        var headVectors = SyntheticVectors.Clustered(AnnFixture.Queries * heads, AnnFixture.Dim, 100, centreSeed: 11, seed: 21);
        var filter = AllowedSet.FromPredicate(AnnFixture.N, p => p % 2 == 0);
        foreach (var fl in new[] { null, filter })
        {
            var recall = AnnFixture.Recall(
                q => f.Index.SearchMultiHead(headVectors.AsSpan(q * heads * AnnFixture.Dim, heads * AnnFixture.Dim), heads, 0.1f, 10, 64, fl).Select(h => h.Position),
                q => f.Flat.SearchMultiHead(headVectors.AsSpan(q * heads * AnnFixture.Dim, heads * AnnFixture.Dim), heads, 0.1f, 10, fl).Select(h => h.Position),
                AnnFixture.Queries);
            Assert.True(recall >= 0.95, $"multi-head recall {recall:F4}");
        }
        var hit = f.Index.SearchMultiHead(headVectors.AsSpan(0, heads * AnnFixture.Dim), heads, 0.1f, 5, 64)[0];
        Assert.Equal(heads, hit.HeadScores.Length);
        Assert.Equal(Mmse.Numerics.PostFusion.Fuse(hit.HeadScores, 0.1f), hit.Score, 5);
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => f.Index.Search(new float[5], 10));
        Assert.Throws<MmseInputException>(() => HnswIndex.Build(new float[64], 32, ["a", "a"]));
        Assert.Throws<ArgumentOutOfRangeException>(() => HnswIndex.Build(new float[64], 32, null, new HnswOptions { M = 1 }));
        using var empty = HnswIndex.Build([], 8, null);
        Assert.Empty(empty.Search(new float[8], 5));
        var disposed = HnswIndex.Build(new float[64], 32, ["a", "b"]);
        disposed.Dispose();
        Assert.Throws<ObjectDisposedException>(() => disposed.Search(new float[32], 1));
        Assert.Throws<ObjectDisposedException>(() => disposed.IdAt(0));
        Assert.Throws<ObjectDisposedException>(() => disposed.PositionOf("a"));
    }
}

public class HnswUpdateTests
{
    [Fact]
    public void Add_returns_the_position_after_a_compaction_it_triggered()
    {
        var data = SyntheticVectors.Clustered(300, 8, 5, 1, 2);
        using var index = HnswIndex.Build(data.AsSpan(0, 200 * 8), 8, null, new HnswOptions { M = 8, EfConstruction = 32, Threads = 1, CompactDeletedFraction = 0.1 });
        for (var i = 0; i < 20; i++)
            index.Delete(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(20, index.DeletedCount);
        // Replacing one more live id crosses the threshold: the index compacts inside Add.
        var p = index.Add(data.AsSpan(250 * 8, 8), "150");
        Assert.Equal(0, index.DeletedCount);
        Assert.Equal(180, index.Count);
        Assert.Equal("150", index.IdAt(p));
        Assert.Equal(p, index.Search(data.AsSpan(250 * 8, 8), 1, 32)[0].Position);
    }
}

public class HnswConcurrencyTests
{
    [Fact]
    public async Task Searches_run_safely_while_items_are_added_and_deleted()
    {
        const int dim = 16;
        var data = SyntheticVectors.Clustered(3000, dim, 20, 1, 2);
        using var index = HnswIndex.Build(data.AsSpan(0, 2000 * dim), dim, null, new HnswOptions { M = 8, EfConstruction = 64, Threads = 1, CompactDeletedFraction = 1 });
        using var stop = new CancellationTokenSource();
        var searched = 0;
        var readers = Enumerable.Range(0, 2).Select(t => Task.Run(() =>
        {
            var q = 0;
            while (!stop.IsCancellationRequested)
            {
                var hits = index.Search(data.AsSpan((q++ % 3000) * dim, dim), 10, 32);
                Assert.Equal(10, hits.Length);
                Assert.All(hits, h => Assert.False(h.Id.StartsWith('x')));
                Interlocked.Increment(ref searched);
            }
        })).ToArray();
        // Start writing only once both readers are searching.
        while (Volatile.Read(ref searched) < 2)
            await Task.Delay(1);
        for (var i = 2000; i < 3000; i++)
        {
            if (i % 100 == 0)
                await Task.Yield();
            index.Add(data.AsSpan(i * dim, dim), i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (i % 10 == 0)
                index.Delete((i - 2000).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        stop.Cancel();
        await Task.WhenAll(readers);
        Assert.True(searched > 0);
        Assert.Equal(3000, index.Count);
        Assert.Equal(100, index.DeletedCount);
        Assert.Equal(2500, index.Search(data.AsSpan(2500 * dim, dim), 1, 32)[0].Position);
    }
}
