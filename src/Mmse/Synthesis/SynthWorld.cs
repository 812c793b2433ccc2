using System.Globalization;
using System.Text;
using Mmse.Text;

namespace Mmse.Synthesis;

/// <summary>A generated brand: Latin and Chinese names, a model-number code, the departments it sells in.</summary>
public sealed record Brand(int Index, string Name, string NameZh, string Code, IReadOnlyList<int> Departments, double PriceFactor);

/// <summary>A shop: its title style (0..3) and whether it writes in Chinese.</summary>
public sealed record Shop(int Index, string Name, int Style, bool Chinese);

/// <summary>
/// The generated catalog with its latent truth, in columns (item i = catalog line i):
/// product type, brand, attribute values, model number, price, latent quality and
/// popularity, title. Built in parallel blocks, each with its own seeded random stream,
/// so the catalog does not depend on the thread count.
/// </summary>
public sealed class SynthWorld
{
    /// <summary>Items per generation block.</summary>
    internal const int ItemBlock = 8192;

    internal const int NoValue = 255;

    private SynthWorld(SynthOptions options, Taxonomy taxonomy)
    {
        Options = options;
        Taxonomy = taxonomy;
        var n = options.Items;
        Types = new short[n];
        Brands = new int[n];
        ShopOf = new int[n];
        Models = new int[n];
        Prices = new float[n];
        Quality = new float[n];
        Popularity = new float[n];
        Titles = new string[n];
        Categories = new string[n];
        AttributeValues = new byte[n * taxonomy.Attributes.Count];
        Array.Fill(AttributeValues, (byte)NoValue);
        _blockTokens = new int[(n + ItemBlock - 1) / ItemBlock][];
        _tokenCounts = new int[n];
    }

    public SynthOptions Options { get; }

    public Taxonomy Taxonomy { get; }

    public IReadOnlyList<Brand> BrandList { get; private set; } = [];

    public IReadOnlyList<Shop> Shops { get; private set; } = [];

    public int Count => Types.Length;

    /// <summary>[items] product type index.</summary>
    public short[] Types { get; }

    /// <summary>[items] brand index.</summary>
    public int[] Brands { get; }

    /// <summary>[items] shop index.</summary>
    public int[] ShopOf { get; }

    /// <summary>[items] model number id: the index of the model's first item; its colour and size variants follow it and share the id.</summary>
    public int[] Models { get; }

    public float[] Prices { get; }

    /// <summary>Latent quality, standard normal: raises clicks and popularity.</summary>
    public float[] Quality { get; }

    /// <summary>Latent popularity (Zipf by a random rank, times quality).</summary>
    public float[] Popularity { get; }

    public string[] Titles { get; }

    public string[] Categories { get; }

    /// <summary>[items, attribute kinds] value index, or 255 when the item has no such attribute.</summary>
    public byte[] AttributeValues { get; }

    // Per generation block, the tokens of its items one after the other; per item, how many.
    private readonly int[][] _blockTokens;
    private readonly int[] _tokenCounts;

    /// <summary>
    /// Per item, the sorted distinct lexical token hashes of its title and brand (the display
    /// engine's index), flattened: item i's are TokenData[Facts[i].TokenStart ..][.. Facts[i].TokenCount].
    /// One array rather than a million small ones keeps the garbage collector's marking cheap.
    /// </summary>
    internal int[] TokenData { get; private set; } = [];

    /// <summary>[items] what the request hot path reads of an item, packed in one cache line.</summary>
    internal ItemFacts[] Facts { get; private set; } = [];

    /// <summary>Items of each type, most popular first.</summary>
    internal int[][] ItemsByType { get; private set; } = [];

    /// <summary>Per type, a popularity sampler of its items.</summary>
    internal AliasSampler[] TypeSamplers { get; private set; } = [];

    /// <summary>Items of each brand, most popular first, with samplers.</summary>
    internal int[][] ItemsByBrand { get; private set; } = [];

    internal AliasSampler[] BrandSamplers { get; private set; } = [];

    /// <summary>Types per department.</summary>
    internal int[][] TypesByDepartment { get; private set; } = [];

    /// <summary>The value index of attribute kind <paramref name="kind"/> of an item, or -1.</summary>
    public int Attribute(int item, int kind)
    {
        var v = AttributeValues[item * Taxonomy.Attributes.Count + kind];
        return v == NoValue ? -1 : v;
    }

    /// <summary>The model number as written in titles and the catalog, e.g. "KAL-4821".</summary>
    public string ModelName(int item) => ModelName(BrandList[Brands[item]], Models[item]);

    internal static string ModelName(Brand brand, int model) =>
        string.Create(CultureInfo.InvariantCulture, $"{brand.Code}-{1000 + (int)((uint)(model * 2654435761u) % 9000)}{(char)('A' + model % 7)}");

    /// <summary>Generates the taxonomy, brands, shops and items for <paramref name="options"/>.</summary>
    public static SynthWorld Create(SynthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var world = new SynthWorld(options, Taxonomy.Build(options.Seed));
        if (world.Taxonomy.Attributes.Count > 8)
            throw new InvalidOperationException("ItemFacts packs at most 8 attribute kinds");
        world.MakeBrandsAndShops();
        var blocks = (options.Items + ItemBlock - 1) / ItemBlock;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Threads > 0 ? options.Threads : Environment.ProcessorCount };
        var typeSampler = world.TypeSizeSampler();
        var brandSamplers = world.DepartmentBrandSamplers(out var departmentBrands);
        Parallel.For(0, blocks, parallel, b => world.MakeItems(b, typeSampler, brandSamplers, departmentBrands));
        world.BuildIndexes();
        return world;
    }

    private void MakeBrandsAndShops()
    {
        var random = new SynthRandom(Options.Seed, 3, 0);
        var departments = Taxonomy.Departments.Count;
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var brands = new List<Brand>();
        var syllables = TaxonomyData.BrandSyllables;
        for (var d = 0; d < departments; d++)
        {
            for (var k = 0; k < Options.BrandsPerDepartment; k++)
            {
                string name;
                var en = new StringBuilder();
                var zh = new StringBuilder();
                do
                {
                    en.Clear();
                    zh.Clear();
                    var count = random.Chance(0.6) ? 2 : 3;
                    for (var s = 0; s < count; s++)
                    {
                        var i = random.Next(syllables.Length);
                        en.Append(syllables[i]);
                        zh.Append(TaxonomyData.BrandSyllablesZh[i]);
                    }
                    en[0] = char.ToUpperInvariant(en[0]);
                    name = en + random.Pick(TaxonomyData.BrandSuffixes);
                }
                while (!names.Add(name));
                var code = en.ToString(0, Math.Min(3, en.Length)).ToUpperInvariant();
                List<int> spans = [d];
                if (random.Chance(Options.CrossDepartmentBrands))
                {
                    var extra = random.Between(1, 2);
                    for (var e = 0; e < extra; e++)
                    {
                        var other = random.Next(departments);
                        if (!spans.Contains(other)) spans.Add(other);
                    }
                }
                brands.Add(new Brand(brands.Count, name, zh.ToString(), code, spans, Math.Exp(0.25 * random.Normal())));
            }
        }
        BrandList = brands;
        var shops = new List<Shop>();
        for (var s = 0; s < Options.Shops; s++)
        {
            var chinese = Options.Language switch { SynthLanguage.Zh => true, SynthLanguage.En => false, _ => random.Chance(0.5) };
            shops.Add(new Shop(s, $"shop{s + 1}", random.Next(4), chinese));
        }
        Shops = shops;
    }

    private WeightedSampler TypeSizeSampler()
    {
        var random = new SynthRandom(Options.Seed, 4, 0);
        var weights = new double[Taxonomy.Types.Count];
        for (var t = 0; t < weights.Length; t++)
            weights[t] = Math.Exp(Options.TypeSizeSigma * random.Normal());
        return new WeightedSampler(weights);
    }

    private WeightedSampler[] DepartmentBrandSamplers(out int[][] departmentBrands)
    {
        var lists = new List<int>[Taxonomy.Departments.Count];
        for (var d = 0; d < lists.Length; d++) lists[d] = [];
        foreach (var brand in BrandList)
        {
            foreach (var d in brand.Departments) lists[d].Add(brand.Index);
        }
        // Popularity rank within a department: the department's own brands interleave with visitors.
        var random = new SynthRandom(Options.Seed, 5, 0);
        departmentBrands = new int[lists.Length][];
        var samplers = new WeightedSampler[lists.Length];
        for (var d = 0; d < lists.Length; d++)
        {
            var array = lists[d].ToArray();
            random.Shuffle(array.AsSpan());
            departmentBrands[d] = array;
            samplers[d] = WeightedSampler.Zipf(array.Length, Options.BrandZipf);
        }
        return samplers;
    }

    private void MakeItems(int block, WeightedSampler typeSampler, WeightedSampler[] brandSamplers, int[][] departmentBrands)
    {
        var random = new SynthRandom(Options.Seed, 6, (ulong)block);
        var kinds = Taxonomy.Attributes.Count;
        var start = block * ItemBlock;
        var end = Math.Min(Options.Items, start + ItemBlock);
        var variantRate = 1 - 1 / Options.VariantsPerModel;
        var renderer = new TitleRenderer(this);
        var hashes = new List<int>();
        var blockTokens = new List<int>();
        var categories = new Dictionary<(int, bool), string>();
        for (var i = start; i < end; i++)
        {
            var variant = i > start && random.Chance(variantRate);
            if (variant)
            {
                // A colour or size variant: same product, one attribute changed, a nearby price.
                Types[i] = Types[i - 1];
                Brands[i] = Brands[i - 1];
                ShopOf[i] = ShopOf[i - 1];
                Models[i] = Models[i - 1];
                Array.Copy(AttributeValues, (i - 1) * kinds, AttributeValues, i * kinds, kinds);
                var family = Taxonomy.Families[Taxonomy.Types[Types[i]].Family];
                var kind = family.AttributeKinds[random.Next(family.AttributeKinds.Count)];
                AttributeValues[i * kinds + kind] = (byte)random.Next(Taxonomy.Attributes[kind].Values.Count);
                Prices[i] = RoundPrice(Prices[i - 1] * Math.Exp(0.05 * random.Normal()));
                Quality[i] = Quality[i - 1];
            }
            else
            {
                var type = typeSampler.Sample(ref random);
                var productType = Taxonomy.Types[type];
                var family = Taxonomy.Families[productType.Family];
                Types[i] = (short)type;
                var d = family.Department;
                var brand = departmentBrands[d][brandSamplers[d].Sample(ref random)];
                Brands[i] = brand;
                ShopOf[i] = random.Next(Shops.Count);
                Models[i] = i;
                foreach (var kind in family.AttributeKinds)
                {
                    var values = Taxonomy.Attributes[kind].Values.Count;
                    // Skewed value choice: the first values (black, white, grey) are the common ones.
                    var v = Math.Min(values - 1, (int)(values * Math.Pow(random.NextDouble(), 1.6)));
                    AttributeValues[i * kinds + kind] = (byte)v;
                }
                var price = family.MedianPrice * productType.PriceFactor * BrandList[brand].PriceFactor * Math.Exp(Options.PriceSigma * random.Normal());
                Prices[i] = RoundPrice(price);
                Quality[i] = (float)random.Normal();
            }
            var rank = random.Next(Options.Items);
            Popularity[i] = (float)(Math.Pow(rank + 1, -Options.ItemPopularityZipf) * Math.Exp(0.5 * Quality[i]));
            var shop = Shops[ShopOf[i]];
            Titles[i] = renderer.Title(i, shop, ref random);
            var familyIndex = Taxonomy.Types[Types[i]].Family;
            if (!categories.TryGetValue((familyIndex, shop.Chinese), out var category))
            {
                var fam = Taxonomy.Families[familyIndex];
                var dep = Taxonomy.Departments[fam.Department];
                category = shop.Chinese ? $"{dep.Name.CanonicalZh} > {fam.Noun.CanonicalZh}" : $"{dep.Name.Canonical} > {Capitalize(fam.Noun.Canonical)}";
                categories.Add((familyIndex, shop.Chinese), category);
            }
            Categories[i] = category;
            hashes.Clear();
            LexicalTokenizer.Hashes(Titles[i], hashes);
            LexicalTokenizer.Hashes(BrandList[Brands[i]].Name, hashes);
            hashes.Sort();
            var before = blockTokens.Count;
            for (var k = 0; k < hashes.Count; k++)
            {
                if (k == 0 || hashes[k] != hashes[k - 1]) blockTokens.Add(hashes[k]);
            }
            _tokenCounts[i] = blockTokens.Count - before;
        }
        _blockTokens[block] = [.. blockTokens];
    }

    /// <summary>Shop prices: x.99 above 10, cents below.</summary>
    private static float RoundPrice(double price)
    {
        price = Math.Max(0.5, price);
        return price >= 10 ? (float)(Math.Floor(price) + 0.99) : (float)Math.Round(price, 2);
    }

    internal static string Capitalize(string text) =>
        string.Join(' ', text.Split(' ').Select(w => w.Length == 0 ? w : char.ToUpperInvariant(w[0]) + w[1..]));

    private void BuildIndexes()
    {
        var byType = new List<int>[Taxonomy.Types.Count];
        for (var t = 0; t < byType.Length; t++) byType[t] = [];
        var byBrand = new List<int>[BrandList.Count];
        for (var b = 0; b < byBrand.Length; b++) byBrand[b] = [];
        for (var i = 0; i < Count; i++)
        {
            byType[Types[i]].Add(i);
            byBrand[Brands[i]].Add(i);
        }
        int[] Sorted(List<int> items)
        {
            var array = items.ToArray();
            // Most popular first; ties by index keep the order deterministic.
            Array.Sort(array, (a, b) => Popularity[b].CompareTo(Popularity[a]) is var c && c != 0 ? c : a.CompareTo(b));
            return array;
        }
        AliasSampler Sampler(int[] items)
        {
            var weights = new double[items.Length];
            for (var k = 0; k < items.Length; k++) weights[k] = Popularity[items[k]];
            return new AliasSampler(items, weights);
        }
        ItemsByType = [.. byType.Select(Sorted)];
        TypeSamplers = [.. ItemsByType.Select(Sampler)];
        ItemsByBrand = [.. byBrand.Select(Sorted)];
        BrandSamplers = [.. ItemsByBrand.Select(Sampler)];
        var tokenData = new int[_blockTokens.Sum(t => (long)t.Length)];
        var blockOffset = 0;
        for (var b = 0; b < _blockTokens.Length; b++)
        {
            _blockTokens[b].CopyTo(tokenData, blockOffset);
            blockOffset += _blockTokens[b].Length;
            _blockTokens[b] = [];
        }
        var facts = new ItemFacts[Count];
        var logN = Math.Log(Count);
        var offset = 0;
        for (var i = 0; i < Count; i++)
        {
            var attributes = 0UL;
            for (var k = 0; k < Math.Min(8, Taxonomy.Attributes.Count); k++)
                attributes |= (ulong)AttributeValues[i * Taxonomy.Attributes.Count + k] << (8 * k);
            facts[i] = new ItemFacts(Types[i], Brands[i], Models[i], Prices[i], (float)(Math.Log(Popularity[i]) + logN), Quality[i], offset, _tokenCounts[i], attributes);
            offset += _tokenCounts[i];
        }
        TokenData = tokenData;
        Facts = facts;
        TypesByDepartment = [.. Taxonomy.Departments.Select(d =>
            Taxonomy.Types.Where(t => Taxonomy.Families[t.Family].Department == d.Index).Select(t => t.Index).ToArray())];
    }
}

/// <summary>The fields of an item the request generator reads, in one 40-byte record.</summary>
internal readonly record struct ItemFacts(int Type, int Brand, int Model, float Price, float LogPopularity, float Quality, int TokenStart, int TokenCount, ulong Attributes)
{
    /// <summary>The value index of attribute kind k, or -1.</summary>
    public int Attribute(int kind)
    {
        var v = (int)(Attributes >> (8 * kind)) & 0xFF;
        return v == SynthWorld.NoValue ? -1 : v;
    }
}
