using System.CommandLine;
using System.Globalization;
using Mmse.Data;
using Mmse.Evaluation;
using Mmse.Index;
using Mmse.Internals;
using Mmse.Model;
using Mmse.Retrieval;

namespace Mmse.Cli.Commands;

internal sealed class SearchCommand : Command
{
    public override string Name => "search";

    public override string Summary => "Top-k search of the catalog for a query with a trained model (exact, or through an index)";

    public override string Help => """
        Usage: mmse search --model MODEL --catalog FILE [-k 10] [--index INDEX [--ef N] [--walk W]] [--threads N] "query text"

        Embeds the catalog, scores every item with the fused score and prints the top k:
        rank, score, id, title. With --index, searches the HNSW index built from this model's
        'mmse embed' output instead (one walk by the fused score of the heads, or with --walk per-head
        one walk per head; candidates re-scored with the fused score).

        Options:
          --model MODEL    a model written by mmse train        (required)
          --catalog FILE   the catalog                           (required)
          -k, --k N        how many items                        (default 10)
          --index INDEX    an index written by mmse index (default: exact search)
          --ef N           index search breadth per head, 0 = the index's own   (default 0)
          --walk W         multi-head walk of the index: fused or per-head   (default fused)
          --threads N      worker threads, 0 = all cores         (default 0)

        Examples:
          mmse search --model model.mmse --catalog data/catalog.jsonl -k 5 "red kettle"
          mmse search --model model.mmse --catalog data/catalog.jsonl --index items.idx "red kettle"
        """;

    private readonly Option<string?> _model = CliOptions.Text("--model");
    private readonly Option<string?> _catalog = CliOptions.Text("--catalog");
    private readonly Option<int> _k = CliOptions.Int("--k", 10, 1, 100_000, alias: "-k");
    private readonly Option<int> _threads = CliOptions.Threads(0);
    private readonly Option<string?> _index = CliOptions.Text("--index");
    private readonly Option<int> _ef = CliOptions.Int("--ef", 0, 0, 100_000);
    private readonly Option<string> _walk = WalkOption.Create();
    private readonly Argument<string[]> _query = new("query") { Arity = ArgumentArity.ZeroOrMore };

    public override int Run(ParseResult args, CliContext context)
    {
        var modelPath = args.Required(_model);
        var catalogPath = args.Required(_catalog);
        var k = args.GetValue(_k);
        var threads = args.GetValue(_threads);
        var indexPath = args.GetValue(_index);
        var ef = args.GetValue(_ef);
        var walk = args.GetWalk(_walk);
        var words = args.GetValue(_query) ?? [];
        // An unknown --option is a typo, not a query word (the parser hands unknown tokens to the argument).
        if (words.FirstOrDefault(w => w.StartsWith("--", StringComparison.Ordinal) && w.Length > 2) is { } unknown)
            throw new UsageException($"unknown option '{unknown}'");
        if (words.Length == 0)
            throw new UsageException("give the query text");
        var query = string.Join(' ', words);
        // The server refuses a blank query with a 400; the CLI refuses it the same way.
        if (string.IsNullOrWhiteSpace(query))
            throw new UsageException("the query is empty; give the query text");
        new OutputGuard().Input("--model", modelPath).Input("--catalog", catalogPath).Input("--index", indexPath).Check();
        var model = MmseModel.Load(modelPath);
        var catalog = DataLoading.LoadCatalog(catalogPath, DataReadOptions.Default, new DataProblems(), context);
        int[] items;
        float[] scores;
        // Both go through SearchEngine (the server's): exact search over the panels, or the HNSW index.
        if (indexPath is not null)
        {
            using var index = HnswIndex.Open(indexPath);
            (items, scores) = new IndexedRetriever(model, index, catalog, ef, walk).Search(query, k);
        }
        else
        {
            var evaluator = ExactEvaluator.Create(model, catalog, threads);
            var hits = new SearchEngine(new ModelQueryEncoder(model), evaluator.Index, catalog).SearchItems(query, k, null);
            (items, scores) = (hits.Items.ToArray(), hits.Scores.ToArray());
        }
        for (var i = 0; i < items.Length; i++)
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{i + 1,4}  {scores[i],8:F4}  {catalog.Ids[items[i]]}  {catalog.Titles[items[i]]}"));
        return ExitCodes.Ok;
    }
}
