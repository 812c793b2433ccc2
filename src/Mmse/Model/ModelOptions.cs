using System.Text.Json.Serialization;
using Mmse.Backbone;
using Mmse.Internals;
using Mmse.Text;

namespace Mmse.Model;

/// <summary>The architecture of DESIGN §4. Every default is the reference configuration.</summary>
public sealed record ModelOptions
{
    public static ModelOptions Default { get; } = new();

    /// <summary>Hash buckets B of the shared embedding table. Default 2^20.</summary>
    public int Buckets { get; init; } = 1 << 20;

    /// <summary>Tokeniser hash seed. Default 0.</summary>
    public ulong HashSeed { get; init; }

    /// <summary>Mix the field name into token hashes (fields stop sharing one token space). Default false.</summary>
    public bool FieldMixing { get; init; }

    /// <summary>Embedding dimension E. Default 64.</summary>
    public int EmbeddingDim { get; init; } = 64;

    /// <summary>Width of the hidden dense layer of both towers. Default 128.</summary>
    public int Hidden { get; init; } = 128;

    /// <summary>Query heads K. Default 2 (1 is a plain two-tower model).</summary>
    public int Heads { get; init; } = 2;

    /// <summary>Output dimension d of each head and of the item vector. Default 64.</summary>
    public int Dim { get; init; } = 64;

    /// <summary>Post-fusion temperature beta. Default 0.1.</summary>
    public float Beta { get; init; } = 0.1f;

    /// <summary>Ablation: average the heads, then one cosine (instead of post-fusion). Default false.</summary>
    public bool PreFusion { get; init; }

    /// <summary>Item text fields, each mean-pooled and concatenated: title, brand, category, shop, attributes. Default title, brand, category.</summary>
    public IReadOnlyList<string> ItemFields { get; init; } = ["title", "brand", "category"];

    /// <summary>Standard deviation of the N(0, s) embedding initialisation. Default 0.1.</summary>
    public float EmbeddingInitStd { get; init; } = 0.1f;

    /// <summary>Seed of the weight initialisation. Default 1.</summary>
    public ulong InitSeed { get; init; } = 1;

    /// <summary>
    /// The frozen pretrained sentence encoder whose vectors enter both towers beside the hashed
    /// tokens (<see cref="BackboneModel.Known"/>: "arctic-xs", "minilm"); null (written "none") for
    /// the hashed towers alone. With a backbone the towers are residual adapters over its vectors
    /// and <see cref="Dim"/> is the backbone's dimension (docs/model.md, "Backbone"). Default null here;
    /// <c>mmse train</c> and <c>mmse experiment</c> default to <see cref="CliDefaultBackbone"/>.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Backbone { get; init; }

    /// <summary>The backbone of the command line's default (chosen by measurement, docs/experiments.md).</summary>
    public const string CliDefaultBackbone = "arctic-xs";

    /// <summary>Word analysis of the hashed tokeniser: plain (spec v1) or English (stop words, Snowball stemming). Default plain.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public TextAnalysis Analysis { get; init; }

    /// <summary>True when a backbone feeds the towers.</summary>
    [JsonIgnore]
    public bool HasBackbone => Backbone is not null;

    /// <summary>
    /// These options with <paramref name="name"/> as the backbone ("none" or null for none). Training
    /// resolves d to the backbone's dimension (<see cref="ResolveBackbone"/>).
    /// </summary>
    public ModelOptions WithBackbone(string? name) =>
        name is null || name == "none" ? this with { Backbone = null } : this with { Backbone = BackboneModel.Get(name).Name };

    /// <summary>With a backbone, d is the backbone's dimension whatever was asked (the adapters are residual).</summary>
    public ModelOptions ResolveBackbone() => Backbone is null ? this : this with { Dim = BackboneModel.Get(Backbone).Dimension };

    public static readonly IReadOnlyList<string> KnownFields = ["title", "brand", "category", "shop", "attributes"];

    public TokenizerOptions Tokenizer => new() { Buckets = Buckets, Seed = HashSeed, FieldMixing = FieldMixing, Analysis = Analysis };

    /// <summary>Throws <see cref="MmseInputException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        static void Check(bool ok, string message)
        {
            if (!ok) ThrowHelper.Input(message);
        }
        Check(Buckets >= 1, $"'buckets':{Buckets} must be at least 1");
        Check(EmbeddingDim >= 1 && EmbeddingDim <= 4096, $"'embedding-dim':{EmbeddingDim} must be in [1, 4096]");
        Check(Hidden >= 1 && Hidden <= 8192, $"'hidden':{Hidden} must be in [1, 8192]");
        Check(Heads >= 1 && Heads <= 64, $"'heads':{Heads} must be in [1, 64]");
        Check(Dim >= 1 && Dim <= 4096, $"'dim':{Dim} must be in [1, 4096]");
        Check(Beta > 0 && float.IsFinite(Beta), $"'beta':{Beta} must be positive");
        Check(ItemFields.Count >= 1, "'item-fields' must name at least one field");
        foreach (var f in ItemFields)
            Check(KnownFields.Contains(f), $"'item-fields': unknown field '{f}' (expected {string.Join(", ", KnownFields)})");
        if (Backbone is not null)
        {
            var known = BackboneModel.Known.FirstOrDefault(b => b.Name == Backbone);
            Check(known is not null, $"'backbone': unknown backbone '{Backbone}' (expected none, {string.Join(", ", BackboneModel.Known.Select(b => b.Name))})");
            Check(known is null || Dim == known.Dimension, $"'dim':{Dim} must be the backbone's dimension {known?.Dimension} with 'backbone' {Backbone}");
        }
        Check((long)Buckets * EmbeddingDim <= int.MaxValue, $"'buckets' x 'embedding-dim' = {(long)Buckets * EmbeddingDim} exceeds {int.MaxValue}");
    }
}
