using System.CommandLine;
using Mmse.Internals;
using Mmse.Synthesis;

namespace Mmse.Cli.Commands;

internal sealed class SynthCommand : Command
{
    public override string Name => "synth";

    public override string Summary => "Generate a synthetic marketplace: catalog, search logs and known truth";

    public override string Help => """
        Usage: mmse synth --out DIR [--items N] [--requests N] [--days N] [--lang en|zh|mixed] [--seed S]
                          [--ambiguous-rate P] [--department-rate P]

        Generates a catalog and shoppers' search logs from a documented generative model
        (docs/synthetic-data.md): a taxonomy of product types with synonyms and complements,
        brands, items with noisy shop titles, queries rendered from latent intents, a lexical
        production engine that decides what is displayed, and a position-based click model.
        Writes to DIR: catalog.jsonl, train.jsonl, valid.jsonl and test.jsonl (split by time: the
        last days are valid and test), truth.jsonl (per test request every item of true grade 3 as
        'order' and grade 2 as 'click'), intents.jsonl (the latent intent per test request) and
        manifest.json (every parameter and the counts). The same seed gives the same bytes
        whatever the thread count.

        Options:
          --out DIR          output folder                                     (required)
          --items N          catalog size                                      (default 50000)
          --requests N       search requests                                   (default 200000)
          --days N           days the log covers                               (default 30)
          --test-days N      last days written to test.jsonl                    (default 1)
          --valid-days N     days before them written to valid.jsonl            (default 1)
          --max-test N       at most N test requests (a seeded sample), 0 = all (default 20000)
          --lang L           en, zh (Chinese titles and queries) or mixed      (default en)
          --seed S           random seed                                       (default 1)
          --ambiguous-rate P share of one-word queries naming several product
                             families ("mouse", "cover")                       (default 0.06)
          --department-rate P share of department-word queries ("shoes")      (default 0.03)
          --threads N        worker threads, 0 = all cores                     (default 0)

        Example:
          mmse synth --out data/m --items 50000 --requests 200000 --seed 7
        """;

    private static readonly SynthOptions Defaults = new();
    private readonly Option<string?> _out = CliOptions.Text("--out");
    private readonly Option<int> _items = CliOptions.Int("--items", Defaults.Items, 100, 50_000_000);
    private readonly Option<int> _requests = CliOptions.Int("--requests", Defaults.Requests, 1, 200_000_000);
    private readonly Option<int> _days = CliOptions.Int("--days", Defaults.Days, 3, 3650);
    private readonly Option<int> _testDays = CliOptions.Int("--test-days", Defaults.TestDays, 1, 3650);
    private readonly Option<int> _validDays = CliOptions.Int("--valid-days", Defaults.ValidDays, 0, 3650);
    private readonly Option<int> _maxTest = CliOptions.Int("--max-test", Defaults.MaxTestRequests, 0, int.MaxValue);
    private readonly Option<string> _lang = CliOptions.Choice("--lang", "en", "en", "zh", "mixed");
    private readonly Option<long> _seed = CliOptions.Long("--seed", 1, 0, long.MaxValue);
    private readonly Option<double> _ambiguousRate = CliOptions.Double("--ambiguous-rate", Defaults.AmbiguousQueryRate, 0, 1);
    private readonly Option<double> _departmentRate = CliOptions.Double("--department-rate", Defaults.DepartmentQueryRate, 0, 1);
    private readonly Option<int> _threads = CliOptions.Threads(0);

    public override int Run(ParseResult args, CliContext context)
    {
        var defaults = Defaults;
        var dir = args.Required(_out);
        new OutputGuard().Folder("--out", dir).Check();
        var options = defaults with
        {
            Items = args.GetValue(_items),
            Requests = args.GetValue(_requests),
            Days = args.GetValue(_days),
            TestDays = args.GetValue(_testDays),
            ValidDays = args.GetValue(_validDays),
            MaxTestRequests = args.GetValue(_maxTest),
            Language = args.GetValue(_lang) switch
            {
                "zh" => SynthLanguage.Zh,
                "mixed" => SynthLanguage.Mixed,
                _ => SynthLanguage.En,
            },
            Seed = (ulong)args.GetValue(_seed),
            AmbiguousQueryRate = args.GetValue(_ambiguousRate),
            DepartmentQueryRate = args.GetValue(_departmentRate),
            Threads = args.GetValue(_threads),
        };
        options.Validate();
        var summary = SyntheticMarketplace.Generate(options, dir, context.Progress, context.Cancellation);
        var o = context.Out;
        o.WriteLine($"wrote {dir}/: {summary.Items:N0} items of {summary.ProductTypes} product types and {summary.Brands} brands");
        foreach (var (name, c) in new[] { ("train", summary.Train), ("valid", summary.Valid), ("test", summary.Test) })
        {
            var requests = Math.Max(1, c.Requests);
            o.WriteLine($"  {name,-5} {c.Requests,11:N0} requests, {c.Displayed,13:N0} displayed, {c.Clicks + c.Carts + c.Orders,11:N0} acted on; requests with an order {100.0 * c.RequestsWithOrder / requests:F1}%");
        }
        o.WriteLine($"  truth {summary.TruthItems:N0} graded items ({summary.TruthExactItems:N0} exact) for {summary.Test.Requests:N0} test requests");
        if (summary.TestRequestsDropped > 0)
            o.WriteLine($"  {summary.TestRequestsDropped:N0} further test-day requests were not written (--max-test {options.MaxTestRequests})");
        o.WriteLine($"  in {summary.Elapsed.TotalSeconds:F1} s");
        if (Environment.GetEnvironmentVariable("MMSE_DEBUG") is "1")
            context.Error.WriteLine($"gc: {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)} collections (gen0/1/2), paused {GC.GetTotalPauseDuration().TotalSeconds:F2} s, allocated {GC.GetTotalAllocatedBytes() / 1e9:F2} GB");
        return ExitCodes.Ok;
    }
}
