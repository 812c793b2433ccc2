using System.Text;
using Mmse.Data;

namespace Mmse.Tests.Data;

public class IdIndexTests
{
    [Fact]
    public void Agrees_with_a_dictionary_for_every_length_and_for_absent_ids()
    {
        var random = new Random(7);
        const string alphabet = "0123456789abcXYZ-_é水";
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var length = 1; length <= 40; length++)
        {
            for (var k = 0; k < 50; k++)
                ids.Add(new string(Enumerable.Range(0, length).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray()));
        }
        var list = ids.ToList();
        var reference = list.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i, StringComparer.Ordinal);
        var index = new IdIndex(list);

        foreach (var id in list)
        {
            Assert.Equal(reference[id], index.IndexOf(id.AsSpan()));
            Assert.Equal(reference[id], index.IndexOf(Encoding.UTF8.GetBytes(id)));
        }
        for (var k = 0; k < 2000; k++)
        {
            var probe = new string(Enumerable.Range(0, random.Next(0, 42)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
            Assert.Equal(reference.GetValueOrDefault(probe, -1), index.IndexOf(probe.AsSpan()));
        }
        Assert.Equal(-1, index.IndexOf(new string('x', 400).AsSpan())); // rented buffer path
        Assert.Equal(-1, new IdIndex([]).IndexOf("a".AsSpan()));
    }

    [Fact]
    public void Catalog_lookups_go_through_it()
    {
        var builder = new CatalogBuilder();
        builder.TryAdd(new CatalogItem("100001", "a"));
        builder.TryAdd(new CatalogItem("é", "b"));
        Assert.False(builder.TryAdd(new CatalogItem("100001", "dup")));
        var catalog = builder.Build();
        Assert.Equal(0, catalog.IndexOf("100001"));
        Assert.Equal(1, catalog.IndexOf("é".AsSpan()));
        Assert.Equal(1, catalog.IndexOfUtf8("é"u8));
        Assert.Equal(-1, catalog.IndexOf("100002"));
    }

    [Fact]
    public void Duplicate_ids_are_refused() =>
        Assert.Throws<ArgumentException>(() => new IdIndex(["a", "b", "a"]));
}

public class IdIndexBatchTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(100)]
    public void Batch_lookup_agrees_with_single_lookups(int count)
    {
        var random = new Random(count);
        var ids = Enumerable.Range(0, 500).Select(i => $"{i * 7919 % 100003}-{new string('x', i % 13)}").Distinct().ToList();
        var index = new IdIndex(ids);
        var probes = Enumerable.Range(0, count).Select(_ => random.Next(4) == 0 ? $"missing{random.Next(100)}" : ids[random.Next(ids.Count)]).ToList();
        var source = Encoding.UTF8.GetBytes(string.Concat(probes));
        var starts = new int[count];
        var lengths = new int[count];
        for (int k = 0, at = 0; k < count; k++)
        {
            starts[k] = at;
            lengths[k] = Encoding.UTF8.GetByteCount(probes[k]);
            at += lengths[k];
        }
        if (count > 0)
            lengths[count / 2] = -1; // skipped: keeps its value
        var results = Enumerable.Repeat(-7, count).ToArray();

        index.IndexOfMany(source, starts, lengths, results);

        for (var k = 0; k < count; k++)
            Assert.Equal(lengths[k] < 0 ? -7 : index.IndexOf(probes[k].AsSpan()), results[k]);
    }
}
