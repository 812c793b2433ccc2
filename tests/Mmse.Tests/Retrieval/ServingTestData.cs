using Mmse.Data;
using Mmse.Retrieval;

namespace Mmse.Tests.Retrieval;

internal static class ServingTestData
{
    public static Catalog Catalog(int count = 5)
    {
        var builder = new CatalogBuilder();
        string[] categories = ["Tools > Hardware", "Tools > Hardware > Hinges", "Tools > Hardwareish", "Furniture > Sofas", "Grocery"];
        for (var i = 0; i < count; i++)
        {
            builder.TryAdd(new CatalogItem($"id{i}", $"item {i} title", i % 2 == 0 ? "HardCo" : "HomeLine", categories[i % categories.Length],
                Attributes: i % 3 == 0 ? [new("color", i % 2 == 0 ? "Grey" : "black")] : null));
        }
        return builder.Build();
    }

    /// <summary>Random vectors [count, dim] from a seeded generator.</summary>
    public static float[] RandomVectors(int count, int dim, int seed)
    {
        var random = new Random(seed);
        var v = new float[count * dim];
        for (var i = 0; i < v.Length; i++)
            v[i] = (float)(random.NextDouble() * 2 - 1);
        return v;
    }

    /// <summary>An engine over random item vectors and a fixed encoder that ignores its text.</summary>
    public static SearchEngine Engine(int count = 5, int dim = 8, string version = "v1") =>
        new(new FixedEncoder(dim, version), new ExactItemIndex(RandomVectors(count, dim, 1), dim), Catalog(count));

    /// <summary>An encoder that returns the same two unit heads for any text.</summary>
    public sealed class FixedEncoder(int dim, string version) : IQueryEncoder, IDisposable
    {
        public int Heads => 2;

        public int Dim => dim;

        public float Beta => 0.1f;

        public string Version => version;

        public bool Disposed { get; private set; }

        public void EncodeQuery(string text, Span<float> destination)
        {
            destination.Clear();
            destination[0] = 1;
            destination[dim + 1] = 1;
        }

        public void Dispose() => Disposed = true;
    }
}
