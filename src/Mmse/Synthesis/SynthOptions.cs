using Mmse.Internals;

namespace Mmse.Synthesis;

/// <summary>The language of titles and queries.</summary>
public enum SynthLanguage
{
    /// <summary>English titles and queries.</summary>
    En,

    /// <summary>Chinese titles and queries (no spaces inside phrases), so CJK tokenisation is exercised.</summary>
    Zh,

    /// <summary>Each shop writes in one language, each shopper searches in one.</summary>
    Mixed,
}

/// <summary>
/// Every parameter of the synthetic marketplace (docs/synthetic-data.md explains the model).
/// Defaults make a marketplace where lexical search finds a fair share of the relevant items
/// but not most of them. The same options and seed give the same bytes whatever the thread count.
/// </summary>
public sealed record SynthOptions
{
    /// <summary>Catalog size. Default 50,000.</summary>
    public int Items { get; init; } = 50_000;

    /// <summary>Search requests over all days. Default 200,000.</summary>
    public int Requests { get; init; } = 200_000;

    /// <summary>Days the log covers; requests are spread evenly in time. Default 30.</summary>
    public int Days { get; init; } = 30;

    /// <summary>The last days (of <see cref="Days"/>) written to test.jsonl. Default 1.</summary>
    public int TestDays { get; init; } = 1;

    /// <summary>The days before the test days written to valid.jsonl. Default 1.</summary>
    public int ValidDays { get; init; } = 1;

    /// <summary>
    /// At most this many test requests are written (with their truth); when the test days hold
    /// more, a seeded sample of that share is kept, so truth.jsonl (every grade-3 and grade-2
    /// item, thousands per request in a million-item catalog) stays a manageable size.
    /// 0 = keep all. Default 20,000.
    /// </summary>
    public int MaxTestRequests { get; init; } = 20_000;

    /// <summary>Language of titles and queries. Default English.</summary>
    public SynthLanguage Language { get; init; } = SynthLanguage.En;

    /// <summary>The seed of everything. Default 1.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Worker threads; 0 = all cores. The output does not depend on it. Default 0.</summary>
    public int Threads { get; init; }

    /// <summary>Start of the log (UTC). Default 2026-01-01.</summary>
    public DateTimeOffset Start { get; init; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // ---- taxonomy, brands, items ----

    /// <summary>Brands per department on average. Default 40.</summary>
    public int BrandsPerDepartment { get; init; } = 40;

    /// <summary>Share of brands that also sell in one or two other departments. Default 0.15.</summary>
    public double CrossDepartmentBrands { get; init; } = 0.15;

    /// <summary>Zipf exponent of brand popularity within a department. Default 1.0.</summary>
    public double BrandZipf { get; init; } = 1.0;

    /// <summary>Spread (log-normal sigma) of how many items each product type has. Default 0.6.</summary>
    public double TypeSizeSigma { get; init; } = 0.6;

    /// <summary>Log-normal sigma of item prices around their type's median. Default 0.45.</summary>
    public double PriceSigma { get; init; } = 0.45;

    /// <summary>Zipf exponent of item popularity (by a random rank). Default 0.9.</summary>
    public double ItemPopularityZipf { get; init; } = 0.9;

    /// <summary>Items per model number: colour or size variants share one. Default mean 1.6.</summary>
    public double VariantsPerModel { get; init; } = 1.6;

    /// <summary>Shops; each has one title style. Default 400.</summary>
    public int Shops { get; init; } = 400;

    /// <summary>Probability a title uses a synonym of the type noun rather than the canonical noun. Default 0.55.</summary>
    public double TitleSynonymRate { get; init; } = 0.55;

    /// <summary>Probability a title leaves out the type's modifier (says "sneakers", not "running sneakers"). Default 0.35.</summary>
    public double TitleDropModifierRate { get; init; } = 0.35;

    /// <summary>Probability a title mentions a given attribute value. Default 0.7.</summary>
    public double TitleAttributeRate { get; init; } = 0.7;

    // ---- requests ----

    /// <summary>Zipf exponent of product-type popularity in requests (0.7: the top type gets about 5% of requests). Default 0.7.</summary>
    public double TypeZipf { get; init; } = 0.7;

    /// <summary>Probability an intent names a brand. Default 0.2.</summary>
    public double IntentBrandRate { get; init; } = 0.2;

    /// <summary>Probabilities of an intent stating 1 and 2 attributes (else none). Default 0.35 and 0.15.</summary>
    public double IntentOneAttributeRate { get; init; } = 0.35;

    /// <inheritdoc cref="IntentOneAttributeRate"/>
    public double IntentTwoAttributesRate { get; init; } = 0.15;

    /// <summary>Probability an intent has a price ceiling ("under 50"). Default 0.08.</summary>
    public double IntentPriceRate { get; init; } = 0.08;

    /// <summary>Probability a query is just the brand. Default 0.04.</summary>
    public double BrandOnlyQueryRate { get; init; } = 0.04;

    /// <summary>Probability a query is a model number (the intent is that product). Default 0.03.</summary>
    public double ModelQueryRate { get; init; } = 0.03;

    /// <summary>
    /// Probability a query is one word that names several product families ("mouse" for a mouse or
    /// a mouse pad, "cover" for a phone case, sofa cover, seat cover or cushion); the intent is one
    /// type of a family with such a word, with no constraints. Chinese shoppers type the department
    /// instead. Default 0.06. With this and <see cref="DepartmentQueryRate"/> at 0 the data files are
    /// byte for byte those written before the two options existed.
    /// </summary>
    public double AmbiguousQueryRate { get; init; } = 0.06;

    /// <summary>
    /// Probability a query is a department word ("electronics", "shoes", "office"); the intent is
    /// one type of that department, with no constraints. Default 0.03.
    /// </summary>
    public double DepartmentQueryRate { get; init; } = 0.03;

    /// <summary>Probability a query uses a synonym of the noun or of a value. Default 0.5.</summary>
    public double QuerySynonymRate { get; init; } = 0.5;

    /// <summary>Probability a query drops the type's modifier (the shopper wants running sneakers and types "sneakers"). Default 0.3.</summary>
    public double QueryDropModifierRate { get; init; } = 0.3;

    /// <summary>Probability the query words are reordered. Default 0.2.</summary>
    public double QueryReorderRate { get; init; } = 0.2;

    /// <summary>Probability the noun is switched between singular and plural. Default 0.3.</summary>
    public double QueryPluralRate { get; init; } = 0.3;

    /// <summary>Probability of a typo (one character edit) in the query. Default 0.08.</summary>
    public double QueryTypoRate { get; init; } = 0.08;

    /// <summary>Users; requests pick one uniformly. Default requests / 8.</summary>
    public int? Users { get; init; }

    // ---- display and behaviour ----

    /// <summary>Fewest and most items displayed per request. Default 20 and 40.</summary>
    public int DisplayMin { get; init; } = 20;

    /// <inheritdoc cref="DisplayMin"/>
    public int DisplayMax { get; init; } = 40;

    /// <summary>Weight of the lexical match in the display engine's score. Default 3.0.</summary>
    public double DisplayLexicalWeight { get; init; } = 3.0;

    /// <summary>Weight of log popularity in the display engine's score. Default 0.35.</summary>
    public double DisplayPopularityWeight { get; init; } = 0.35;

    /// <summary>Standard deviation of the (logistic) noise on the display score. Default 0.6.</summary>
    public double DisplayNoise { get; init; } = 0.6;

    /// <summary>Examination probability at rank r (0-based) is <c>(1 + r)^-ExaminationDecay</c>. Default 0.6.</summary>
    public double ExaminationDecay { get; init; } = 0.6;

    /// <summary>Click probability of an examined item per true grade 0..3 (grade 0 = mis-clicks). Default 0.02, 0.06, 0.18, 0.4.</summary>
    public IReadOnlyList<double> ClickByGrade { get; init; } = [0.02, 0.06, 0.18, 0.4];

    /// <summary>Log-normal sigma of per-item attractiveness noise on the click probability. Default 0.5.</summary>
    public double AttractivenessNoise { get; init; } = 0.5;

    /// <summary>Order probability of a clicked item per grade 0..3, before the price fit. Default 0, 0, 0.04, 0.3.</summary>
    public IReadOnlyList<double> OrderByGrade { get; init; } = [0, 0, 0.04, 0.3];

    /// <summary>Cart probability of a clicked, not ordered item per grade 0..3. Default 0.01, 0.02, 0.06, 0.15.</summary>
    public IReadOnlyList<double> CartByGrade { get; init; } = [0.01, 0.02, 0.06, 0.15];

    /// <summary>Probability the shopper stops examining after an order. Default 0.7.</summary>
    public double StopAfterOrder { get; init; } = 0.7;

    /// <summary>Log-normal sigma of a shopper's budget around the type's median price. Default 0.5.</summary>
    public double BudgetSigma { get; init; } = 0.5;

    /// <summary>Requests per generation block (each block has its own seeded random stream). Default 2048.</summary>
    public int BlockSize { get; init; } = 2048;

    /// <summary>Throws <see cref="MmseInputException"/> naming the first bad parameter.</summary>
    public void Validate()
    {
        static void Check(bool ok, string message)
        {
            if (!ok) ThrowHelper.Input(message);
        }
        Check(Items is >= 100 and <= 50_000_000, $"items: {Items} must be in [100, 50000000]");
        Check(Requests is >= 1 and <= 200_000_000, $"requests: {Requests} must be in [1, 200000000]");
        Check(Days is >= 3 and <= 3650, $"days: {Days} must be in [3, 3650]");
        Check(TestDays >= 1 && ValidDays >= 0 && TestDays + ValidDays < Days,
            $"test days {TestDays} + valid days {ValidDays} must be fewer than days {Days}");
        Check(MaxTestRequests >= 0, $"max test requests: {MaxTestRequests} must be >= 0");
        Check(Threads >= 0, $"threads: {Threads} must be >= 0");
        Check(DisplayMin >= 1 && DisplayMax >= DisplayMin && DisplayMax <= 200, $"display: [{DisplayMin}, {DisplayMax}] must satisfy 1 <= min <= max <= 200");
        Check(BrandsPerDepartment is >= 2 and <= 10_000, $"brands per department: {BrandsPerDepartment} must be in [2, 10000]");
        Check(Shops is >= 4 and <= 1_000_000, $"shops: {Shops} must be in [4, 1000000]");
        Check(BlockSize is >= 16 and <= 1 << 20, $"block size: {BlockSize} must be in [16, 1048576]");
        Check(Users is null or >= 1, "users must be >= 1");
        Check(VariantsPerModel >= 1, "variants per model must be >= 1");
        Check(ClickByGrade.Count == 4 && OrderByGrade.Count == 4 && CartByGrade.Count == 4, "click, cart and order probabilities need one value per grade 0..3");
        foreach (var p in (double[])[.. ClickByGrade, .. OrderByGrade, .. CartByGrade, CrossDepartmentBrands, TitleSynonymRate,
            TitleDropModifierRate, TitleAttributeRate, IntentBrandRate, IntentOneAttributeRate, IntentTwoAttributesRate, IntentPriceRate,
            BrandOnlyQueryRate, ModelQueryRate, AmbiguousQueryRate, DepartmentQueryRate, QuerySynonymRate, QueryDropModifierRate, QueryReorderRate, QueryPluralRate,
            QueryTypoRate, StopAfterOrder])
            Check(p is >= 0 and <= 1, $"probability {p} must be in [0, 1]");
        Check(IntentOneAttributeRate + IntentTwoAttributesRate <= 1, "attribute rates must sum to at most 1");
        Check(BrandOnlyQueryRate + ModelQueryRate + AmbiguousQueryRate + DepartmentQueryRate <= 1,
            "brand-only, model, ambiguous and department query rates must sum to at most 1");
    }
}
