namespace Mmse.Synthesis;

/// <summary>
/// What a shopper really wants: a product type, optionally a brand, up to two attribute
/// values, a price ceiling, or one product's model number. The query is a noisy rendering of it.
/// </summary>
public readonly record struct SynthIntent(int Type, int Brand, int Kind1, int Value1, int Kind2, int Value2, float MaxPrice, int Model)
{
    /// <summary>An intent for a type with no constraints.</summary>
    public static SynthIntent ForType(int type) => new(type, -1, -1, -1, -1, -1, float.NaN, -1);

    /// <summary>Number of stated constraints.</summary>
    public int Constraints => (Brand >= 0 ? 1 : 0) + (Kind1 >= 0 ? 1 : 0) + (Kind2 >= 0 ? 1 : 0) + (float.IsNaN(MaxPrice) ? 0 : 1) + (Model >= 0 ? 1 : 0);
}

/// <summary>The true grade of an item for an intent (DESIGN issue 3, model part 6).</summary>
public static class SynthGrades
{
    /// <summary>3 exact (type and every constraint), 2 substitute (type, a constraint violated), 1 complement, 0 otherwise.</summary>
    public static int Grade(SynthWorld world, in SynthIntent intent, int item)
    {
        ArgumentNullException.ThrowIfNull(world);
        return Grade(world, intent, world.Facts[item]);
    }

    internal static int Grade(SynthWorld world, in SynthIntent intent, in ItemFacts item)
    {
        if (item.Type != intent.Type)
            return world.Taxonomy.IsComplement(intent.Type, item.Type) ? 1 : 0;
        return Satisfies(intent, item) ? 3 : 2;
    }

    /// <summary>True when an item of the intent's type meets every stated constraint.</summary>
    internal static bool Satisfies(in SynthIntent intent, in ItemFacts item) =>
        (intent.Brand < 0 || item.Brand == intent.Brand)
        && (intent.Kind1 < 0 || item.Attribute(intent.Kind1) == intent.Value1)
        && (intent.Kind2 < 0 || item.Attribute(intent.Kind2) == intent.Value2)
        && (float.IsNaN(intent.MaxPrice) || item.Price <= intent.MaxPrice)
        && (intent.Model < 0 || item.Model == intent.Model);
}

/// <summary>
/// The kind of query a test request's intent was rendered as: the <c>segment</c> field of
/// intents.jsonl, which <c>mmse experiment --segments</c> and <c>mmse eval --segments</c> read.
/// </summary>
public static class SynthSegments
{
    /// <summary>One word shared by several product families ("mouse", "cover"); the shopper wants one type.</summary>
    public const string BroadWord = "broad/word";

    /// <summary>A department word ("shoes", "kitchen"); the shopper wants one type of the department.</summary>
    public const string BroadDepartment = "broad/department";

    /// <summary>Just a brand name.</summary>
    public const string BrandOnly = "brand-only";

    /// <summary>One product's model number.</summary>
    public const string Model = "model";

    /// <summary>A rendered type with at least one stated constraint (brand, attribute, price ceiling).</summary>
    public const string Specific = "specific";

    /// <summary>A rendered type with no constraint ("running sneakers").</summary>
    public const string Plain = "plain";

    /// <summary>Every segment label the generator writes.</summary>
    public static IReadOnlyList<string> All { get; } = [BroadWord, BroadDepartment, BrandOnly, Model, Specific, Plain];
}
